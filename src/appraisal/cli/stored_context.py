"""What the run store knows beside a run folder being rendered: calibrations and earlier periods.

`appraisal render DIR` looks DIR up in the run store by its result.json (the same bytes as a
stored run's): the grades moved after calibration for the team report, and the latest version
of each earlier period of the same scheme for the history of the summary, the team report, the
workbook and the scorecards' trend. A folder the store does not hold is rendered as it is.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appraisal.cli.terminal import echo

if TYPE_CHECKING:
    from appraisal.results.result import Result
    from appraisal.store.runs import RunStore

HISTORY_PERIODS = 6  # earlier periods shown beside a run


def stored_context(stack: ExitStack, store: str | None, run_dir: Path,
                   with_history: bool) -> tuple[dict[str, dict[str, Any]], list[Result]]:
    """The final calibration decision per appraisee of the stored run that is `run_dir`, and
    (`with_history`) up to HISTORY_PERIODS earlier periods as results, read from the store into
    temporary folders that `stack` removes."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    from appraisal.errors import AppraisalError
    from appraisal.store.calibration import decisions
    from appraisal.store.runs import RunStore, store_location

    place = store_location(store)
    if isinstance(place, Path) and not place.is_file():
        if store is not None:
            raise AppraisalError(f"no run store at {place}")
        return {}, []
    try:
        runs = stack.enter_context(RunStore(place))
    except AppraisalError as exc:
        if store is not None or isinstance(place, Path):
            raise
        # $APPRAISAL_STORE names a server that is down or holds no store yet: the pages need neither
        echo(f"warning: {exc}; rendered without the store's calibrations and earlier periods", err=True)
        return {}, []
    found = runs.holding("result.json", (run_dir / "result.json").read_bytes(), run_dir)
    if found is None:
        return {}, []
    calibrations = {d.appraisee: d.as_dict() for d in decisions(runs, found.id)}  # the latest wins
    return calibrations, earlier_periods(stack, runs, found.scheme, found.period) if with_history else []


def earlier_periods(stack: ExitStack, runs: RunStore, scheme: str, period: str) -> list[Result]:
    """The latest version of each of up to HISTORY_PERIODS periods of `scheme` before `period`
    in the store, oldest first, as results read from folders that `stack` removes."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    import tempfile

    from appraisal.errors import AppraisalError
    from appraisal.periods import parse_period
    from appraisal.results.storing import load_run
    from appraisal.store.runs import StoreUnavailable

    start = parse_period(period).start
    latest: dict[str, Any] = {}
    for run in runs.runs(scheme=scheme):
        if run.period != period and parse_period(run.period).start < start and (
                run.period not in latest or run.version > latest[run.period].version):
            latest[run.period] = run  # by version, not by the time stored: clocks may differ
    earlier: list[Result] = []
    for run in sorted(latest.values(), key=lambda r: parse_period(r.period).start)[-HISTORY_PERIODS:]:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="appraisal-history-")))
        try:
            for name in runs.files(run.id):
                (folder / name).write_bytes(runs.file(run.id, name))
            # brief: totals and scores, all the history shows; the files are the bytes the store's
            # records hash (RunStore.file checks), so their totals are not concluded again
            earlier.append(load_run(folder, brief=True))
        except StoreUnavailable:
            raise
        except AppraisalError as exc:  # a damaged earlier run costs its period on the pages, not this run
            echo(f"warning: {run.period} left out of the history: {exc}", err=True)
    return earlier
