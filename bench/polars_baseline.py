"""The benchmark's scheme computed with Polars, for comparison with `appraisal` (a peer of pandas).

    python bench/polars_baseline.py TICKETS.parquet ROSTER.parquet VALUES.csv QUALITY.csv

The same rules as bench/baseline.sql (read its header) and bench/pandas_baseline.py: first row
of a repeated ticket id kept, then the 2026-Q3 window, the supplier-defect exclusion and the
roster; a negative elapsed time is dropped from its indicator and counted as `negative duration`
(column: the indicator id) over the kept rows. The outputs have the columns of `appraisal
measure --csv` and `--quality-csv`. Written as one lazy query a frame, as a Polars user would.
"""

from __future__ import annotations

import sys
from datetime import datetime

import polars as pl

START, END = datetime(2026, 7, 1), datetime(2026, 10, 1)
INDICATORS = ("tickets", "first_response_h", "resolution_rate", "resolution_h", "reopen_rate")
COLUMNS = ["ticket_id", "agent_id", "created_at", "first_response_at", "resolved_at",
           "status", "reopened", "cause", "handle_time"]
HOUR_US = 3_600_000_000


def _hours(end: str, start: str) -> pl.Expr:
    return (pl.col(end) - pl.col(start)).dt.total_microseconds() / HOUR_US


def compute(tickets: str, roster: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(values, quality) frames with the columns of `appraisal measure`'s two CSV files."""
    ids = (pl.scan_parquet(roster).select(pl.col("agent_id").cast(pl.String)).unique(maintain_order=True)
           .collect())
    repeat = pl.col("ticket_id").is_not_null() & ~pl.col("ticket_id").is_first_distinct()
    in_period = ((pl.col("created_at") >= START) & (pl.col("created_at") < END)).fill_null(False)
    excluded = (pl.col("cause") == "supplier_defect").fill_null(False)
    rows = pl.scan_parquet(tickets).select(COLUMNS).with_columns(
        repeat=repeat, in_period=in_period, excluded=excluded,
        first_response_h=_hours("first_response_at", "created_at"),
        resolution_h=_hours("resolved_at", "created_at"),
        known=pl.col("agent_id").is_in(ids["agent_id"].implode()).fill_null(False),
    ).with_columns(kept=~pl.col("repeat") & pl.col("in_period") & ~pl.col("excluded"))
    counts = rows.select(
        duplicate=pl.col("repeat").sum(),
        negative_handle_time=(pl.col("handle_time") < 0).sum(),
        outside=(~pl.col("repeat") & ~pl.col("in_period") & pl.col("created_at").is_not_null()).sum(),
        excluded=(~pl.col("repeat") & pl.col("in_period") & pl.col("excluded")).sum(),
        unknown=(pl.col("kept") & ~pl.col("known")).sum(),
        negative_first_response_h=(pl.col("kept") & (pl.col("first_response_h") < 0)).sum(),
        negative_resolution_h=(pl.col("kept") & (pl.col("resolution_h") < 0)).sum(),
    )
    resolved = pl.col("status") == "resolved"
    first_response_h = pl.when(pl.col("first_response_h") >= 0).then(pl.col("first_response_h"))
    resolution_h = pl.when((pl.col("resolution_h") >= 0) & resolved).then(pl.col("resolution_h"))
    per_agent = rows.filter(pl.col("kept") & pl.col("known")).group_by("agent_id").agg(
        n=pl.len(),
        first_response_h=first_response_h.median(),
        first_response_h_rows=first_response_h.count(),
        n_resolved=resolved.sum(),
        resolution_h=resolution_h.mean(),
        resolution_h_rows=resolution_h.count(),
        n_reopened=pl.col("reopened").fill_null(False).sum(),
    )
    agents, counted = pl.collect_all([per_agent, counts])
    g = ids.join(agents, on="agent_id", how="left", maintain_order="left").with_columns(
        pl.col("n", "first_response_h_rows", "resolution_h_rows").fill_null(0).cast(pl.Int64))
    rate_base = pl.when(pl.col("n") > 0).then(pl.col("n"))
    wide = {
        "tickets": (pl.col("n").cast(pl.Float64), pl.col("n")),
        "first_response_h": (pl.col("first_response_h"), pl.col("first_response_h_rows")),
        "resolution_rate": (pl.col("n_resolved") / rate_base, pl.col("n")),
        "resolution_h": (pl.col("resolution_h"), pl.col("resolution_h_rows")),
        "reopen_rate": (pl.col("n_reopened") / rate_base, pl.col("n")),
    }
    parts = [
        g.select(appraisee=pl.col("agent_id"), order=pl.lit(order), indicator=pl.lit(name),
                 value=pl.when(rows > 0).then(value).cast(pl.Float64), rows=rows)
        for order, (name, (value, rows)) in enumerate(wide.items())
    ]
    values = (pl.concat(parts).sort("appraisee", "order", maintain_order=True)
              .with_columns(status=pl.when(pl.col("value").is_not_null()).then(pl.lit("ok"))
                            .otherwise(pl.lit("insufficient data")))
              .drop("order"))
    c = counted.row(0, named=True)
    found = [
        ("duplicate key", "ticket_id", c["duplicate"]),
        ("negative duration", "handle_time", c["negative_handle_time"]),
        ("outside period", "created_at", c["outside"]),
        ("excluded: supplier batch 2026-07", "", c["excluded"]),
        ("unknown appraisee", "agent_id", c["unknown"]),
        ("negative duration", "first_response_h", c["negative_first_response_h"]),
        ("negative duration", "resolution_h", c["negative_resolution_h"]),
    ]
    quality = pl.DataFrame([("tickets", cause, column, int(count)) for cause, column, count in found if count],
                           schema=["dataset", "cause", "column", "count"], orient="row")
    return values, quality


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        sys.exit(__doc__)
    tickets, roster, values_csv, quality_csv = argv
    values, quality = compute(tickets, roster)
    values.write_csv(values_csv)
    quality.write_csv(quality_csv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
