"""Demo data for the shipped after-sales manager scheme (`schemes/manager.yaml`).

A manager is appraised on the team's work, so the manager's demo starts from the agents'
demo (`demo_data.generate`, the same seed gives the same tickets and surveys) and adds what
only a manager answers for, each written from DuckDB or a seeded `random.Random`:

- `roster.csv`: the five team managers (the appraisees), reporting to director `D01`.
- `agents.csv`: the agents' roster, the lookup table that takes a ticket to its manager.
- `complaints.csv`: one formal complaint per ticket flagged `complaint = Y`, opened a few
  hours after the ticket; a team's `care` sets how many are resolved.
- `staff.csv`: HR's monthly headcount: one row per agent per month on staff, `left = Y` in
  the month an agent left.
- `training.csv`: two sessions a month, every agent on staff invited, attendance drawn.
- `costs.csv` / `budgets.csv`: monthly service cost lines (labour, logistics, other) and the
  monthly budget of each team from January on (for the year-to-date saving); labour follows
  headcount, logistics the ticket volume.
- `ratings.csv`: the 360 review of each manager's leadership (团队建设) by the director, two or
  three peer managers and three to five of their own agents, with the rater group named.

Planted on top of the agents' defects: one complaint whose ticket is not in the export
(`complaint_unknown_ticket`) and one cost line booked a year before the period
(`cost_outside_period`).
"""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path

import duckdb

from appraisal.demo.agent import TEAMS, generate
from appraisal.demo.files import seeded, write_csv
from appraisal.demo.roles import RoleDemoFiles
from appraisal.periods import parse_period
from appraisal.sql.dialect import inline_literal

DIRECTOR = "D01"
MANAGER_NAMES = {"M01": "陈立", "M02": "林雅", "M03": "黄志强", "M04": "Grace Liu", "M05": "Daniel Wu"}
DEFECTS = {"complaint_unknown_ticket": 1, "cost_outside_period": 1}


def generate_manager(folder: Path, *, seed: int = 2026, period: str = "2026-Q3") -> RoleDemoFiles:
    """Write the manager demo for `period` into `folder`; the same seed gives the same bytes."""
    folder = Path(folder)
    agents = generate(folder, role="agent", seed=seed, period=period)
    (folder / "agents.csv").write_bytes(agents.roster.read_bytes())
    span = parse_period(period)
    rng = random.Random(f"manager:{seed}")
    managers = [m for _, m in TEAMS]
    # Each team's own traits: how carefully complaints are handled, how well cost is run,
    # how many go to training, and the leadership the 360 raters see.
    traits = {m: {k: max(-2.0, min(2.0, rng.gauss(0, 0.9))) for k in ("care", "thrift", "training", "lead")}
              for m in managers}
    write_csv(folder / "roster.csv", ["manager_id", "name", "team", "manager", "start_date", "end_date"],
              [[m, MANAGER_NAMES[m], team, DIRECTOR, "2021-03-01", ""] for team, m in TEAMS])
    write_csv(folder / "ratings.csv", ["appraisee", "indicator", "rater", "group", "rating"],
              _ratings(rng, folder / "agents.csv", managers, traits))
    files = {name: folder / f"{name}.csv" for name in
             ("agents", "tickets", "surveys", "complaints", "staff", "training", "costs", "budgets", "ratings")}
    with duckdb.connect() as con:
        seeded(con, seed)
        con.execute("CREATE TABLE traits (manager VARCHAR, care DOUBLE, thrift DOUBLE, training DOUBLE)")
        con.executemany("INSERT INTO traits VALUES (?, ?, ?, ?)",
                        [(m, t["care"], t["thrift"], t["training"]) for m, t in traits.items()])
        for table in ("agents", "tickets"):
            source = inline_literal(files[table])
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv({source}, all_varchar = true)")
        _months(con, span.start, span.end)
        _complaints(con, files["complaints"])
        _staff(con, files["staff"], files["training"])
        _money(con, files["costs"], files["budgets"], span.start)
    defects = {**agents.defects, **DEFECTS}
    return RoleDemoFiles(folder, folder / "roster.csv", files, defects, agents.unknown_agent, agents.duplicate_ticket)



