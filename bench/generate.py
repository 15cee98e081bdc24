"""Deterministic synthetic tickets and a roster, written as Parquet by DuckDB.

    python bench/generate.py --rows 1000000 --agents 1000      # -> bench/data/1m/
    python bench/generate.py --rows 10000000 --agents 10000    # -> bench/data/10m/

Every value is a hash of the row number and a seed, computed inside DuckDB over `range(N)`
and streamed to Parquet: no Python object per row, the same file for the same arguments (and
DuckDB version). The output folder is self-contained: `tickets.parquet`, `roster.parquet`,
a copy of `bench/scheme.yaml` and `recipe.sql`, the SQL that wrote them (bench/data_bench.py
regenerates a folder whose recipe differs from the current one).

Deliberate defects, each in a known small share of rows (see `DEFECTS`):
null first responses, first responses and resolutions before creation (negative elapsed
times, which appraisal drops from the mean or median and counts as `negative duration` under
the indicator's id), negative handle times (a `duration` column the engine counts as
`negative duration`), agents not on the
roster, repeated ticket ids (the repeat comes later in the file and differs in every other
column, so keeping the wrong one shows), supplier-defect tickets (excluded by the scheme),
and tickets created outside 2026-Q3 (July to October). Roster members beyond `agents` have
no tickets at all (`insufficient data`).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
SCHEME = HERE / "scheme.yaml"
RECIPE = "recipe.sql"

# Share of rows, in parts per million, for each defect.
DEFECTS = {
    "no_first_response": 30_000,     # first_response_at is NULL
    "responded_before_created": 200, # first_response_at < created_at
    "resolved_before_created": 500,  # a resolved ticket's resolved_at < created_at
    "negative_handle_time": 300,     # handle_time < 0 (a declared duration column)
    "unknown_agent": 500,            # agent id not on the roster
    "duplicate_ticket": 1_000,       # ticket id of a row LAG (or rows/10) rows earlier
    "supplier_defect": 20_000,       # cause = 'supplier_defect' (excluded)
}
LAG = 7_919  # a repeated ticket id names the row this many rows earlier
START = "2026-07-01 00:00:00"  # created_at spans July to October: a quarter of it is not in Q3
SPAN_SECONDS = 123 * 24 * 3600


@dataclass(frozen=True)
class Generated:
    folder: Path
    tickets: Path
    roster: Path
    scheme: Path


def size_label(rows: int) -> str:
    """`1m` for a million rows, `10m`, `5k`, or the number itself."""
    for unit, suffix in ((1_000_000, "m"), (1_000, "k")):
        if rows % unit == 0:
            return f"{rows // unit}{suffix}"
    return str(rows)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def tickets_sql(rows: int, agents: int, seed: int, defect_scale: float = 1.0) -> str:
    """SELECT producing the ticket rows in file order (row number `i`).

    `defect_scale` multiplies every defect's share, so that a tiny test file still has some.
    """
    d = {name: min(1_000_000, round(ppm * defect_scale)) for name, ppm in DEFECTS.items()}
    lag = max(1, min(LAG, rows // 10))

    def draw(k: int, modulo: int) -> str:
        return f"CAST(hash(i, {seed * 100 + k}) % {modulo} AS BIGINT)"

    return f"""
        SELECT
            CASE WHEN dup THEN printf('T%09d', i - {lag}) ELSE printf('T%09d', i) END AS ticket_id,
            CASE WHEN {draw(2, 1_000_000)} < {d['unknown_agent']}
                 THEN printf('X%05d', {draw(3, agents)} + 1)
                 ELSE printf('A%05d', {draw(3, agents)} + 1) END AS agent_id,
            created_at,
            CASE WHEN {draw(4, 1_000_000)} < {d['no_first_response']} THEN NULL
                 WHEN {draw(16, 1_000_000)} < {d['responded_before_created']}
                 THEN created_at - to_seconds({draw(5, 3600)} + 30)
                 ELSE created_at + to_seconds({draw(5, 8 * 3600)} + 30) END AS first_response_at,
            CASE WHEN status = 'resolved' THEN
                CASE WHEN {draw(6, 1_000_000)} < {d['resolved_before_created']}
                     THEN created_at - to_seconds({draw(7, 6 * 3600)} + 60)
                     ELSE created_at + to_seconds({draw(7, 96 * 3600)} + 60) END
            END AS resolved_at,
            status,
            {draw(8, 100)} < 5 AS reopened,
            ['email', 'phone', 'chat', 'web'][{draw(9, 4)} + 1] AS channel,
            CASE WHEN {draw(10, 1_000_000)} < {d['supplier_defect']} THEN 'supplier_defect'
                 ELSE ['billing', 'shipping', 'product', 'account'][{draw(11, 4)} + 1] END AS cause,
            CASE WHEN NOT dup AND {draw(12, 1_000_000)} < {d['negative_handle_time']}
                 THEN -CAST({draw(13, 600)} + 1 AS DOUBLE)
                 ELSE CAST({draw(13, 3600)} + 60 AS DOUBLE) END AS handle_time
        FROM (
            SELECT i,
                   i >= {lag} AND {draw(1, 1_000_000)} < {d['duplicate_ticket']} AS dup,
                   TIMESTAMP '{START}' + to_seconds({draw(14, SPAN_SECONDS)}) AS created_at,
                   CASE WHEN {draw(15, 100)} < 70 THEN 'resolved'
                        WHEN {draw(15, 100)} < 85 THEN 'open' ELSE 'closed' END AS status
            FROM range({rows}) AS r(i)
        )
    """


def roster_sql(agents: int) -> str:
    """Everyone with tickets, plus 1% (at least one) more who have none."""
    extra = max(1, agents // 100)
    return f"""
        SELECT printf('A%05d', i) AS agent_id, printf('Agent %d', i) AS name,
               printf('team-%02d', i % 20) AS team
        FROM range(1, {agents + extra + 1}) AS r(i)
    """


def recipe(rows: int, agents: int, seed: int = 1, defect_scale: float = 1.0) -> str:
    """The SQL that writes a folder's data: equal recipes, equal files."""
    return (f"-- tickets\n{tickets_sql(rows, agents, seed, defect_scale).strip()}\n"
            f"-- roster\n{roster_sql(agents).strip()}\n")


