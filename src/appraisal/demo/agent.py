"""Demo data: a deterministic period of after-sales work for the shipped agent scheme.

`generate(folder)` writes `roster.csv`, `tickets.csv`, `surveys.csv` and `ratings.csv` (UTF-8,
`\\n` line ends) for 50 agents in 5 teams and about 30,000 tickets a quarter. The roster and
the ratings (tens of rows) come from `random.Random(seed)`; tickets and surveys are computed
inside DuckDB over `range(n)` from `hash(row, draw, seed)`, so no Python object is made per row
and the same seed gives the same bytes (with the same DuckDB version).

What the rows look like: tickets arrive in working hours with a weekly rhythm (busy Mondays,
quiet Sundays); an agent's skill sets their first-response and resolution times, their
resolution and reopen rates, their survey scores and their reviewers' ratings, so agents
differ visibly (two are forced clearly good, two clearly poor). First responses are lognormal
around an agent's median (phone fastest, email slowest), and wait for 09:00 when the ticket
came at night. About 30% of resolved tickets get a survey; its score falls with a long
resolution, a reopen and a supplier defect. Data is exported ten days after the period: a
ticket not resolved by then is `open`.

Deliberate defects, each a fixed count (`DEFECTS`, reported in `DemoFiles.defects`):

- `missing_first_response`: 12 tickets with no `first_response_at`.
- `negative_duration`: 1 resolved ticket whose `resolved_at` is before its `created_at`.
- `unknown_agent`: 1 ticket for agent `CS999`, who is not on the roster.
- `duplicate_ticket`: 1 ticket id written twice; the second copy, last in the file, is a stale
  export (status `open`, no resolution), so keeping the wrong copy shows.
- `supplier_defect`: 36 tickets caused by a supplier's defective batch (the scheme excludes them).
- `before_period` / `after_period`: 3 tickets created in the two days before the period, 4 in
  the two days after it.
- `new_hire`: 1 agent who starts inside the period and has no tickets and no ratings.
- `leaver`: 1 agent who leaves inside the period; their tickets stop on their last day.

No survey belongs to a defective ticket (supplier-defect tickets excepted). Not planted but
counted: `surveys_outside_period`, surveys answered after the period ends.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import TypedDict

import duckdb

from appraisal.demo.files import copy_csv, seeded, write_csv
from appraisal.errors import DataError
from appraisal.periods import parse_period
from appraisal.sql.dialect import inline_literal

TICKETS_PER_DAY = 30_000 / 92  # about 30,000 a quarter
DEFECTS = {
    "missing_first_response": 12,
    "negative_duration": 1,
    "unknown_agent": 1,
    "duplicate_ticket": 1,
    "supplier_defect": 36,
    "before_period": 3,
    "after_period": 4,
}
UNKNOWN_AGENT = "CS999"
TEAMS = [("华东一组", "M01"), ("华东二组", "M02"), ("华南一组", "M03"), ("North-1", "M04"), ("North-2", "M05")]
QA_REVIEWERS = ["QA01", "QA02", "QA03"]
NAMES = [
    "王芳", "李娜", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏", "徐婷", "孙浩", "胡军",
    "朱琳", "高翔", "林晓", "何佳", "郭鹏", "马超", "罗雪", "梁晨", "宋颖", "郑凯", "谢娟", "韩梅",
    "Li Wei", "Chen Jing", "Wang Lei", "Zhang Min", "Liu Yang", "Zhao Qian", "Huang Ying", "Xu Ming",
    "Sun Li", "Zhou Hao", "Wu Xia", "Ma Lin", "Emily Zhang", "Kevin Lin", "Grace Wu", "Jason Ho",
    "Cindy Luo", "Tony Xie", "Amy He", "Eric Tang", "Vivian Cao", "Leo Feng", "Sophie Qian",
    "Ryan Deng", "Mia Guo",
]
# Relative ticket volume by hour of day (0-23) and by ISO weekday (Monday first).
HOURLY = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.5, 4.0, 4.6, 4.4,
          3.4, 3.6, 4.3, 4.5, 4.1, 3.6, 2.8, 2.4, 2.2, 1.8, 1.0, 0.5]
WEEKDAY = [1.25, 1.1, 1.05, 1.0, 0.95, 0.7, 0.6]


@dataclass(frozen=True)
class DemoFiles:
    """The files written, the defects in them (counts) and the ids a test or a tour points at."""

    folder: Path
    roster: Path
    tickets: Path
    surveys: Path
    ratings: Path
    defects: dict[str, int] = field(default_factory=dict)
    new_hire: str = ""
    leaver: str = ""
    unknown_agent: str = UNKNOWN_AGENT
    duplicate_ticket: str = ""
    pay: Path | None = None  # each agent's bonus base (for the scheme's incentives)
    sales: Path | None = None  # the add-on sales agents made while serving (for commission)

    @property
    def paths(self) -> tuple[Path, ...]:
        extra = tuple(p for p in (self.pay, self.sales) if p is not None)
        return (self.roster, self.tickets, self.surveys, self.ratings, *extra)


@dataclass(frozen=True)
class _Agent:
    id: str
    name: str
    team: str
    manager: str
    start: date
    end: date | None
    skill: float  # about -2 (poor) to 2 (excellent)
    load: float  # relative share of the tickets


def generate(
    folder: Path, *, role: str = "agent", seed: int = 2026, period: str = "2026-Q3", tickets: int | None = None
) -> DemoFiles:
    """Write the agents' demo data for `period` into `folder`; the same seed gives the same bytes.

    `role` is "agent": the other shipped roles' demos are `appraisal.demo.builtin.generate`'s."""
    if role != "agent":
        raise DataError(f"there is no demo data for role {role!r} here: appraisal.demo.builtin.generate writes "
                        "the demo of every shipped role")
    span = parse_period(period)
    seed = int(seed)
    count = tickets if tickets is not None else round(TICKETS_PER_DAY * span.days)
    if count < 1200:
        raise DataError(f"{count} tickets are too few to plant the demo's defects among: ask for at least 1200")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    agents = _roster(rng, span.start, span.end)
    out = DemoFiles(folder, folder / "roster.csv", folder / "tickets.csv", folder / "surveys.csv",
                    folder / "ratings.csv")
    write_csv(out.roster, ["agent_id", "name", "team", "manager", "start_date", "end_date"],
              [[a.id, a.name, a.team, a.manager, a.start.isoformat(), a.end.isoformat() if a.end else ""]
              for a in agents])
    write_csv(out.ratings, ["appraisee", "indicator", "rater", "rating"], _ratings(rng, agents))
    planted = rng.sample(range(count), sum(DEFECTS.values()))
    defects = [(i, kind) for kind, n in DEFECTS.items() for i in [planted.pop() for _ in range(n)]]
    with duckdb.connect() as con:
        found = _tickets_and_surveys(con, out, agents, defects, count, seed, span.start, span.end)
        pay, sales = _pay_and_sales(con, folder, agents, seed, span.start, span.end)
    leaver = next(a.id for a in agents if a.end is not None)
    new_hire = next(a.id for a in agents if a.start >= span.start)
    counts = {**DEFECTS, "new_hire": 1, "leaver": 1, "surveys_outside_period": found["late"]}
    return DemoFiles(out.folder, out.roster, out.tickets, out.surveys, out.ratings, counts,
                     new_hire, leaver, UNKNOWN_AGENT, found["duplicate"], pay, sales)


def _pay_and_sales(
    con: duckdb.DuckDBPyConnection, folder: Path, agents: list[_Agent], seed: int, start: date, end: date
) -> tuple[Path, Path]:
    """`pay.csv`: each agent's quarterly bonus base, rising with tenure; `sales.csv`: the add-ons
    (accessories, extended warranties) agents sold while serving, more for busier and better
    agents, none after a leaver's last day. Their own random streams: the tickets stay as they were."""
    rng = random.Random(f"pay:{seed}")
    pay, sales = folder / "pay.csv", folder / "sales.csv"
    write_csv(pay, ["agent_id", "bonus_base"],
              [[a.id, 3000 + 150 * min((start - a.start).days // 365, 8) + 100 * rng.randint(0, 5)] for a in agents])
    days = (end - start).days
    copy_csv(con, f"""
        SELECT printf('SA%05d', row_number() OVER (ORDER BY sold_at, agent_id, j)) AS sale_id, agent_id,
            strftime(sold_at, '%Y-%m-%d %H:%M:%S') AS sold_at, amount
        FROM (
            SELECT id AS agent_id, j,
                DATE '{start}' + to_days(CAST(floor(u(hash(id, j), 31) * least({days}, datediff('day',
                    DATE '{start}', last_at))) AS INTEGER)) + to_seconds(CAST(32400 + floor(u(hash(id, j), 33)
                    * 43200) AS BIGINT)) AS sold_at,
                CAST(round(99 + 1100 * pow(u(hash(id, j), 32), 2)) AS INTEGER) AS amount
            FROM agents, range(CAST(greatest(0, round(30 * load * (1 + 0.25 * skill))) AS BIGINT)) AS r(j)
            WHERE load > 0
        ) ORDER BY sold_at, agent_id, j
    """, sales)
    return pay, sales


def _roster(rng: random.Random, start: date, end: date) -> list[_Agent]:
    names = NAMES[:]
    rng.shuffle(names)
    skills = [max(-2.2, min(2.2, rng.gauss(0, 0.8))) for _ in names]
    for n, forced in zip(rng.sample(range(len(names)), 4), (2.0, 1.8, -1.8, -2.0), strict=True):
        skills[n] = forced
    days = (end - start).days
    agents = []
    for n, name in enumerate(names):
        team, manager = TEAMS[n % len(TEAMS)]
        hired = start - timedelta(days=rng.randint(30, 5 * 365))
        agents.append(_Agent(f"CS{n + 1:03d}", name, team, manager, hired, None, skills[n], rng.uniform(0.7, 1.3)))
    # The last two: one leaves a little before mid-period, one joins three quarters in.
    agents[-2] = replace(agents[-2], end=start + timedelta(days=days * 12 // 25))
    agents[-1] = replace(agents[-1], start=start + timedelta(days=days * 3 // 4), skill=0.0, load=0.0)
    return agents


def _ratings(rng: random.Random, agents: list[_Agent]) -> list[list[object]]:
    rows: list[list[object]] = []
    for agent in agents:
        if agent.load == 0:
            continue  # nothing to review yet
        raters = [agent.manager, *rng.sample(QA_REVIEWERS, rng.choice((1, 2)))]
        for rater in raters:
            rating = round(3.8 + 0.7 * agent.skill + rng.gauss(0, 0.6))
            rows.append([agent.id, "qa_review", rater, max(1, min(5, rating))])
    return rows



def _repeat_problems(con: duckdb.DuckDBPyConnection) -> None:
    """Make some problems come back: the same customer, the same cause, within six days.

    A resolved ticket of an agent with a high `p_repeat` picks the first later ticket after a
    random point in the next six days and lends it its customer and cause. Planted defects take
    no part, and a ticket that is itself a return starts no chain, so every customer stays one.
    """
    con.execute("""
        CREATE TABLE links AS
        WITH wants AS (
            SELECT i, done_at + to_seconds(CAST(3600 + floor(u(i, 21) * 6 * 86400) AS BIGINT)) AS want_at
            FROM t WHERE status = 'resolved' AND defect = '' AND u(i, 20) < p_repeat
        ), targets AS (  -- one ticket per moment, so that the join's choice among ties cannot vary
            SELECT min(i) AS i, created_at FROM t WHERE defect = '' GROUP BY created_at
        )
        SELECT min(w.i) AS src, d.i AS dst FROM wants AS w ASOF JOIN targets AS d ON d.created_at >= w.want_at
        GROUP BY d.i
    """)
    con.execute("DELETE FROM links WHERE src IN (SELECT dst FROM links)")
    con.execute("""
        UPDATE t SET customer_id = s.customer_id, cause = s.cause
        FROM links AS l JOIN t AS s ON s.i = l.src WHERE t.i = l.dst
    """)


class _Found(TypedDict):
    """What the ticket generator reports back: surveys answered after the period, the duplicated ticket."""

    late: int
    duplicate: str


def _tickets_and_surveys(
    con: duckdb.DuckDBPyConnection,
    out: DemoFiles,
    agents: list[_Agent],
    defects: list[tuple[int, str]],
    count: int,
    seed: int,
    start: date,
    end: date,
) -> _Found:
    days = (end - start).days
    seeded(con, seed)
    con.execute("CREATE TABLE defects (i BIGINT, kind VARCHAR)")
    con.executemany("INSERT INTO defects VALUES (?, ?)", defects)
    con.execute(
        "CREATE TABLE agents (id VARCHAR, skill DOUBLE, load DOUBLE, last_at TIMESTAMP, fr_h DOUBLE, "
        "res_h DOUBLE, p_resolved DOUBLE, p_reopen DOUBLE, p_fcr DOUBLE, p_repeat DOUBLE, p_complaint DOUBLE)"
    )
    far = date(9999, 1, 1)
    con.executemany(
        "INSERT INTO agents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (a.id, a.skill, a.load, (a.end or far) + timedelta(days=1), 2.2 * math.exp(-0.55 * a.skill),
             22 * math.exp(-0.4 * a.skill), min(0.985, max(0.7, 0.91 + 0.035 * a.skill)),
             min(0.15, max(0.01, 0.06 - 0.025 * a.skill)), min(0.9, max(0.35, 0.62 + 0.08 * a.skill)),
             min(0.2, max(0.01, 0.06 - 0.03 * a.skill)), min(0.06, max(0.002, 0.012 - 0.006 * a.skill)))
            for a in agents
        ],
    )
    # Cumulative shares for picking an agent: everyone working, and everyone who stays.
    for table, where in (("pick_all", "load > 0"), ("pick_stay", "load > 0 AND last_at > TIMESTAMP '9000-01-01'")):
        con.execute(
            f"CREATE TABLE {table} AS SELECT id, last_at,"
            " (sum(load) OVER (ORDER BY id) - load) / sum(load) OVER () AS lo "
            f"FROM agents WHERE {where}"
        )
    con.execute(
        f"CREATE TABLE slots AS SELECT slot_at, (sum(w) OVER (ORDER BY slot_at) - w) / sum(w) OVER () AS lo FROM ("
        f"SELECT DATE '{start}' + to_hours(h) AS slot_at, {HOURLY}[h % 24 + 1] * {WEEKDAY}[isodow(DATE '{start}' "
        f"+ to_days(CAST(h // 24 AS INTEGER)))] AS w FROM range({days * 24}) AS r(h))"
    )
    con.execute(f"""
        CREATE TABLE t AS
        WITH d AS (
            SELECT r.i, coalesce(x.kind, '') AS defect, u(r.i, 1) AS u_slot, u(r.i, 3) AS u_agent
            FROM range({count}) AS r(i) LEFT JOIN defects AS x ON x.i = r.i
        ), placed AS (
            SELECT d.*, CASE defect
                WHEN 'before_period' THEN DATE '{start}' - to_seconds(60 + floor(u(i, 2) * 172800))
                WHEN 'after_period' THEN DATE '{end}' + to_seconds(floor(u(i, 2) * 172800))
                ELSE s.slot_at + to_seconds(floor(u(i, 2) * 3600)) END AS created_at,
                CASE WHEN created_at >= a.last_at THEN b.id ELSE a.id END AS pick
            FROM d ASOF JOIN slots AS s ON d.u_slot >= s.lo
            ASOF JOIN pick_all AS a ON d.u_agent >= a.lo ASOF JOIN pick_stay AS b ON d.u_agent >= b.lo
        ), timed AS (
            SELECT p.*, g.*,
                CASE WHEN u(i, 4) < 0.25 THEN 'phone' WHEN u(i, 4) < 0.60 THEN 'chat'
                     WHEN u(i, 4) < 0.80 THEN 'email' ELSE 'app' END AS channel,
                CASE WHEN defect = 'supplier_defect' THEN 'supplier_defect'
                     WHEN u(i, 5) < 0.35 THEN 'usage_question' WHEN u(i, 5) < 0.60 THEN 'logistics'
                     WHEN u(i, 5) < 0.82 THEN 'product_defect' ELSE 'refund' END AS cause,
                CASE WHEN hour(created_at) >= 21 THEN 33 - hour(created_at) - minute(created_at) / 60
                     WHEN hour(created_at) < 9 THEN 9 - hour(created_at) - minute(created_at) / 60
                     ELSE 0 END AS night_wait_h
            FROM placed AS p JOIN agents AS g ON g.id = p.pick
        ), delays AS (
            SELECT *, least(72, night_wait_h + fr_h * exp(0.75 * z(i, 6))
                    * CASE channel WHEN 'phone' THEN 0.15 WHEN 'chat' THEN 0.5 WHEN 'email' THEN 2.2 ELSE 1 END)
                    AS first_h,
                res_h * exp(0.9 * z(i, 8)) * CASE cause WHEN 'usage_question' THEN 0.3 WHEN 'logistics' THEN 1.6
                    WHEN 'product_defect' THEN 2 WHEN 'refund' THEN 1.2 ELSE 2.5 END AS work_h
            FROM timed
        ), stamped AS (
            SELECT *, created_at + to_seconds(round(first_h * 3600)) AS first_at,
                CASE WHEN defect = 'negative_duration' THEN created_at - to_seconds(1800 + round(u(i, 10) * 9000))
                     ELSE created_at + to_seconds(round((first_h + work_h) * 3600)) END AS done_at
            FROM delays
        )
        SELECT i, defect, CASE WHEN defect = 'unknown_agent' THEN '{UNKNOWN_AGENT}' ELSE id END AS agent_id,
            skill, created_at, CASE WHEN defect <> 'missing_first_response' THEN first_at END AS first_at,
            done_at, channel, cause, work_h,
            CASE WHEN done_at > DATE '{end}' + INTERVAL 10 DAY THEN 'open'
                 WHEN defect IN ('negative_duration', 'duplicate_ticket') OR u(i, 9) < p_resolved THEN 'resolved'
                 WHEN u(i, 11) < 0.55 THEN 'open' ELSE 'closed' END AS status,
            u(i, 12) < p_reopen AS reopen_draw, p_repeat,
            CASE WHEN status = 'resolved' AND u(i, 17) < p_fcr * CASE cause WHEN 'usage_question' THEN 1.2 ELSE 1 END
                 THEN 1 ELSE 2 + floor(u(i, 18) * 3)::INTEGER END AS contacts,
            u(i, 19) < p_complaint * CASE WHEN status <> 'resolved' THEN 3 ELSE 1 END
                * CASE WHEN cause = 'supplier_defect' THEN 4 ELSE 1 END AS complaint,
            printf('C%07d', hash(i, 22, {seed}) % {count * 3}) AS customer_id,
            printf('TK%06d', 100000 + row_number() OVER (ORDER BY created_at, i)) AS ticket_id
        FROM stamped
    """)
    _repeat_problems(con)
    con.execute(f"""
        COPY (
            SELECT ticket_id, agent_id, strftime(created_at, '%Y-%m-%d %H:%M:%S') AS created_at,
                strftime(first_at, '%Y-%m-%d %H:%M:%S') AS first_response_at,
                CASE WHEN status = 'resolved' THEN strftime(done_at, '%Y-%m-%d %H:%M:%S') END AS resolved_at,
                status, CASE WHEN status = 'resolved' AND reopen_draw THEN 'Y' ELSE 'N' END AS reopened,
                channel, cause, customer_id,
                CASE cause WHEN 'supplier_defect' THEN 'product_defect' ELSE cause END AS problem_type, contacts,
                CASE WHEN complaint THEN 'Y' ELSE 'N' END AS complaint
            FROM (SELECT *, 0 AS copy FROM t UNION ALL
                  SELECT * REPLACE ('open' AS status), 1 AS copy FROM t WHERE defect = 'duplicate_ticket')
            ORDER BY copy, created_at, i
        ) TO {inline_literal(out.tickets)} (HEADER, DELIMITER ',')
    """)
    surveys = """
        SELECT ticket_id, done_at + to_seconds(600 + round(3600 * 5 * exp(0.8 * z(i, 14)))) AS answered_at,
            greatest(1, least(5, round(4.65 + 0.4 * skill - 0.35 * ln(1 + work_h / 24)
                - CASE WHEN reopen_draw THEN 0.6 ELSE 0 END - CASE WHEN cause = 'supplier_defect' THEN 0.8 ELSE 0 END
                + 0.8 * z(i, 16))))::INTEGER AS score
        FROM t WHERE status = 'resolved' AND u(i, 13) < 0.30 AND defect IN ('', 'supplier_defect')
    """
    surveys = f"SELECT * FROM ({surveys}) WHERE answered_at < DATE '{end}' + INTERVAL 10 DAY"
    con.execute(f"""
        COPY (
            SELECT printf('SV%06d', row_number() OVER (ORDER BY answered_at, ticket_id)) AS survey_id, ticket_id,
                strftime(answered_at, '%Y-%m-%d %H:%M:%S') AS answered_at, score
            FROM ({surveys}) ORDER BY answered_at, ticket_id
        ) TO {inline_literal(out.surveys)} (HEADER, DELIMITER ',')
    """)
    [(late,)] = con.execute(
        f"SELECT count(*) FROM ({surveys}) WHERE answered_at >= DATE '{end}'").fetchall()
    [(duplicate,)] = con.execute("SELECT ticket_id FROM t WHERE defect = 'duplicate_ticket'").fetchall()
    return {"late": int(late), "duplicate": str(duplicate)}