def _ratings(
    rng: random.Random, roster: Path, managers: list[str], traits: dict[str, dict[str, float]]
) -> list[list[object]]:
    with roster.open(encoding="utf-8") as handle:
        team_of = [(row["agent_id"], row["manager"]) for row in csv.DictReader(handle) if not row["end_date"]]
    rows: list[list[object]] = []
    for manager in managers:
        lead = traits[manager]["lead"]
        peers = rng.sample([m for m in managers if m != manager], rng.choice((2, 3)))
        own = rng.sample([a for a, m in team_of if m == manager], rng.choice((3, 4, 5)))
        raters = [(DIRECTOR, "supervisor"), *((p, "peers") for p in peers), *((a, "subordinates") for a in own)]
        for rater, group in raters:
            rating = round(3.7 + 0.5 * lead + rng.gauss(0, 0.55))
            rows.append([manager, "leadership", rater, group, max(1, min(5, rating))])
    return rows


def _months(con: duckdb.DuckDBPyConnection, start: date, end: date) -> None:
    con.execute(
        f"CREATE TABLE months AS SELECT CAST(m AS DATE) AS month, CAST(m + INTERVAL 1 MONTH AS DATE) AS next "
        f"FROM range(DATE '{start}', DATE '{end}', INTERVAL 1 MONTH) AS r(m)"
    )


