"""Demo data for the shipped warehouse, designer and purchaser schemes.

`generate_role(folder, role=...)` writes the roster and the datasets its scheme names
(`schemes/<role>.yaml`, data under `data/<role>/`) for one period. As in `demo_data`, the
roster and the ratings (tens of rows) come from `random.Random(seed)`; the evidence rows are
computed inside DuckDB from `hash(row, draw, seed)`, so the same seed gives the same bytes.

Each person has a `skill` (about -2 to 2; one forced clearly good, one clearly poor) that sets
their rates, so people differ visibly. Three defects are planted in each role's main dataset
(counts in `RoleDemoFiles.defects`): a row for an appraisee not on the roster
(`unknown_appraisee`, id `<prefix>999`), a key written twice whose second copy, last in the
file, is a stale export (`duplicate_key`), and a row moved 100 days back, out of the period
(`outside_period`). The designer's ratings also hold one self-rating (`self_rating`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from appraisal.demo.files import copy_csv, expand, seeded, write_csv
from appraisal.errors import DataError
from appraisal.periods import parse_period

ROLES = ("warehouse", "designer", "purchaser")
STAMP = "'%Y-%m-%d %H:%M:%S'"
NAMES = [
    "王磊", "李静", "张敏", "刘强", "陈晨", "杨洁", "赵勇", "黄磊", "周婷", "吴昊", "徐丽", "孙涛", "胡静",
    "朱伟", "高敏", "林峰", "何欢", "郭靖", "马丽", "罗斌", "Alice Wang", "Bob Li", "Carol Chen",
    "David Zhou", "Ella Xu", "Frank Sun", "Gina Hu", "Henry Ma",
]
# role -> (id prefix, headcount, teams with their managers)
PEOPLE = {
    "warehouse": ("WH", 20, [("上海仓", "WM1"), ("广州仓", "WM2"), ("成都仓", "WM3")]),
    "designer": ("DS", 18, [("店铺视觉组", "DM1"), ("详情页组", "DM2"), ("Campaign", "DM3")]),
    "purchaser": ("PU", 16, [("服装", "PM1"), ("家居", "PM2"), ("数码", "PM3"), ("美妆", "PM4")]),
}
ROSTER_COLUMNS = {"warehouse": "warehouse", "designer": "team", "purchaser": "category"}
KEYS = {"warehouse": "keeper_id", "designer": "designer_id", "purchaser": "purchaser_id"}
ROLE_OF = {key: role for role, key in KEYS.items()}


@dataclass(frozen=True)
class RoleDemoFiles:
    """The files written (dataset name -> path), the defects planted, and ids a test points at."""

    folder: Path
    roster: Path
    files: dict[str, Path]
    defects: dict[str, int] = field(default_factory=dict)
    unknown_appraisee: str = ""
    duplicate_key: str = ""
    outside_period_key: str = ""

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.roster, *self.files.values())


@dataclass(frozen=True)
class _Person:
    id: str
    name: str
    team: str
    manager: str
    start: date
    skill: float
    load: float
    other: float  # a second, independent trait: utilisation, creativity or quality


def generate_role(folder: Path, *, role: str, seed: int = 2026, period: str = "2026-Q3") -> RoleDemoFiles:
    """Write the demo data of `role` for `period` into `folder`; the same seed gives the same bytes."""
    if role not in ROLES:
        raise DataError(f"there is no demo data for role {role!r}: the demo covers 'agent', " + ", ".join(
            repr(r) for r in ROLES))
    span = parse_period(period)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{role}:{seed}")
    people = _roster(rng, role, span.start)
    roster = folder / "roster.csv"
    write_csv(roster, [KEYS[role], "name", ROSTER_COLUMNS[role], "manager", "start_date", "end_date"],
              [[p.id, p.name, p.team, p.manager, p.start.isoformat(), ""] for p in people])
    with duckdb.connect() as con:
        seeded(con, seed)
        con.execute("CREATE TABLE people (idx INTEGER, id VARCHAR, skill DOUBLE, load DOUBLE, other DOUBLE)")
        con.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?)",
                        [(n, p.id, p.skill, p.load, p.other) for n, p in enumerate(people)])
        s, e, days = f"DATE '{span.start}'", f"DATE '{span.end}'", (span.end - span.start).days
        write = {"warehouse": _warehouse, "designer": _designer, "purchaser": _purchaser}[role]
        files, (unknown, duplicate, moved) = write(con, folder, s, e, days, rng, people)
    defects = {"unknown_appraisee": 1, "duplicate_key": 1, "outside_period": 1}
    if role == "designer":
        defects["self_rating"] = 1
    return RoleDemoFiles(folder, roster, files, defects, unknown, duplicate, moved)


def _roster(rng: random.Random, role: str, start: date) -> list[_Person]:
    prefix, count, teams = PEOPLE[role]
    names = rng.sample(NAMES, count)
    skills = [max(-2.2, min(2.2, rng.gauss(0, 0.8))) for _ in names]
    good, poor = rng.sample(range(count), 2)
    skills[good], skills[poor] = 2.0, -2.0
    return [
        _Person(f"{prefix}{n + 1:03d}", name, *teams[n % len(teams)], start - timedelta(days=rng.randint(60, 2000)),
                skills[n], rng.uniform(0.75, 1.25), max(-2.2, min(2.2, rng.gauss(0, 0.9))))
        for n, name in enumerate(names)
    ]




# A role's files (dataset name -> path), and its planted defects: the unknown appraisee, the
# duplicated row's id and the id of the row moved out of the period.
_Written = tuple[dict[str, Path], tuple[str, str, str]]


def _plant(
    con: duckdb.DuckDBPyConnection, rng: random.Random, table: str, who: str, times: list[str], stale: str
) -> tuple[list[int], str]:
    """Plant the three defects in `table`; returns the chosen row numbers and the unknown id."""
    [(count,)] = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    picks = rng.sample(range(1, count + 1), 3)
    unknown = PEOPLE[ROLE_OF[who]][0] + "999"
    con.execute(f"UPDATE {table} SET {who} = '{unknown}' WHERE i = {picks[0]}")
    moves = ", ".join(f"{c} = {c} - INTERVAL 100 DAY" for c in times)
    con.execute(f"UPDATE {table} SET {moves} WHERE i = {picks[2]}")
    con.execute(f"CREATE TABLE {table}_out AS SELECT *, 0 AS copy FROM {table} UNION ALL "
                f"SELECT * REPLACE ({stale}), 1 AS copy FROM {table} WHERE i = {picks[1]}")
    return picks, unknown



def _warehouse(
    con: duckdb.DuckDBPyConnection, folder: Path, s: str, e: str, days: int, rng: random.Random, people: list[_Person]
) -> _Written:
    expand(con, "c", 600)  # stock-count lines
    con.execute(f"""
        CREATE TABLE counts AS SELECT i, id AS keeper_id,
            {s} + to_days(CAST(floor(u(i, 1) * {days}) AS INTEGER))
                + to_seconds(CAST(floor((8.5 + 9 * u(i, 2)) * 3600) AS BIGINT)) AS counted_at,
            printf('%s-%02d-%02d', chr(65 + idx % 6), 1 + CAST(floor(u(i, 3) * 40) AS INTEGER),
                   1 + CAST(floor(u(i, 4) * 12) AS INTEGER)) AS location,
            printf('SKU%05d', CAST(floor(u(i, 5) * 90000) AS INTEGER) + 10000) AS sku,
            CAST(floor(exp(1 + 4.5 * u(i, 6))) AS INTEGER) AS system_qty,
            u(i, 7) < least(0.998, greatest(0.88, 0.975 + 0.012 * skill)) AS right_count, u(i, 8) AS drift
        FROM c""")
    picks, unknown = _plant(con, rng, "counts", "keeper_id", ["counted_at"], "NOT right_count AS right_count")
    copy_csv(con, f"""SELECT printf('SC%06d', i) AS count_line_id, keeper_id,
            strftime(counted_at, {STAMP}) AS counted_at,
            location, sku, system_qty, CASE WHEN right_count THEN system_qty
                ELSE greatest(0, system_qty + CASE WHEN drift < 0.5 THEN -1 - CAST(floor(drift * 6) AS INTEGER)
                                                   ELSE 1 + CAST(floor((drift - 0.5) * 6) AS INTEGER) END) END
                AS counted_qty
        FROM counts_out ORDER BY copy, counted_at, i""", folder / "stock_counts.csv")
    expand(con, "o", 1500)  # orders
    con.execute(f"""
        CREATE TABLE orders AS SELECT i, id AS keeper_id, paid_at,
            paid_at + to_hours(CASE WHEN u(i, 3) < 0.2 THEN 24 ELSE 48 END) AS promised_at,
            CASE WHEN u(i, 4) < 0.002 THEN NULL
                 ELSE paid_at + to_seconds(CAST(3600 * 14 * exp(-0.3 * skill + 0.6 * z(i, 5)) AS BIGINT)) END
                AS shipped_at,
            1 + CAST(floor(u(i, 7) * 3) AS INTEGER) AS lines,
            u(i, 8) < least(0.03, greatest(0.0005, 0.005 - 0.002 * skill)) AS pick_error
        FROM (SELECT *, {s} + to_days(CAST(floor(u(i, 1) * {days}) AS INTEGER))
                         + to_seconds(CAST(floor(u(i, 2) * 86400) AS BIGINT)) AS paid_at FROM o)""")
    _plant(con, rng, "orders", "keeper_id", ["paid_at", "promised_at", "shipped_at"], "NULL::TIMESTAMP AS shipped_at")
    copy_csv(con, f"""SELECT printf('SO%07d', i) AS order_id, keeper_id, strftime(paid_at, {STAMP}) AS paid_at,
            strftime(promised_at, {STAMP}) AS promised_at, strftime(shipped_at, {STAMP}) AS shipped_at, lines,
            CASE WHEN pick_error AND shipped_at IS NOT NULL THEN 'Y' ELSE 'N' END AS pick_error
        FROM orders_out ORDER BY copy, paid_at, i""", folder / "shipments.csv")
    con.execute(f"""
        CREATE TABLE snaps AS SELECT row_number() OVER (ORDER BY idx, zone, week) AS i, * FROM (
            SELECT p.*, zone, week, 600 + 100 * CAST(floor(u(idx * 10 + zone, 20) * 15) AS INTEGER) AS capacity_m3,
                least(1.0, greatest(0.3, 0.84 + 0.07 * other + 0.04 * z(idx * 1000 + zone * 100 + week, 21))) AS util
            FROM people AS p, range(1 + idx % 3) AS zs(zone), range(CAST(ceil({days} / 7) AS BIGINT)) AS ws(week))""")
    con.execute("ALTER TABLE snaps ADD COLUMN taken_on TIMESTAMP")
    con.execute(f"UPDATE snaps SET taken_on = {s} + to_days(CAST(week * 7 AS INTEGER))")
    copy_csv(con, """SELECT printf('SN%05d', i) AS snapshot_id, id AS keeper_id,
            strftime(taken_on, '%Y-%m-%d') AS taken_on,
            printf('Z%02d-%d', idx + 1, zone + 1) AS zone, round(capacity_m3 * util, 1) AS used_m3, capacity_m3
        FROM snaps ORDER BY taken_on, i""", folder / "storage.csv")
    files = {k: folder / f"{k}.csv" for k in ("stock_counts", "shipments", "storage")}
    return files, (unknown, f"SC{picks[1]:06d}", f"SC{picks[2]:06d}")


def _designer(
    con: duckdb.DuckDBPyConnection, folder: Path, s: str, e: str, days: int, rng: random.Random, people: list[_Person]
) -> _Written:
    expand(con, "k", 66)  # design tasks
    con.execute(f"""
        CREATE TABLE tasks AS SELECT i, id AS designer_id,
            CASE WHEN u(i, 3) < 0.4 THEN 'detail_page' WHEN u(i, 3) < 0.7 THEN 'main_image'
                 WHEN u(i, 3) < 0.9 THEN 'banner' ELSE 'campaign' END AS kind,
            requested_at, due_at, CASE WHEN u(i, 5) < least(0.15, greatest(0.005, 0.03 - 0.012 * skill)) THEN NULL
                 WHEN u(i, 6) < least(0.45, greatest(0.01, 0.10 - 0.05 * skill))
                     THEN due_at + to_minutes(CAST(60 + floor(u(i, 7) * 4260) AS INTEGER))
                 ELSE greatest(requested_at + INTERVAL 2 HOUR,
                               due_at - to_minutes(CAST(30 + floor(u(i, 7) * 2850) AS INTEGER))) END AS delivered_at
        FROM (SELECT *, {s} + to_days(CAST(floor(u(i, 1) * {days}) AS INTEGER))
                         + to_hours(CAST(10 + floor(u(i, 2) * 9) AS INTEGER)) AS due_at FROM k) AS k0,
             LATERAL (SELECT due_at - to_hours(CAST(24 + floor(u(i, 4) * 144) AS INTEGER)) AS requested_at) AS r0""")
    picks, unknown = _plant(con, rng, "tasks", "designer_id", ["requested_at", "due_at", "delivered_at"],
                            "NULL::TIMESTAMP AS delivered_at")
    copy_csv(con, f"""SELECT printf('DT%05d', i) AS task_id, designer_id, kind,
            strftime(requested_at, {STAMP}) AS requested_at,
            strftime(due_at, {STAMP}) AS due_at, strftime(delivered_at, {STAMP}) AS delivered_at
        FROM tasks_out ORDER BY copy, due_at, i""", folder / "tasks.csv")
    con.execute("""
        CREATE TABLE pages AS SELECT row_number() OVER (ORDER BY idx, n) AS i, * FROM (
            SELECT p.*, n FROM people AS p, range(6 + CAST(floor(u(idx, 30) * 6) AS BIGINT)) AS ns(n))""")
    copy_csv(con, """SELECT printf('PG%04d', i) AS page_id, id AS designer_id,
            CASE WHEN u(i, 31) < 0.6 THEN 'detail_page' ELSE 'campaign' END AS kind FROM pages ORDER BY i""",
          folder / "pages.csv")
    copy_csv(con, f"""SELECT printf('TR%06d', row_number() OVER (ORDER BY day, page_id)) AS traffic_id, page_id,
            strftime(day, '%Y-%m-%d') AS day, visits,
            CAST(round(visits * least(0.2, 0.03 * exp(0.22 * skill + 0.25 * page_draw)
                                              * exp(0.35 * z(i * 1000 + d, 33)))) AS INTEGER) AS orders
        FROM (SELECT pg.*, d, printf('PG%04d', i) AS page_id, {s} + to_days(CAST(d AS INTEGER)) AS day,
                z(i, 34) AS page_draw,
                CAST(round(400 * exp(0.6 * z(i, 36) + 0.3 * z(i * 1000 + d, 38))) AS INTEGER) AS visits
              FROM pages AS pg, range({days}) AS ds(d)) ORDER BY day, page_id""", folder / "page_traffic.csv")
    raters = ["OP01", "OP02", "OP03", "OP04"]
    ratings: list[list[object]] = []
    for p in people:
        for rater in [p.manager, *rng.sample(raters, rng.choice((1, 2)))]:
            for indicator, trait in (("design_quality", p.skill), ("creativity", p.other)):
                ratings.append([p.id, indicator, rater, max(1, min(5, round(3.7 + 0.6 * trait + rng.gauss(0, 0.6))))])
    ratings.append([people[0].id, "creativity", people[0].id, 5])  # a self-rating, left out by the engine
    write_csv(folder / "ratings.csv", ["appraisee", "indicator", "rater", "rating"], ratings)
    files = {k: folder / f"{k}.csv" for k in ("tasks", "pages", "page_traffic", "ratings")}
    return files, (unknown, f"DT{picks[1]:05d}", f"DT{picks[2]:05d}")


def _purchaser(
    con: duckdb.DuckDBPyConnection, folder: Path, s: str, e: str, days: int, rng: random.Random, people: list[_Person]
) -> _Written:
    expand(con, "l", 120)  # purchase order lines
    con.execute(f"""
        CREATE TABLE lines AS SELECT *, ordered_at + to_days(CAST(5 + floor(u(i, 4) * 16) AS INTEGER)) AS promised_at,
            CAST(50 * (1 + floor(u(i, 5) * 40)) AS INTEGER) AS quantity,
            round(5 * exp(4 * u(i, 6)), 2) AS standard_price,
            least(0.25, greatest(0.002, 0.02 * exp(-0.6 * other + 0.5 * z(i, 7)))) AS defect_share
        FROM (SELECT i, idx, id AS purchaser_id, skill, other,
                printf('SUP%02d', 1 + idx % 4 * 10 + CAST(floor(u(i, 3) * 6) AS INTEGER)) AS supplier_id,
                printf('SKU%05d', CAST(floor(u(i, 8) * 90000) AS INTEGER) + 10000) AS sku,
                {s} + to_days(CAST(floor(u(i, 1) * {days}) AS INTEGER))
                    + to_seconds(CAST(floor((9 + 9 * u(i, 2)) * 3600) AS BIGINT)) AS ordered_at FROM l)""")
    con.execute(f"""
        CREATE TABLE po AS SELECT *, CASE WHEN received_at IS NULL THEN NULL ELSE quantity END AS received_qty,
            CASE WHEN received_at IS NULL THEN NULL
                 ELSE CAST(quantity - round(quantity * defect_share) AS INTEGER) END AS passed_qty
        FROM (SELECT *, round(standard_price * exp(-0.035 * skill + 0.03 * z(i, 10)), 2) AS unit_price,
                CASE WHEN ts > {e} + INTERVAL 20 DAY THEN NULL ELSE ts END AS received_at
              FROM (SELECT *, promised_at + to_hours(
                        CASE WHEN u(i, 12) < least(0.995, greatest(0.6, 0.95 + 0.025 * skill))
                        THEN -CAST(floor(u(i, 13) * 72) AS INTEGER)
                        ELSE 24 + CAST(floor(u(i, 13) * 216) AS INTEGER) END) AS ts
                    FROM lines))""")
    # Budgets per month: the standard cost of the quantities planned (here: those bought),
    # rounded to 1,000 CNY, with a little planning noise; made before the defects are planted.
    con.execute("""
        CREATE TABLE budgets AS SELECT purchaser_id, month,
            CAST(round(plan * (1 + 0.03 * z(idx * 100 + month(month), 40)), -3) AS BIGINT) AS budget_cny
        FROM (SELECT idx, purchaser_id, date_trunc('month', ordered_at) AS month, sum(quantity * standard_price) AS plan
              FROM po GROUP BY ALL)""")
    copy_csv(con, """SELECT printf('BG-%s-%s', purchaser_id, strftime(month, '%Y%m')) AS budget_id, purchaser_id,
            strftime(month, '%Y-%m-%d') AS month, budget_cny FROM budgets ORDER BY month, purchaser_id""",
          folder / "budgets.csv")
    picks, unknown = _plant(con, rng, "po", "purchaser_id", ["ordered_at", "promised_at", "received_at"],
                            "NULL::TIMESTAMP AS received_at, NULL::INTEGER AS received_qty,"
                            " NULL::INTEGER AS passed_qty")
    copy_csv(con, f"""SELECT printf('PO%05d', i) AS po_line_id, purchaser_id, supplier_id, sku,
            strftime(ordered_at, {STAMP}) AS ordered_at, strftime(promised_at, {STAMP}) AS promised_at,
            strftime(received_at, {STAMP}) AS received_at, quantity, unit_price, received_qty, passed_qty
        FROM po_out ORDER BY copy, ordered_at, i""", folder / "purchase_orders.csv")
    files = {k: folder / f"{k}.csv" for k in ("purchase_orders", "budgets")}
    return files, (unknown, f"PO{picks[1]:05d}", f"PO{picks[2]:05d}")
