"""Demo data for `retail:returns-agent`, so `appraisal demo --role retail:returns-agent` works.

appraisal calls `demo(folder, role=..., seed=..., period=...)` with `folder` the `data/<role>`
folder beside the copied scheme. This pack's scheme reads `data/agent/` (the datasets it
inherits from the shipped agent scheme) and `data/retail/`, so the demo writes beside
`folder`: appraisal's own agent demo into `data/agent`, then returns and complaints for the same
agents into `data/retail`.

The rows are computed inside DuckDB over `range(n)` from `hash(row, draw, seed)`: no Python
loop per row, and the same seed gives the same bytes. Each agent gets a speed drawn from their
id, so agents differ; a return requested late in the period may still be open at the export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from appraisal import DataError, generate_demo, inline_literal, parse_period

STAMP = "'%Y-%m-%d %H:%M:%S'"


@dataclass(frozen=True)
class RetailDemoFiles:
    """`folder`: the `data` folder appraisal prints; `files`: every file written, by dataset."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)


def demo(folder: Path, *, role: str, seed: int = 2026, period: str = "2026-Q3") -> RetailDemoFiles:
    """Write the data `returns-agent.yaml` reads, beside `folder`, for `period`."""
    if role != "returns-agent":
        raise DataError(f"the retail pack has no demo data for {role!r}; it has returns-agent")
    span = parse_period(period)
    data = Path(folder).parent
    agents = generate_demo(data / "agent", role="agent", seed=seed, period=period)
    retail = data / "retail"
    retail.mkdir(parents=True, exist_ok=True)
    s, days = f"DATE '{span.start}'", span.days
    export = f"DATE '{span.end}' + INTERVAL 10 DAY"
    with duckdb.connect() as con:
        con.execute(f"CREATE MACRO u(i, k) AS (CAST(hash(i, k, {int(seed)}) AS DOUBLE) + 0.5) / 18446744073709551616.0")
        con.execute("CREATE MACRO z(i, k) AS sqrt(-2 * ln(u(i, k))) * cos(2 * pi() * u(i, k + 1))")
        # Agents employed the whole period, each with a speed factor from their id.
        con.execute(f"""CREATE TABLE agents AS SELECT agent_id, 0.5 * z(hash(agent_id), 90) AS slow
            FROM read_csv({inline_literal(agents.roster)}, all_varchar = true)
            WHERE start_date < '{span.start}' AND coalesce(end_date, '') = ''""")
        _copy(con, f"""SELECT printf('R%06d', i) AS return_id, agent_id, printf('O%07d', 1000000 + i) AS order_id,
                CASE WHEN u(i, 3) < 0.3 THEN 'exchange' ELSE 'return' END AS kind,
                strftime(requested_at, {STAMP}) AS requested_at,
                strftime(CASE WHEN done <= {export} AND status = 'completed' THEN done END, {STAMP}) AS completed_at,
                CASE WHEN status = 'completed' AND done > {export} THEN 'open' ELSE status END AS status
            FROM (SELECT *, requested_at + to_seconds(CAST(3600 * 40 * exp(slow + 0.6 * z(i, 4)) AS BIGINT)) AS done,
                    CASE WHEN u(i, 6) < 0.03 THEN 'rejected' ELSE 'completed' END AS status
                  FROM (SELECT row_number() OVER (ORDER BY agent_id, n) AS i, agent_id, slow,
                          {s} + to_days(CAST(floor(u(hash(agent_id, n), 1) * {days}) AS INTEGER))
                              + to_seconds(CAST(floor((8 + 13 * u(hash(agent_id, n), 2)) * 3600) AS BIGINT))
                              AS requested_at
                        FROM agents, range(CAST(round(40 * {days} / 92) AS BIGINT)) AS ns(n)))
            ORDER BY requested_at, i""", retail / "returns.csv")
        _copy(con, f"""SELECT printf('C%06d', i) AS complaint_id, agent_id, strftime(filed_at, {STAMP}) AS filed_at,
                strftime(CASE WHEN closed <= {export} THEN closed END, {STAMP}) AS closed_at,
                CASE WHEN closed <= {export} THEN 'resolved' ELSE 'open' END AS status
            FROM (SELECT *,
                         filed_at + to_seconds(CAST(3600 * 10 * exp(1.5 * slow + 0.9 * z(i, 14)) AS BIGINT)) AS closed
                  FROM (SELECT row_number() OVER (ORDER BY agent_id, n) AS i, agent_id, slow,
                          {s} + to_days(CAST(floor(u(hash(agent_id, n), 11) * {days}) AS INTEGER))
                              + to_seconds(CAST(floor((8 + 13 * u(hash(agent_id, n), 12)) * 3600) AS BIGINT))
                              AS filed_at
                        FROM agents, range(CAST(round(12 * {days} / 92) AS BIGINT)) AS ns(n)))
            ORDER BY filed_at, i""", retail / "complaints.csv")
    files = {"roster": agents.roster, "tickets": agents.tickets, "surveys": agents.surveys,
             "ratings": agents.ratings, "returns": retail / "returns.csv", "complaints": retail / "complaints.csv"}
    return RetailDemoFiles(data, files)


def _copy(con: duckdb.DuckDBPyConnection, select: str, path: Path) -> None:
    con.execute(f"COPY ({select}) TO {inline_literal(path)} (HEADER, DELIMITER ',')")