def _complaints(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    con.execute("""
        CREATE TABLE complaints AS
        SELECT t.ticket_id,
               CAST(t.created_at AS TIMESTAMP) + to_seconds(CAST(3600 * (2 + 20 * u(hash(t.ticket_id), 1)) AS BIGINT))
                AS opened_at, a.manager, hash(t.ticket_id) AS h, c.care
        FROM tickets AS t JOIN agents AS a ON a.agent_id = t.agent_id JOIN traits AS c ON c.manager = a.manager
        WHERE t.complaint = 'Y'
    """)
    con.execute(f"""
        COPY (
            SELECT printf('CP%05d', row_number() OVER (ORDER BY opened_at, ticket_id)) AS complaint_id, ticket_id,
                strftime(opened_at, '%Y-%m-%d %H:%M:%S') AS opened_at,
                CASE WHEN resolved THEN strftime(opened_at + to_seconds(CAST(86400 * (0.5 + 4 * u(h, 3)) AS BIGINT)),
                    '%Y-%m-%d %H:%M:%S') END AS closed_at,
                CASE WHEN resolved THEN 'resolved' ELSE 'open' END AS status
            FROM (SELECT *, u(h, 2) < least(0.98, greatest(0.5, 0.85 + 0.07 * care)) AS resolved FROM complaints
                  UNION ALL
                  SELECT 'TK999999', (SELECT min(opened_at) FROM complaints) + INTERVAL 1 DAY, '', 0, 0, FALSE)
            ORDER BY opened_at, ticket_id
        ) TO {inline_literal(out)} (HEADER, DELIMITER ',')
    """)


def _staff(con: duckdb.DuckDBPyConnection, staff: Path, training: Path) -> None:
    """Monthly headcount and training invitations, for everyone on staff in each month."""
    con.execute("""
        CREATE TABLE on_staff AS
        SELECT m.month, m.next, a.agent_id, a.manager,
            coalesce(TRY_CAST(a.end_date AS DATE) < m.next, FALSE) AS left_now
        FROM months AS m JOIN agents AS a
          ON CAST(a.start_date AS DATE) < m.next
             AND (a.end_date = '' OR a.end_date IS NULL OR CAST(a.end_date AS DATE) >= m.month)
    """)
    con.execute(f"""
        COPY (SELECT strftime(month, '%Y-%m-%d') AS month, agent_id, manager,
                     CASE WHEN left_now THEN 'Y' ELSE 'N' END AS "left"
              FROM on_staff ORDER BY month, agent_id) TO {inline_literal(staff)} (HEADER, DELIMITER ',')
    """)
    con.execute(f"""
        COPY (
            SELECT printf('TR%s-%d', strftime(s.month, '%Y%m'), s.n) AS session_id, s.agent_id,
                strftime(s.month + to_days(CAST(s.n * 14 + 3 AS INTEGER)) + INTERVAL 14 HOUR, '%Y-%m-%d %H:%M:%S')
                    AS session_at,
                CASE WHEN u(hash(s.agent_id, s.month, s.n), 4) < least(0.99, greatest(0.5, 0.86 + 0.06 * t.training))
                     THEN 'Y' ELSE 'N' END AS attended
            FROM (SELECT o.*, unnest([0, 1]) AS n FROM on_staff AS o WHERE NOT o.left_now) AS s
            JOIN traits AS t ON t.manager = s.manager
            ORDER BY session_at, session_id, agent_id
        ) TO {inline_literal(training)} (HEADER, DELIMITER ',')
    """)


def _money(con: duckdb.DuckDBPyConnection, costs: Path, budgets: Path, start: date) -> None:
    """Labour follows headcount, logistics the ticket volume; budgets are planned on both.
    Costs and budgets run from January, so the year to date can be appraised too."""
    con.execute("""
        CREATE TABLE volume AS
        SELECT m.month, a.manager, count(*) AS tickets FROM tickets AS t
        JOIN agents AS a ON a.agent_id = t.agent_id
        JOIN months AS m ON CAST(t.created_at AS TIMESTAMP) >= m.month AND CAST(t.created_at AS TIMESTAMP) < m.next
        GROUP BY ALL
    """)
    con.execute("""
        CREATE TABLE spend AS
        SELECT h.month, h.manager, 9000 * h.heads AS plan_labour, 14 * v.tickets AS plan_logistics, 12000 AS plan_other,
            t.thrift
        FROM (SELECT month, manager, count(*) AS heads FROM on_staff GROUP BY ALL) AS h
        JOIN volume AS v USING (month, manager) JOIN traits AS t USING (manager)
    """)
    # The months of the year before the period (for year-to-date cost): the period's average
    # month, give or take 5%, so a year-to-date indicator has a year to add up.
    con.execute(f"""
        INSERT INTO spend
        SELECT CAST(m AS DATE), manager, round(avg(plan_labour) * f), round(avg(plan_logistics) * f), 12000,
               any_value(thrift)
        FROM spend, range(DATE '{start.year}-01-01', DATE '{start}', INTERVAL 1 MONTH) AS r(m),
            LATERAL (SELECT 0.95 + 0.1 * u(hash(manager, m), 6) AS f)
        GROUP BY m, manager, f
    """)
    con.execute(f"""
        COPY (
            SELECT printf('CO-%s-%s-%s', manager, strftime(month, '%Y%m'), category) AS cost_id, manager,
                strftime(month, '%Y-%m-%d') AS month, category, amount_cny
            FROM (
                SELECT month, manager, c.category,
                    CAST(round(c.plan * (1 - 0.04 * thrift + 0.03 * (u(hash(manager, month, c.category), 5) - 0.5)), 0)
                         AS BIGINT)
                        AS amount_cny
                FROM spend, unnest([{{'category': 'labour', 'plan': plan_labour}},
                                    {{'category': 'logistics', 'plan': plan_logistics}},
                                    {{'category': 'other', 'plan': plan_other}}]) AS x(c)
                UNION ALL SELECT DATE '{start}' - INTERVAL 400 DAY, 'M01', 'other', 5000
            ) ORDER BY month, manager, category
        ) TO {inline_literal(costs)} (HEADER, DELIMITER ',')
    """)
    con.execute(f"""
        COPY (
            SELECT printf('BG-%s-%s', manager, strftime(month, '%Y%m')) AS budget_id, manager,
                strftime(month, '%Y-%m-%d') AS month,
                CAST(round((plan_labour + plan_logistics + plan_other) * 1.01, -3) AS BIGINT) AS budget_cny
            FROM spend ORDER BY month, manager
        ) TO {inline_literal(budgets)} (HEADER, DELIMITER ',')
    """)
