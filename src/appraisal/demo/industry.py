"""Demo data for the industry packs: `manufacturing:service-engineer` and `it:support-engineer`.

`generate(folder, role=STEM)` writes the roster and the datasets the pack's scheme names
(`schemes/<pack>/<STEM>.yaml`, data under `data/<STEM>/`) for one period. As in `demo_roles`,
the roster and the ratings (tens of rows) come from `random.Random(seed)`; the evidence rows
are computed inside DuckDB from `hash(row, draw, seed)`, so the same seed gives the same bytes.

Each person has a `skill` (about -2 to 2; one forced clearly good, one clearly poor) and a
second trait `other` (how well they plan parts and keep customers), so people differ visibly.

Manufacturing: about 90 work orders per engineer a quarter (3% factory recalls, which the
scheme excludes), spare-part requests for most repairs (the repair waits for its parts; a part
never delivered leaves the order open), monthly repair budgets made from the standard cost of
the orders, the customers' orders from the ERP (`orders.csv`: some before the fault; after a
repair, an order within 90 days, a later one, or none) and ratings of the technical support.
IT: about 250 incidents per engineer a quarter by priority and channel, a platform outage on
one day (1.2% of incidents, excluded), reopened incidents, and feedback surveys on a third of
the resolved ones.

Planted defects (counts in `RoleDemoFiles.defects`), in the main dataset of each role: a row for
an appraisee not on the roster (`<prefix>999`), a key written twice whose second copy, last in
the file, is a stale export (open, not resolved), and a row moved 100 days back, out of the
period. The manufacturing ratings also hold one rating of 6, outside the 1-5 scale.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb

from appraisal.demo.files import copy_csv, expand, seeded, write_csv
from appraisal.demo.roles import NAMES, RoleDemoFiles
from appraisal.errors import DataError
from appraisal.periods import parse_period

STAMP = "'%Y-%m-%d %H:%M:%S'"
# role (scheme stem) -> (pack, id prefix, headcount, teams with their managers, roster team column)
PEOPLE = {
    "service-engineer": ("manufacturing", "ME", 16,
                         [("华东服务站", "SM1"), ("华南服务站", "SM2"), ("North station", "SM3")], "region"),
    "support-engineer": ("it", "IT", 18, [("在线支持", "TL1"), ("应用支持", "TL2"), ("Platform", "TL3")], "team"),
}
AUDITORS = ["TA01", "TA02", "TA03", "TA04"]
Person = tuple[str, str, str, str, date, float, float, float]  # id, name, team, manager, start, skill, load, other


def generate(folder: Path, *, role: str, seed: int = 2026, period: str = "2026-Q3") -> RoleDemoFiles:
    """Write the demo data of `role` (a scheme stem of an industry pack) for `period` into `folder`."""
    if role not in PEOPLE:
        raise DataError(f"there is no industry demo data for role {role!r}: there is " + ", ".join(
            f"{pack}:{stem}" for stem, (pack, *_rest) in PEOPLE.items()))
    span = parse_period(period)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{role}:{seed}")
    people = _roster(rng, role, span.start)
    roster = folder / "roster.csv"
    write_csv(roster, ["engineer_id", "name", PEOPLE[role][4], "manager", "start_date", "end_date"],
              [[p[0], p[1], p[2], p[3], p[4].isoformat(), ""] for p in people])
    make: Callable[..., dict[str, Path]] = _manufacturing if role == "service-engineer" else _it
    with duckdb.connect() as con:
        seeded(con, seed)
        con.execute("CREATE TABLE people (idx INTEGER, id VARCHAR, skill DOUBLE, load DOUBLE, other DOUBLE)")
        con.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?)",
                        [(n, p[0], p[5], p[6], p[7]) for n, p in enumerate(people)])
        picks: list[int] = []
        files = make(con, folder, f"DATE '{span.start}'", f"DATE '{span.end}'", span.days, rng, picks)
    defects = {"unknown_appraisee": 1, "duplicate_key": 1, "outside_period": 1}
    prefix = PEOPLE[role][1]
    if role == "service-engineer":
        write_csv(folder / "ratings.csv", ["appraisee", "indicator", "rater", "rating"], _ratings(rng, people))
        files["ratings"] = folder / "ratings.csv"
        defects["rating_out_of_scale"] = 1
    key = "WO%05d" if role == "service-engineer" else "IN%06d"
    return RoleDemoFiles(folder, roster, files, defects, f"{prefix}999", key % picks[1], key % picks[2])


def _roster(rng: random.Random, role: str, start: date) -> list[Person]:
    _pack, prefix, count, teams, _column = PEOPLE[role]
    names = rng.sample(NAMES, count)
    skills = [max(-2.2, min(2.2, rng.gauss(0, 0.8))) for _ in names]
    good, poor = rng.sample(range(count), 2)
    skills[good], skills[poor] = 2.0, -2.0
    return [(f"{prefix}{n + 1:03d}", name, *teams[n % len(teams)], start - timedelta(days=rng.randint(60, 2000)),
             skills[n], rng.uniform(0.8, 1.2), max(-2.2, min(2.2, rng.gauss(0, 0.9))))
            for n, name in enumerate(names)]


def _ratings(rng: random.Random, people: list[Person]) -> list[list[object]]:
    """The manager and two technical auditors rate each engineer's support; one rating is a 6."""
    rows: list[list[object]] = []
    for p in people:
        for rater in [p[3], *rng.sample(AUDITORS, 2)]:
            rating = max(1, min(5, round(3.6 + 0.55 * p[5] + rng.gauss(0, 0.6))))
            rows.append([p[0], "tech_support_quality", rater, rating])
    rows.append([people[1][0], "tech_support_quality", "TA09", 6])  # outside the 1-5 scale: left out, counted
    return rows




