"""PostgreSQL and Spark as engines: every shipped scheme gives DuckDB's numbers, to the last bit.

The demo data of each scheme (five roles, two industry packs; seed 2026, 2026-Q3) is read and typed
by the embedded DuckDB, shipped to a real PostgreSQL server (tests/postgres_server.py) or to Spark
in local mode (tests/spark_session.py), measured there in that engine's dialect, and scored here;
every value, row count, score, total, grade, group row, target and data-quality count must equal
the run measured in DuckDB.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from appraisal.demo.builtin import generate as generate_builtin
from appraisal.demo.industry import generate as generate_industry
from appraisal.errors import DataError
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure, run
from appraisal.shipped import shipped_scheme
from outside import missing

ROOT = Path(__file__).resolve().parent.parent
PERIOD = parse_period("2026-Q3")
SCHEMES = {
    "agent": (lambda: shipped_scheme("agent"), generate_builtin, "agent"),
    "manager": (lambda: shipped_scheme("manager"), generate_builtin, "manager"),
    "warehouse": (lambda: shipped_scheme("warehouse"), generate_builtin, "warehouse"),
    "designer": (lambda: shipped_scheme("designer"), generate_builtin, "designer"),
    "purchaser": (lambda: shipped_scheme("purchaser"), generate_builtin, "purchaser"),
    "manufacturing": (lambda: ROOT / "schemes" / "manufacturing" / "service-engineer.yaml", generate_industry,
                      "service-engineer"),
    "it": (lambda: ROOT / "schemes" / "it" / "support-engineer.yaml", generate_industry, "support-engineer"),
}


def demo_scheme(folder: Path, name: str) -> Path:
    """The shipped scheme `name` beside its freshly generated demo data."""
    source, generate, role = SCHEMES[name]
    scheme = folder / source().name
    scheme.write_bytes(source().read_bytes())
    generate(folder / "data" / role, role=role)
    return scheme


def comparable(result: Any) -> dict[str, Any]:
    """A result as JSON, without what must differ between engines: the provenance (it names the
    engine) and the SQL text (written in each engine's dialect)."""
    found = json.loads(json.dumps(result.as_dict()))
    found.pop("provenance")
    found.pop("queries")
    return found


@pytest.mark.parametrize("name", list(SCHEMES))
def test_shipped_scheme_gives_the_same_result_on_every_engine(tmp_path: Path, remote, name: str) -> None:
    engine, settings = remote
    scheme = load_scheme(demo_scheme(tmp_path, name))
    on_duckdb = run(scheme, PERIOD, groups=("team", "manager", "roster"))
    there = run(scheme, PERIOD, groups=("team", "manager", "roster"), engine=engine, settings=settings)
    assert comparable(there) == comparable(on_duckdb)
    assert there.provenance["engine"]["name"] == engine
    assert there.provenance["engine"]["dialect"] == engine
    assert all("quantile_cont" not in query["sql"] for name, query in there.queries.items()
               if not name.startswith("ratings"))  # the ratings' query runs in DuckDB


def test_measured_values_are_the_same_bits_on_every_engine(tmp_path: Path, remote) -> None:
    engine, settings = remote
    scheme = load_scheme(demo_scheme(tmp_path, "agent"))
    here = measure(scheme, PERIOD)
    there = measure(scheme, PERIOD, engine=engine, settings=settings)
    assert there.cells.keys() == here.cells.keys()
    assert [there.cells[k] for k in here.cells] == [here.cells[k] for k in here.cells]
    assert there.quality == here.quality
    assert dict(there.targets) == dict(here.targets)


def test_the_server_keeps_nothing_after_a_run(tmp_path: Path, postgres) -> None:
    scheme = load_scheme(demo_scheme(tmp_path, "warehouse"))
    run(scheme, PERIOD, engine="postgres", settings={"dsn": postgres.dsn})
    with postgres.connect() as connection:
        [(tables,)] = connection.execute(
            "SELECT count(*) FROM pg_class WHERE relpersistence = 't' OR relname IN ('roster', '__calendar')"
        ).fetchall()
    assert tables == 0


def test_spark_keeps_no_view_after_a_run(tmp_path: Path, spark) -> None:
    scheme = load_scheme(demo_scheme(tmp_path, "warehouse"))
    run(scheme, PERIOD, engine="spark", settings={"master": "local[2]"})
    assert [table.name for table in spark.catalog.listTables() if table.isTemporary] == []


def test_an_unreachable_server_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        missing("psycopg (pip install 'appraisal[postgres]')")
    scheme = load_scheme(demo_scheme(tmp_path, "designer"))
    with pytest.raises(DataError, match="cannot connect to PostgreSQL") as raised:
        run(scheme, PERIOD, engine="postgres",
            settings={"dsn": "host=127.0.0.1 port=9 user=hr password=planted-secret-7", "connect_timeout": "5"})
    assert "planted-secret-7" not in str(raised.value)


def test_an_unknown_engine_is_named_with_a_suggestion(tmp_path: Path) -> None:
    scheme = load_scheme(demo_scheme(tmp_path, "designer"))
    with pytest.raises(DataError, match="unknown engine 'postgress'; did you mean 'postgres'"):
        run(scheme, PERIOD, engine="postgress")


def test_cli_run_on_postgres_writes_the_same_files_and_never_the_password(tmp_path: Path, postgres) -> None:
    scheme = demo_scheme(tmp_path, "agent")
    password_dsn = postgres.dsn + " password=planted-secret-9"  # trust authentication ignores it
    outputs = {}
    for engine in ("duckdb", "postgres"):
        env = {**os.environ, "APPRAISAL_POSTGRES_DSN": password_dsn}
        command = [sys.executable, "-m", "appraisal", "run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / engine),
                   "--engine", engine, "--groups", "team,roster", "--no-report"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
        assert done.returncode == 0, done.stderr
        assert "planted-secret-9" not in done.stdout + done.stderr
        outputs[engine] = tmp_path / engine
    for name in ("scores.csv", "totals.csv", "groups.csv", "quality.csv"):
        assert (outputs["postgres"] / name).read_bytes() == (outputs["duckdb"] / name).read_bytes(), name
    for path in outputs["postgres"].rglob("*"):
        if path.is_file():
            assert b"planted-secret-9" not in path.read_bytes(), path


def rows_scheme(column: str, indicators: str) -> str:
    """A scheme over one small CSV dataset `rows` (agent_id, at, and `column`), one grade."""
    return f"""scheme: probe
version: 1
title: Probe
period: month
roster: {{source: csv, path: roster.csv, key: agent_id}}
datasets:
  rows: {{source: csv, path: rows.csv, appraisee: agent_id, period_by: at,
         columns: {{agent_id: text, at: timestamp, {column}}}}}
indicators:
{indicators}
grades: {{A: 0}}
quality: {{error_if: never, warn_if: never}}
"""


QUANTILE_SCHEME = rows_scheme("x: number", """\
  - {id: middle, title: Median, measure: {dataset: rows, agg: median, of: x}, weight: 50, target: 1,
     score: {curve: linear, worst: 0, best: 2}}
  - {id: high, title: P90, measure: {dataset: rows, agg: percentile, percentile: 0.9, of: x}, weight: 50,
     target: 1, score: {curve: linear, worst: 0, best: 2}}""")
# values a median gives the same bits for on both engines (docs/engines.md, "Aggregates")
NORMAL = st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x == 0 or abs(x) >= 4.5e-308)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.lists(NORMAL, min_size=1, max_size=7), min_size=1, max_size=3))
# values of opposite signs: the p90 (5.6e14) is far smaller than the two it lies between, so the
# engines' roundings of lo * (1 - d) and hi * d are many units in the last place of the result
@example(values=[[1.116011839615418e+16, -5.957804892380373e+16, -4.182572381750901e+16]])
def test_medians_are_the_same_bits_and_percentiles_within_two_ulps_of_what_they_lie_between(
    tmp_path_factory, remote, values
) -> None:
    """A median is the same double; another percentile, interpolated without a fused multiply-add
    (three roundings, each within half a unit in the last place of the larger of the two values
    it lies between) against DuckDB's with one, differs by at most two such units."""
    engine, engine_settings = remote
    folder = tmp_path_factory.mktemp("quantiles")
    people = [f"P{n}" for n in range(len(values))]
    (folder / "roster.csv").write_text("agent_id\n" + "".join(f"{p}\n" for p in people), encoding="utf-8")
    rows = "".join(f"{p},2026-07-01 09:00,{x!r}\n" for p, xs in zip(people, values, strict=True) for x in xs)
    (folder / "rows.csv").write_text("agent_id,at,x\n" + rows, encoding="utf-8")
    (folder / "s.yaml").write_text(QUANTILE_SCHEME, encoding="utf-8")
    scheme = load_scheme(folder / "s.yaml")
    here = measure(scheme, parse_period("2026-07"))
    there = measure(scheme, parse_period("2026-07"), engine=engine, settings=engine_settings)
    for person, xs in zip(people, values, strict=True):
        assert there.cell(person, "middle") == here.cell(person, "middle")
        a, b = there.cell(person, "high").value, here.cell(person, "high").value
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            ordered, h = sorted(xs), (len(xs) - 1) * 0.9
            lo, hi = ordered[math.floor(h)], ordered[math.ceil(h)]
            assert abs(a - b) <= 2 * math.ulp(max(abs(lo), abs(hi)))


