"""The benchmark's scheme computed as a pandas group-by, for comparison with `appraisal`.

    python bench/pandas_baseline.py TICKETS.parquet ROSTER.parquet VALUES.csv QUALITY.csv

The same rules as bench/baseline.sql (read its header): first row of a repeated ticket id
kept, then the 2026-Q3 window, the supplier-defect exclusion and the roster; a negative
elapsed time is dropped from its indicator and counted as `negative duration` (column: the
indicator id) over the kept rows. The outputs have the columns of `appraisal measure --csv`
and `--quality-csv`.
"""

from __future__ import annotations

import sys

import pandas as pd

START, END = pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01")
INDICATORS = ("tickets", "first_response_h", "resolution_rate", "resolution_h", "reopen_rate")
COLUMNS = ["ticket_id", "agent_id", "created_at", "first_response_at", "resolved_at",
           "status", "reopened", "cause", "handle_time"]
HOUR = pd.Timedelta(hours=1)


def compute(tickets: str, roster: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values, quality) frames with the columns of `appraisal measure`'s two CSV files."""
    df = pd.read_parquet(tickets, columns=COLUMNS)
    ids = pd.read_parquet(roster, columns=["agent_id"])["agent_id"].astype(str).drop_duplicates()

    negative_handle_time = int((df["handle_time"] < 0).sum())
    repeat = df["ticket_id"].notna() & df["ticket_id"].duplicated(keep="first")
    df = df[~repeat]
    in_period = (df["created_at"] >= START) & (df["created_at"] < END)
    outside = int((~in_period & df["created_at"].notna()).sum())
    df = df[in_period]
    excluded_rows = df["cause"].eq("supplier_defect").fillna(False).astype(bool)
    excluded = int(excluded_rows.sum())
    df = df[~excluded_rows]
    # Elapsed times: a negative one is a data error, counted over the kept rows and dropped.
    first_response_h = (df["first_response_at"] - df["created_at"]) / HOUR
    resolution_h = (df["resolved_at"] - df["created_at"]) / HOUR
    negative_first_response_h = int((first_response_h < 0).sum())
    negative_resolution_h = int((resolution_h < 0).sum())
    resolved = df["status"].eq("resolved")
    df = df.assign(
        first_response_h=first_response_h.where(first_response_h >= 0),
        resolution_h=resolution_h.where((resolution_h >= 0) & resolved),
        resolved=resolved,
        reopened=df["reopened"].fillna(False).astype(bool),
    )
    known = df["agent_id"].isin(ids)
    unknown = int((~known).sum())
    df = df[known]
    g = df.groupby("agent_id", sort=False).agg(
        n=("status", "size"),
        first_response_h=("first_response_h", "median"),
        first_response_h_rows=("first_response_h", "count"),
        n_resolved=("resolved", "sum"),
        resolution_h=("resolution_h", "mean"),
        resolution_h_rows=("resolution_h", "count"),
        n_reopened=("reopened", "sum"),
    )
    g = g.reindex(ids).fillna({"n": 0, "first_response_h_rows": 0, "resolution_h_rows": 0})
    n = g["n"].astype("int64")
    rate_base = n.where(n > 0).astype("float64")
    wide = {
        "tickets": (n.astype("float64"), n),
        "first_response_h": (g["first_response_h"], g["first_response_h_rows"].astype("int64")),
        "resolution_rate": (g["n_resolved"] / rate_base, n),
        "resolution_h": (g["resolution_h"], g["resolution_h_rows"].astype("int64")),
        "reopen_rate": (g["n_reopened"] / rate_base, n),
    }
    parts = []
    for order, name in enumerate(INDICATORS):
        value, rows = wide[name]
        value = value.where(rows > 0).astype("float64")
        parts.append(pd.DataFrame({
            "appraisee": ids.to_numpy(), "order": order, "indicator": name,
            "value": value.to_numpy(), "rows": rows.to_numpy(),
        }))
    values = pd.concat(parts, ignore_index=True).sort_values(["appraisee", "order"], kind="stable")
    values["status"] = values["value"].notna().map({True: "ok", False: "insufficient data"})
    values = values.drop(columns="order").reset_index(drop=True)

    counts = [
        ("duplicate key", "ticket_id", int(repeat.sum())),
        ("negative duration", "handle_time", negative_handle_time),
        ("outside period", "created_at", outside),
        ("excluded: supplier batch 2026-07", "", excluded),
        ("unknown appraisee", "agent_id", unknown),
        ("negative duration", "first_response_h", negative_first_response_h),
        ("negative duration", "resolution_h", negative_resolution_h),
    ]
    quality = pd.DataFrame(
        [("tickets", cause, column, count) for cause, column, count in counts if count],
        columns=["dataset", "cause", "column", "count"],
    )
    return values, quality


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        sys.exit(__doc__)
    tickets, roster, values_csv, quality_csv = argv
    values, quality = compute(tickets, roster)
    values.to_csv(values_csv, index=False, float_format="%.17g")
    quality.to_csv(quality_csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