def _plant(con: duckdb.DuckDBPyConnection, rng: random.Random, table: str, prefix: str, picks: list[int],
           times: list[str], stale: str) -> None:
    """Three rows, appended to `picks`: an unknown engineer, a stale copy, a row moved back.

    `table_out` gets every row with `copy` 0, and the stale copy with `copy` 1, written last."""
    [(count,)] = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    picks.extend(rng.sample(range(1, count + 1), 3))
    con.execute(f"UPDATE {table} SET engineer_id = '{prefix}999' WHERE i = {picks[0]}")
    moves = ", ".join(f"{c} = {c} - INTERVAL 100 DAY" for c in times)
    con.execute(f"UPDATE {table} SET {moves} WHERE i = {picks[2]}")
    con.execute(f"CREATE TABLE {table}_out AS SELECT *, 0 AS copy FROM {table} UNION ALL "
                f"SELECT * REPLACE ({stale}), 1 AS copy FROM {table} WHERE i = {picks[1]}")



def _manufacturing(con: duckdb.DuckDBPyConnection, folder: Path, s: str, e: str, days: int, rng: random.Random,
                   picks: list[int]) -> dict[str, Path]:
    expand(con, "w", round(90 * days / 92))  # work orders
    con.execute(f"""
        CREATE TABLE base AS SELECT *,
            reported_at + to_seconds(CAST(3600 * 18 * exp(-0.3 * skill + 0.7 * z(i, 5)) AS BIGINT)) AS arrived_at,
            round(CASE kind WHEN 'maintenance' THEN 600 ELSE 1400 END * exp(0.45 * z(i, 7)), 2) AS standard_cny
        FROM (SELECT i, idx, id AS engineer_id, skill, other,
                printf('CU%02d%03d', idx + 1, CAST(floor(u(i, 3) * 70) AS INTEGER)) AS customer_id,
                CASE WHEN u(i, 4) < 0.03 THEN 'recall' WHEN u(i, 4) < 0.25 THEN 'maintenance' ELSE 'repair' END AS kind,
                {s} + to_days(CAST(floor(u(i, 1) * {days}) AS INTEGER))
                    + to_seconds(CAST(floor((7 + 13 * u(i, 2)) * 3600) AS BIGINT)) AS reported_at FROM w)""")
    # Parts are asked for once the engineer has diagnosed on site; the parts centre promises 48 h.
    con.execute("""
        CREATE TABLE parts AS SELECT row_number() OVER (ORDER BY requested_at, i, n) AS r, *,
            requested_at + INTERVAL 48 HOUR AS needed_by,
            CASE WHEN u(k, 23) < 0.01 THEN NULL
                 WHEN u(k, 24) < least(0.995, greatest(0.6, 0.93 + 0.03 * other))
                     THEN requested_at + to_minutes(CAST(240 + floor(u(k, 25) * 2400) AS INTEGER))
                 ELSE requested_at + to_minutes(CAST(2940 + floor(u(k, 25) * 5760) AS INTEGER)) END AS delivered_at
        FROM (SELECT i, other, n, i * 10 + n AS k,
                     printf('P-%04d', CAST(floor(u(i * 10 + n, 26) * 3000) AS INTEGER)) AS part_no,
                arrived_at + to_minutes(CAST(20 + floor(u(i * 10 + n, 20) * 100) AS INTEGER)) AS requested_at
              FROM base, range(CASE WHEN kind = 'maintenance' THEN CAST(u(i, 21) < 0.2 AS BIGINT)
                                    ELSE CAST(u(i, 21) < 0.65 AS BIGINT) + CAST(u(i, 22) < 0.25 AS BIGINT) END)
                   AS ns(n))""")
    # The repair ends after the work, and after the last part arrived; never, if one never came.
    # Costs are booked as incurred.
    con.execute(f"""
        CREATE TABLE wo AS SELECT *, CASE WHEN has_parts THEN round(cost * 0.40, 2) ELSE 0 END AS parts_cny,
            round(cost * 0.15, 2) AS travel_cny
        FROM (SELECT *, CASE WHEN done > {e} + INTERVAL 10 DAY THEN NULL ELSE done END AS repaired_at,
                standard_cny * exp(-0.05 * skill + 0.06 * z(i, 9)) AS cost
              FROM (SELECT b.*, p.i IS NOT NULL AS has_parts,
                      CASE WHEN p.missing THEN NULL ELSE greatest(
                          b.arrived_at + to_minutes(CAST(60 + floor(u(b.i, 8) * 300) AS INTEGER)),
                          p.last + INTERVAL 2 HOUR) END AS done
                    FROM base AS b LEFT JOIN (SELECT i, max(delivered_at) AS last,
                                                     bool_or(delivered_at IS NULL) AS missing
                                              FROM parts GROUP BY i) AS p ON p.i = b.i))""")
    # Monthly budgets: the standard cost of the orders (recalls are the plant's), rounded to
    # 100 CNY, with a little planning noise; made before the defects are planted.
    con.execute("""
        CREATE TABLE budgets AS SELECT engineer_id, month,
            CAST(round(plan * (1 + 0.03 * z(idx * 100 + month(month), 40)), -2) AS BIGINT) AS budget_cny
        FROM (SELECT idx, engineer_id, date_trunc('month', reported_at) AS month, sum(standard_cny) AS plan
              FROM wo WHERE kind <> 'recall' GROUP BY ALL)""")
    copy_csv(con, """SELECT printf('BG-%s-%s', engineer_id, strftime(month, '%Y%m')) AS budget_id, engineer_id,
            strftime(month, '%Y-%m-%d') AS month, budget_cny FROM budgets ORDER BY month, engineer_id""",
          folder / "budgets.csv")
    _orders(con, folder)
    _plant(con, rng, "wo", "ME", picks, ["reported_at", "arrived_at", "repaired_at"], "NULL::TIMESTAMP AS repaired_at")
    copy_csv(con, f"""SELECT printf('WO%05d', i) AS order_id, engineer_id, customer_id, kind,
            strftime(reported_at, {STAMP}) AS reported_at, strftime(arrived_at, {STAMP}) AS arrived_at,
            strftime(repaired_at, {STAMP}) AS repaired_at,
            CASE WHEN repaired_at IS NULL THEN 'open' ELSE 'repaired' END AS status,
            round(cost - parts_cny - travel_cny, 2) AS labour_cny, parts_cny, travel_cny
        FROM wo_out ORDER BY copy, reported_at, i""", folder / "work_orders.csv")
    copy_csv(con, f"""SELECT printf('PR%05d', r) AS request_id, printf('WO%05d', i) AS order_id, part_no,
            strftime(requested_at, {STAMP}) AS requested_at, strftime(needed_by, {STAMP}) AS needed_by,
            strftime(delivered_at, {STAMP}) AS delivered_at FROM parts ORDER BY r""", folder / "part_requests.csv")
    return {k: folder / f"{k}.csv" for k in ("work_orders", "part_requests", "budgets", "orders")}