HOSTILE_SCHEME = r"""
scheme: hostile-data
version: 1
title: Hostile data
period: quarter
roster: {source: csv, path: roster.csv, key: 'agent "id"', name: name}
datasets:
  tickets:
    source: csv
    path: tickets.csv
    appraisee: 'agent "id"'
    period_by: "créé à"
    columns: {'agent "id"': text, "créé à": timestamp, note: text, cost: number}
indicators:
  - id: empty_notes
    title: Empty notes
    measure: {dataset: tickets, agg: count, where: "note == ''"}
    target: 1
    score: {curve: linear, worst: 0, best: 2}
    weight: 30
  - id: odd_notes
    title: Notes that look like a null, in CJK, or with a backslash
    measure: {dataset: tickets, agg: count,
              where: 'note == "\\N" or note == "NULL" or note == "售后, 已解决" or note == "it''s \\\\ back"'}
    target: 1
    score: {curve: linear, worst: 0, best: 2}
    weight: 30
  - id: cost
    title: Cost
    measure: {dataset: tickets, agg: mean, of: cost}
    target: 10
    score: {curve: linear, worst: 20, best: 0}
    weight: 40
grades: {A: 60, B: 0}
quality: {error_if: never}
"""
HOSTILE_NOTES = ["", "it's \\\\ back", 'say "hi", then\nnew line', "\x1b[2J\x9b31m\u202eevil", "售后, 已解决",
                 "=HYPERLINK(\"x\")", "\\N", "NULL", "  padded  "]


