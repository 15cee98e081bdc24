"""The rows behind a result's values, as data: what `explain` prints and drill-down pages show.

Reading them takes the engine (`appraisal.explaining.RowReader`); showing them does not, so a
renderer is handed this value by its caller and never opens the data itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The column of CountedRows.columns that says whether a ratio's numerator counted the row.
IN_NUMERATOR = "__in_numerator"


@dataclass(frozen=True)
class CountedRows:
    """The rows behind one appraisee's value, as data: reports phrase it in their language,
    `RowReader.lines` in English. Either rows (`why_not` is None) or why there are none to show.

    `columns` are the dataset's columns as the query returns them, then `IN_NUMERATOR` for a
    ratio; `rows` are the first rows counted, one tuple of values per row, in a fixed order.
    `why_not` is phrasebook parts (`appraisal.rendering.phrasing`): `rows_scheme_gone` and
    `rows_scheme_changed` (with `file`), `rows_data_changed`, `rows_in_database` (with `table`),
    `rows_none_counted` (with `appraisee`, `dataset`).
    """

    appraisee: str
    dataset: str = ""
    rows_in_period: int = 0
    excluded: int = 0
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    why_not: Mapping[str, Any] | None = None

    @property
    def parts(self) -> Mapping[str, Any]:
        """What the rows are, as phrasebook parts: `why_not`, or `rows_counted` with the counts."""
        if self.why_not is not None:
            return self.why_not
        return {"key": "rows_counted", "appraisee": self.appraisee, "dataset": self.dataset,
                "in_period": self.rows_in_period, "excluded": self.excluded, "shown": len(self.rows)}


# The rows behind each measured value of a result, by (appraisee id, indicator id).
RowEvidence = Mapping[tuple[str, str], CountedRows]