def _orders(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """`orders.csv`, the customers' orders from the ERP, made from the work orders before any defect.

    Some customers bought before their fault (up to half a year earlier). After a repair the
    customer orders again within 90 days more often when the engineer plans parts and keeps
    customers well (`other`) and repairs well (`skill`); some order only later, others not at all.
    """
    con.execute("""
        CREATE TABLE orders AS SELECT row_number() OVER (ORDER BY ordered_at, i, n) AS r, customer_id, ordered_at,
            round(exp(6.3 + 0.9 * z(i * 10 + n, 52)), 2) AS amount
        FROM (SELECT i, 0 AS n, customer_id,
                reported_at - to_seconds(CAST(floor((1 + u(i, 50) * 180) * 86400) AS BIGINT)) AS ordered_at
              FROM wo WHERE u(i, 51) < 0.25
              UNION ALL
              SELECT i, 1, customer_id, CASE
                  WHEN u(i, 10) < least(0.7, greatest(0.08, 0.25 + 0.07 * other + 0.03 * skill))
                      THEN repaired_at + INTERVAL 1 HOUR + to_seconds(CAST(floor(u(i, 11) * 89 * 86400) AS BIGINT))
                  WHEN u(i, 12) < 0.5 THEN repaired_at + to_days(CAST(91 + floor(u(i, 13) * 200) AS INTEGER)) END
              FROM wo WHERE repaired_at IS NOT NULL)
        WHERE ordered_at IS NOT NULL""")
    copy_csv(con, f"""SELECT printf('SO%06d', r) AS order_id, customer_id, strftime(ordered_at, {STAMP}) AS ordered_at,
            amount FROM orders ORDER BY r""", folder / "orders.csv")


def _it(con: duckdb.DuckDBPyConnection, folder: Path, s: str, e: str, days: int, rng: random.Random,
        picks: list[int]) -> dict[str, Path]:
    expand(con, "n", round(250 * days / 92))  # incidents
    outage = days * 2 // 5  # the day of the platform outage
    con.execute(f"""
        CREATE TABLE inc0 AS SELECT *, CASE priority WHEN 'P1' THEN 4 WHEN 'P2' THEN 24 ELSE 48 END AS sla_h,
            CASE WHEN outage THEN {s} + to_days({outage}) + to_seconds(CAST(floor((10 + 4 * u(i, 2)) * 3600) AS BIGINT))
                 ELSE {s} + to_days(CAST(floor(u(i, 1) * {days}) AS INTEGER))
                     + to_seconds(CAST(floor((7 + 15 * u(i, 2)) * 3600) AS BIGINT)) END AS opened_at
        FROM (SELECT i, idx, id AS engineer_id, skill, u(i, 30) < 0.012 AS outage,
                CASE WHEN u(i, 3) < 0.05 THEN 'P1' WHEN u(i, 3) < 0.25 THEN 'P2' ELSE 'P3' END AS priority,
                CASE WHEN u(i, 4) < 0.45 THEN 'chat' WHEN u(i, 4) < 0.70 THEN 'web'
                     WHEN u(i, 4) < 0.90 THEN 'email' ELSE 'phone' END AS channel FROM n)""")
    # First replies: seconds on the phone, minutes online, hours by email. Resolution: a share
    # of the priority's deadline (outage incidents wait 30-70 h for the fix). Export: a week on.
    con.execute(f"""
        CREATE TABLE inc AS SELECT *, CASE WHEN done > {e} + INTERVAL 7 DAY THEN NULL ELSE done END AS resolved_at,
            done <= {e} + INTERVAL 7 DAY AND u(i, 9) < least(0.25, greatest(0.005, 0.04 - 0.02 * skill)) AS reopened
        FROM (SELECT *, greatest(first_reply_at + INTERVAL 5 MINUTE, opened_at + to_seconds(CAST(3600 * CASE WHEN outage
                    THEN 30 + 40 * u(i, 7) ELSE sla_h * 0.4 * exp(-0.3 * skill + 0.7 * z(i, 8)) END AS BIGINT))) AS done
              FROM (SELECT *, opened_at + to_seconds(CAST(60 * CASE channel WHEN 'phone' THEN 0.5 WHEN 'email' THEN 120
                        ELSE 10 END * exp(-0.35 * skill + 0.8 * z(i, 5)) AS BIGINT)) AS first_reply_at FROM inc0))""")
    # Feedback on a third of the resolved incidents: lower after a reopen or a missed deadline.
    con.execute("""
        CREATE TABLE fb AS SELECT row_number() OVER (ORDER BY answered_at, i) AS r, i, answered_at,
            CAST(least(5, greatest(1, round(4.3 + 0.3 * skill - 1.3 * CAST(reopened AS INTEGER)
                 - 0.7 * CAST(epoch(resolved_at - opened_at) > 3600 * sla_h AS INTEGER) + 0.6 * z(i, 42))))
                 AS INTEGER) AS score
        FROM (SELECT *, resolved_at + to_minutes(CAST(30 + floor(u(i, 41) * 4320) AS INTEGER)) AS answered_at
              FROM inc WHERE resolved_at IS NOT NULL AND u(i, 40) < 0.35)""")
    _plant(con, rng, "inc", "IT", picks, ["opened_at", "first_reply_at", "resolved_at"],
           "NULL::TIMESTAMP AS resolved_at, FALSE AS reopened")
    copy_csv(con, f"""SELECT printf('IN%06d', i) AS incident_id, engineer_id, priority, channel,
            strftime(opened_at, {STAMP}) AS opened_at, strftime(first_reply_at, {STAMP}) AS first_reply_at,
            strftime(resolved_at, {STAMP}) AS resolved_at,
            CASE WHEN resolved_at IS NULL THEN 'open' ELSE 'resolved' END AS status,
            CASE WHEN reopened THEN 'Y' ELSE 'N' END AS reopened, CASE WHEN outage THEN 'platform_outage' END AS cause
        FROM inc_out ORDER BY copy, opened_at, i""", folder / "incidents.csv")
    copy_csv(con, f"""SELECT printf('FB%06d', r) AS feedback_id, printf('IN%06d', i) AS incident_id,
            strftime(answered_at, {STAMP}) AS answered_at, score FROM fb ORDER BY r""", folder / "feedback.csv")
    return {k: folder / f"{k}.csv" for k in ("incidents", "feedback")}