def write_hostile(folder: Path, notes: list[str]) -> Path:
    import csv

    with (folder / "roster.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(['agent "id"', "name"])
        writer.writerows([["a1", "Ann\x1b]0;x\x07"], ["=1+1", "Bob"], ['q"uote', "Cé"]])
    with (folder / "tickets.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(['agent "id"', "créé à", "note", "cost", 'x"; DROP TABLE roster; --'])
        for n, note in enumerate(notes):
            writer.writerow([("a1", "=1+1", 'q"uote')[n % 3], f"2026-08-{n % 28 + 1:02d} 10:00", note, f"{n * 1.1!r}",
                             note])
        writer.writerow(["a1", "2026-08-03 10:00", "", "not a number", ""])  # a bad cell: NULL, counted
        writer.writerow(["a1", "2026-08-04 10:00", None, "3", None])  # an empty cell: NULL
    (folder / "hostile.yaml").write_text(HOSTILE_SCHEME, encoding="utf-8")
    return folder / "hostile.yaml"


def test_hostile_data_gives_the_same_result_on_every_engine(tmp_path: Path, remote) -> None:
    engine, settings = remote
    scheme = load_scheme(write_hostile(tmp_path, HOSTILE_NOTES))
    on_duckdb = run(scheme, PERIOD)
    there = run(scheme, PERIOD, engine=engine, settings=settings)
    assert comparable(there) == comparable(on_duckdb)
    odd = [cell["value"] for who in comparable(on_duckdb)["appraisees"] for cell in who["cells"]
           if cell["indicator"] == "odd_notes"]
    assert sum(v or 0 for v in odd) == 4  # texts that look like a null, the CJK one, the backslash one


def test_a_nul_character_in_the_data_is_a_clear_error_on_postgres(tmp_path: Path, postgres) -> None:
    scheme = load_scheme(write_hostile(tmp_path, ["before\x00after"]))
    with pytest.raises(DataError, match="cannot copy table 'tickets' into PostgreSQL"):
        run(scheme, PERIOD, engine="postgres", settings={"dsn": postgres.dsn})


COLLATION_SCHEME = rows_scheme("channel: text", """\
  - {id: before_a, title: Channels before a, measure: {dataset: rows, agg: count, where: "channel < 'a'"},
     weight: 100, target: 1, score: {curve: linear, worst: 0, best: 2}}""")


def test_texts_compare_by_code_point_whatever_the_databases_collation(tmp_path: Path, postgres) -> None:
    with postgres.connect() as connection:  # English collation: 'B' sorts after 'a' there, before it by code point
        connection.execute("DROP DATABASE IF EXISTS english")
        connection.execute("CREATE DATABASE english TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
                           " LOCALE 'C.UTF-8'")
    (tmp_path / "roster.csv").write_text("agent_id\nA\n", encoding="utf-8")
    rows = "".join(f"A,2026-07-0{n + 1} 09:00,{channel}\n" for n, channel in enumerate(["B", "Bob", "a", "alice"]))
    (tmp_path / "rows.csv").write_text("agent_id,at,channel\n" + rows, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(COLLATION_SCHEME, encoding="utf-8")
    scheme = load_scheme(tmp_path / "s.yaml")
    here = measure(scheme, parse_period("2026-07"))
    there = measure(scheme, parse_period("2026-07"), engine="postgres",
                    settings={"dsn": postgres.dsn.replace("dbname=appraisal", "dbname=english")})
    assert here.cell("A", "before_a").value == 2.0  # 'B' and 'Bob'
    assert there.cell("A", "before_a") == here.cell("A", "before_a")


def test_a_numeric_roster_key_joins_on_every_engine(tmp_path: Path, remote) -> None:
    engine, settings = remote
    scheme_text = COLLATION_SCHEME.replace("key: agent_id}", "key: agent_id, columns: {agent_id: number}}").replace(
        "columns: {agent_id: text,", "columns: {agent_id: number,")
    (tmp_path / "roster.csv").write_text("agent_id\n1001\n1002\n", encoding="utf-8")
    (tmp_path / "rows.csv").write_text("agent_id,at,channel\n1001,2026-07-01 09:00,B\n1002,2026-07-02 09:00,c\n",
                                       encoding="utf-8")
    (tmp_path / "s.yaml").write_text(scheme_text, encoding="utf-8")
    scheme = load_scheme(tmp_path / "s.yaml")
    here = measure(scheme, parse_period("2026-07"))
    there = measure(scheme, parse_period("2026-07"), engine=engine, settings=settings)
    assert dict(there.cells) == dict(here.cells)
    assert [cell.value for cell in here.cells.values()] == [1.0, None]  # 1002 has no row before a


def test_a_name_with_a_backslash_is_refused_by_spark_with_a_message(tmp_path: Path, spark) -> None:
    (tmp_path / "roster.csv").write_text("agent_id\nA\n", encoding="utf-8")
    (tmp_path / "rows.csv").write_text('agent_id,at,channel,"x\\y"\nA,2026-07-01 09:00,B,1\n', encoding="utf-8")
    (tmp_path / "s.yaml").write_text(COLLATION_SCHEME, encoding="utf-8")
    scheme = load_scheme(tmp_path / "s.yaml")
    with pytest.raises(DataError, match=r"Spark cannot measure table 'rows': a name in it holds a backslash"):
        measure(scheme, parse_period("2026-07"), engine="spark", settings={"master": "local[2]"})
