"""Deterministic data for the shipped agent scheme (schemes/agent.yaml) at benchmark scale.

    python bench/agent_generate.py --tickets 1000000 --agents 1000    # -> bench/data/agent-1m/

The demo generator (`appraisal.demo.agent.generate`) writes 50 agents and about 30,000 tickets
a quarter, with a story in them (skills, rhythms, planted defects one by one). This writes the
same files with the same columns (roster, tickets, surveys, ratings, pay, sales as CSV) for as
many tickets and agents as asked, without the story: every value is a hash of the row number
and a seed, computed inside DuckDB over `range(N)` and streamed to CSV, so no Python object is
made per row and the same arguments give the same bytes (with the same DuckDB version).

What the scheme then has to do is what it does on real data: read CSV, drop repeated ticket
ids, window the quarter (Asia/Shanghai), exclude supplier defects, find repeat problems (the
same customer and problem type within 7 days of a resolution), join surveys to their tickets,
average ratings, and pay bonuses and commissions. The defects, in small shares (`DEFECTS`, parts
per million): missing first responses, resolutions before creation, tickets of an agent not on
the roster, repeated ticket ids (a stale `open` copy later in the file), supplier-defect tickets,
and tickets created in the days around the quarter. One agent in a hundred joined in September
and has no tickets (`insufficient data`).

The folder holds `agent.yaml` (a copy of schemes/agent.yaml), `data/agent/*.csv` (the paths the
scheme names) and `recipe.sql`, the SQL that wrote them: a folder whose recipe differs from the
current one is written afresh by the benchmark.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
SCHEME = HERE.parent / "schemes" / "agent.yaml"
RECIPE = "recipe.sql"
DEFECTS = {  # parts per million of the tickets
    "no_first_response": 12_000,
    "resolved_before_created": 50,
    "unknown_agent": 50,
    "duplicate_ticket": 100,
    "supplier_defect": 1_000,
}
LAG = 7_919  # a repeated ticket id names the row this many rows earlier
START = "2026-06-29 00:00:00"  # created_at spans 96 days around 2026-Q3: about 5% fall outside it
SPAN_SECONDS = 96 * 24 * 3600
NEW_HIRE_EVERY = 100  # every hundredth agent joined on 2026-09-01 and has no tickets yet
STAMP = "'%Y-%m-%d %H:%M:%S'"


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _draw(k: int, modulo: int, seed: int, of: str = "i") -> str:
    return f"CAST(hash({of}, {seed * 100 + k}) % {modulo} AS BIGINT)"


def _agent(of: str, agents: int, seed: int, k: int) -> str:
    """An agent number in 1..agents drawn for row `of`, never a new hire (who has no work yet)."""
    j = f"({_draw(k, agents, seed, of)} + 1)"
    return f"CASE WHEN {j} % {NEW_HIRE_EVERY} = 0 THEN {j} - 1 ELSE {j} END"


def tickets_sql(tickets: int, agents: int, seed: int) -> str:
    """SELECT of the tickets in file order, with the columns the scheme declares (and `i`, `dup`)."""
    d, lag = DEFECTS, max(1, min(LAG, tickets // 10))

    def draw(k: int, modulo: int) -> str:
        return _draw(k, modulo, seed)

    return f"""
        SELECT i, dup,
            printf('TK%09d', CASE WHEN dup THEN i - {lag} ELSE i END) AS ticket_id,
            CASE WHEN {draw(2, 1_000_000)} < {d['unknown_agent']} THEN 'CS999999'
                 ELSE printf('CS%06d', {_agent('i', agents, seed, 3)}) END AS agent_id,
            created_at,
            CASE WHEN {draw(4, 1_000_000)} >= {d['no_first_response']}
                 THEN created_at + to_seconds({draw(5, 6 * 3600)} + 60) END AS first_response_at,
            CASE WHEN status = 'resolved' THEN
                CASE WHEN {draw(6, 1_000_000)} < {d['resolved_before_created']}
                     THEN created_at - to_seconds({draw(7, 6 * 3600)} + 60)
                     ELSE created_at + to_seconds({draw(7, 96 * 3600)} + 600) END
            END AS resolved_at,
            status,
            CASE WHEN status = 'resolved' AND {draw(8, 100)} < 5 THEN 'Y' ELSE 'N' END AS reopened,
            ['phone', 'chat', 'email', 'app'][{draw(9, 4)} + 1] AS channel,
            cause,
            printf('C%08d', {draw(11, max(1, tickets // 4))}) AS customer_id,
            CASE cause WHEN 'supplier_defect' THEN 'product_defect' ELSE cause END AS problem_type,
            CASE WHEN {draw(12, 100)} < 65 THEN 1 ELSE 2 + {draw(13, 3)} END AS contacts,
            CASE WHEN {draw(14, 100)} < 1 THEN 'Y' ELSE 'N' END AS complaint
        FROM (
            SELECT i,
                i >= {lag} AND {draw(1, 1_000_000)} < {d['duplicate_ticket']} AS dup,
                TIMESTAMP '{START}' + to_seconds({draw(15, SPAN_SECONDS)}) AS created_at,
                CASE WHEN dup THEN 'open' WHEN {draw(16, 100)} < 90 THEN 'resolved'
                     WHEN {draw(16, 100)} < 95 THEN 'open' ELSE 'closed' END AS status,
                CASE WHEN {draw(10, 1_000_000)} < {d['supplier_defect']} THEN 'supplier_defect'
                     ELSE ['usage_question', 'logistics', 'product_defect', 'refund'][{draw(17, 4)} + 1] END AS cause
            FROM range({tickets}) AS r(i)
        )
    """


def files_sql(tickets: int, agents: int, seed: int) -> dict[str, str]:
    """File name -> SELECT writing it (in file order)."""
    t = tickets_sql(tickets, agents, seed)
    return {
        "roster.csv": f"""
            SELECT printf('CS%06d', i) AS agent_id, printf('Agent %d', i) AS name,
                printf('team-%03d', i % greatest(1, {agents} // 10)) AS team,
                printf('M%03d', i % greatest(1, {agents} // 10)) AS manager,
                CASE WHEN i % {NEW_HIRE_EVERY} = 0 THEN '2026-09-01'
                     ELSE strftime(DATE '2024-01-01' + to_days(CAST({_draw(20, 700, seed)} AS INTEGER)), '%Y-%m-%d')
                END AS start_date,
                NULL::VARCHAR AS end_date
            FROM range(1, {agents + 1}) AS r(i)""",
        "tickets.csv": f"""
            SELECT ticket_id, agent_id, strftime(created_at, {STAMP}) AS created_at,
                strftime(first_response_at, {STAMP}) AS first_response_at,
                strftime(resolved_at, {STAMP}) AS resolved_at, status, reopened, channel, cause,
                customer_id, problem_type, contacts, complaint
            FROM ({t})""",
        "surveys.csv": f"""
            SELECT printf('SV%09d', i) AS survey_id, ticket_id,
                strftime(resolved_at + to_seconds({_draw(21, 2 * 86400, seed)} + 600), {STAMP}) AS answered_at,
                CASE WHEN {_draw(22, 100, seed)} < 55 THEN 5 WHEN {_draw(22, 100, seed)} < 85 THEN 4
                     WHEN {_draw(22, 100, seed)} < 93 THEN 3 WHEN {_draw(22, 100, seed)} < 97 THEN 2 ELSE 1 END AS score
            FROM ({t})
            WHERE status = 'resolved' AND NOT dup AND resolved_at > created_at AND {_draw(23, 100, seed)} < 30""",
        "ratings.csv": f"""
            SELECT printf('CS%06d', i) AS appraisee, 'qa_review' AS indicator,
                CASE WHEN k = 0 THEN printf('M%03d', i % greatest(1, {agents} // 10)) ELSE 'QA01' END AS rater,
                1 + {_draw(24, 5, seed, 'i * 2 + k')} AS rating
            FROM range(1, {agents + 1}) AS r(i), range(2) AS q(k)
            WHERE i % {NEW_HIRE_EVERY} <> 0
            ORDER BY i, k""",
        "pay.csv": f"""
            SELECT printf('CS%06d', i) AS agent_id, 3000 + 100 * {_draw(25, 6, seed)} AS bonus_base
            FROM range(1, {agents + 1}) AS r(i)""",
        "sales.csv": f"""
            SELECT printf('SA%09d', i) AS sale_id, printf('CS%06d', {_agent('i', agents, seed, 26)}) AS agent_id,
                strftime(TIMESTAMP '2026-07-01 00:00:00' + to_seconds({_draw(27, 92 * 86400, seed)}), {STAMP})
                    AS sold_at,
                99 + {_draw(28, 1100, seed)} AS amount
            FROM range({max(1, tickets // 30)}) AS r(i)""",
    }


def recipe(tickets: int, agents: int, seed: int = 1) -> str:
    """The SQL that writes a folder's data: equal recipes, equal files."""
    return "".join(f"-- {name}\n{sql.strip()}\n" for name, sql in files_sql(tickets, agents, seed).items())


def scheme_path(folder: Path) -> Path:
    return folder / "agent.yaml"


def is_current(folder: Path, tickets: int, agents: int, seed: int = 1) -> bool:
    """True when `folder` holds data written by this generator for these arguments."""
    try:
        written = (folder / RECIPE).read_text(encoding="utf-8")
    except OSError:
        return False
    return written == recipe(tickets, agents, seed) and all(
        (folder / "data" / "agent" / name).is_file() for name in files_sql(tickets, agents, seed))


def generate(folder: Path, tickets: int, agents: int, *, seed: int = 1, threads: int | None = None) -> Path:
    """Write the CSV files, the scheme and the recipe into `folder`; return the scheme's path."""
    data = folder / "data" / "agent"
    data.mkdir(parents=True, exist_ok=True)
    (folder / RECIPE).unlink(missing_ok=True)  # written last: a half-written folder is never current
    config: dict[str, str | bool | int | float | list[str]] = {"preserve_insertion_order": True}
    if threads:
        config["threads"] = threads
    with duckdb.connect(config=config) as con:
        for name, sql in files_sql(tickets, agents, seed).items():
            con.execute(f"COPY ({sql}) TO {_literal(data / name)} (FORMAT csv, HEADER)")
    shutil.copyfile(SCHEME, scheme_path(folder))
    (folder / RECIPE).write_text(recipe(tickets, agents, seed), encoding="utf-8")
    return scheme_path(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--agents", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="output folder (default: bench/data/agent-<tickets>)")
    args = parser.parse_args(argv)
    label = f"{args.tickets // 1_000_000}m" if args.tickets % 1_000_000 == 0 else str(args.tickets)
    folder = args.out or HERE / "data" / f"agent-{label}"
    scheme = generate(folder, args.tickets, args.agents, seed=args.seed)
    print(f"wrote {args.tickets:,} tickets for {args.agents:,} agents into {folder / 'data' / 'agent'}; "
          f"scheme {scheme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