def is_current(folder: Path, rows: int, agents: int, seed: int = 1, defect_scale: float = 1.0) -> bool:
    """True when `folder` holds data written by this generator for these arguments."""
    try:
        written = (folder / RECIPE).read_text(encoding="utf-8")
    except OSError:
        return False
    return (written == recipe(rows, agents, seed, defect_scale)
            and (folder / "tickets.parquet").is_file() and (folder / "roster.parquet").is_file())


def generate(
    folder: Path, rows: int, agents: int, *, seed: int = 1, defect_scale: float = 1.0, threads: int | None = None
) -> Generated:
    """Write tickets, roster, the scheme and the recipe into `folder` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = Generated(folder, folder / "tickets.parquet", folder / "roster.parquet", folder / "scheme.yaml")
    (folder / RECIPE).unlink(missing_ok=True)  # written last: a half-written folder is never current
    config: dict[str, str | bool | int | float | list[str]] = {"preserve_insertion_order": True}
    if threads:
        config["threads"] = threads
    with duckdb.connect(config=config) as con:
        con.execute(f"COPY ({tickets_sql(rows, agents, seed, defect_scale)}) TO {_literal(out.tickets)} "
                    "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)")
        con.execute(f"COPY ({roster_sql(agents)}) TO {_literal(out.roster)} (FORMAT parquet)")
    shutil.copyfile(SCHEME, out.scheme)
    (folder / RECIPE).write_text(recipe(rows, agents, seed, defect_scale), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="output folder (default: bench/data/<size>)")
    args = parser.parse_args(argv)
    folder = args.out or HERE / "data" / size_label(args.rows)
    out = generate(folder, args.rows, args.agents, seed=args.seed)
    print(f"wrote {out.tickets} ({args.rows:,} tickets, {args.agents:,} agents), {out.roster}, {out.scheme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
