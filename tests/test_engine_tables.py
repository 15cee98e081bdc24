"""Datasets that live in the engine's database (`source: table`): typed, checked and measured there.

The reference is the same typed rows as a Parquet file measured on DuckDB (tests/warehouse.py):
the shipped schemes' demo data, typed by DuckDB, is put into a real PostgreSQL schema and a
Spark database, and each scheme reading those tables must give the result the same scheme gives
reading the Parquet files, to the last bit, data-quality counts included.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from appraisal.engines.duckdb_engine import open_engine
from appraisal.errors import DataError
from appraisal.measuring.measurements import measuring
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure, run
from appraisal.plugins import extensions
from appraisal.scheme.extending import load_resolved
from appraisal.scheme.repeat_rules import added_columns
from appraisal.sql.dialect import SPACES
from test_engines import SCHEMES, comparable, demo_scheme
from warehouse import parquet, postgres_schema, spark_database

PERIOD = parse_period("2026-Q3")


@contextlib.contextmanager
def measuring_rows(scheme: Any, sql: str, engine: str = "duckdb", settings_: Any = None) -> Iterator[list[Any]]:
    """The rows of `sql` on the engine `scheme` was measured on, its datasets as it keeps them."""
    with measuring(scheme, PERIOD, extensions(), engine_name=engine, settings=settings_) as measured:
        found = measured.engine.fetch(sql)
        yield list(zip(*(column.to_pylist() for column in found.columns), strict=True))


def typed_files(folder: Path, name: str) -> tuple[dict[str, Any], dict[str, Path]]:
    """The demo scheme `name` as data, and each of its datasets' typed rows, in file order, as
    Parquet (read through the scheme without keys and repeats, so every row is there)."""
    spec = json.loads(json.dumps(load_resolved(demo_scheme(folder, name), extensions()).data))
    spec.pop("extends", None)
    plain = json.loads(json.dumps(spec))
    for dataset in plain["datasets"].values():
        dataset.pop("key", None)
    (folder / "plain.yaml").write_text(yaml.safe_dump(plain, allow_unicode=True), encoding="utf-8")
    files = {}
    with open_engine(load_scheme(folder / "plain.yaml"), extensions().sources) as engine:
        for name, dataset in spec["datasets"].items():
            rows = engine.fetch(f'SELECT * FROM "{name}"')
            added = added_columns(dataset, spec["datasets"])  # a repeat's marks are the engine's to add
            files[name] = parquet(folder, name, rows.drop_columns([c for c in rows.column_names if c in added]))
    for part in ("roster", "ratings"):  # read here from the database, as text: a file's cells as written
        if part in spec:
            with duckdb.connect() as con:
                found = con.sql("SELECT * FROM read_csv($path, all_varchar = true, header = true)",
                                params={"path": str(folder / spec[part]["path"])})
                text = (getattr(found, "to_arrow_table", None) or found.fetch_arrow_table)()  # DuckDB 2 / 1.4
            files[part] = parquet(folder, part, text)
    return spec, files




def variants(folder: Path, spec: dict[str, Any], files: dict[str, Path], where: str) -> tuple[Path, Path]:
    """The scheme reading each dataset of `files` from its Parquet file, and the same scheme
    reading it from the table `<where>.<dataset>` (first of a key: by `loaded_row`)."""
    as_files, as_tables = json.loads(json.dumps(spec)), json.loads(json.dumps(spec))
    for part in ("roster", "ratings"):
        if part in files:
            as_tables[part] = {**{k: v for k, v in spec[part].items() if k not in ("path", "options")},
                               "source": "table", "table": f"{where}.{part}"}
    for name, path in files.items():
        if name in ("roster", "ratings"):
            continue
        for variant in (as_files, as_tables):
            dataset = variant["datasets"][name]
            dataset.pop("options", None)
            dataset.pop("rename", None)
            dataset["columns"] = {**_typed_columns(dataset.get("columns", {})), "loaded_row": "integer"}
        as_files["datasets"][name].update(source="parquet", path=path.name)
        as_tables["datasets"][name].pop("path")
        as_tables["datasets"][name].update(source="table", table=f"{where}.{name}", first_by=["loaded_row"])
    written = []
    for label, variant in (("files", as_files), ("tables", as_tables)):
        path = folder / f"{label}.yaml"
        path.write_text(yaml.safe_dump(variant, allow_unicode=True), encoding="utf-8")
        written.append(path)
    return written[0], written[1]


def _typed_columns(columns: dict[str, Any]) -> dict[str, Any]:
    """Declared columns as their kinds alone: a typed file or table has no text formats."""
    return {name: declared if isinstance(declared, str) else declared["type"] for name, declared in columns.items()}


@pytest.mark.parametrize("name", list(SCHEMES))
def test_shipped_scheme_reading_tables_gives_the_result_of_the_same_rows_as_files(
    tmp_path: Path, remote, name: str, request: pytest.FixtureRequest
) -> None:
    engine, settings = remote
    spec, files = typed_files(tmp_path, name)
    if engine == "postgres":
        holder = postgres_schema(request.getfixturevalue("postgres"), files)
    else:
        holder = spark_database(request.getfixturevalue("spark"), files)
    with holder as where:
        as_files, as_tables = variants(tmp_path, spec, files, where)
        on_duckdb = run(load_scheme(as_files), PERIOD, groups=("team", "manager"))
        there = run(load_scheme(as_tables), PERIOD, groups=("team", "manager"), engine=engine, settings=settings)
    assert comparable(there) == comparable(on_duckdb)
    assert there.provenance["engine"]["name"] == engine
    if name == "agent":  # the demo's repeated ticket, found where the rows live as in a file
        causes = {(q["dataset"], q["cause"]) for q in there.as_dict()["quality"]}
        assert ("tickets", "duplicate key") in causes


# --- a table's own values: what a typed column can hold that does not fit ----------------------

TYPED_SCHEME = """\
scheme: typed-table
version: 1
title: A table of typed values
period: quarter
timezone: Asia/Shanghai
roster: {source: csv, path: roster.csv, key: agent_id, name: name, team: team}
datasets:
  tickets:
    source: parquet
    path: tickets.parquet
    key: ticket_id
    appraisee: agent_id
    period_by: created_at
    columns:
      ticket_id: text
      agent_id: text
      created_at: timestamp
      score: number
      parts: integer
      handled: duration
      resolved: flag
      note: text
      amount: number
      units: integer
      loaded_row: integer
indicators:
  - {id: tickets, title: Tickets, measure: {dataset: tickets, agg: count}, target: 3,
     score: {curve: linear, worst: 0, best: 6}, weight: 100}
  - {id: score, title: Score, measure: {dataset: tickets, agg: mean, of: score}, weight: 0}
  - {id: parts, title: Parts, measure: {dataset: tickets, agg: sum, of: parts}, weight: 0}
  - {id: handled, title: Handled, measure: {dataset: tickets, agg: median, of: handled}, weight: 0}
  - {id: resolved, title: Resolved, measure: {dataset: tickets, agg: ratio, numerator: {where: resolved}}, weight: 0}
  - {id: noted, title: Noted, measure: {dataset: tickets, agg: count, where: "not_null(note)"}, weight: 0}
grades: {A: 90, B: 0}
quality: {warn_if: never, error_if: never}
"""

ROSTER = "agent_id,name,team\n1001,Ann,north\n1002,Bo,south\n1003,Cy,south\n"


def typed_rows() -> pa.Table:
    """Typed values a warehouse may hold, each kind's misfits among them; ids are numbers."""
    inf, nan = float("inf"), float("nan")
    at = [datetime(2026, 7, 1, 2, 0, tzinfo=UTC) + timedelta(hours=7 * n) for n in range(12)]
    at[11] = datetime(2026, 9, 30, 16, 30, tzinfo=UTC)  # 00:30 on 1 October in Shanghai: the next quarter
    return pa.table({
        "ticket_id": ["t01", "t02", "t02", None, "t05", "t06", "t07", "t08", "t09", "t10", "t11", "t12"],
        "agent_id": pa.array([1001, 1001, 1001, 1002, 1002, 1002, 1003, 1003, 1003, 1001, 1002, 1003], pa.int64()),
        "created_at": pa.array(at, pa.timestamp("us", tz="UTC")),
        "score": [1.5, nan, 2.0, inf, -inf, 3.25, None, 4.0, 0.1, nan, 5.0, 6.0],
        "parts": [1.0, 2.5, 3.0, 1e30, -4.0, 7.0, None, 2.0, 9.2e18, 0.0, -1e-9, 1.0],
        "handled": [60.0, -5.0, 120.0, inf, 30.0, None, 45.5, -0.5, 90.0, 15.0, 600.0, 1.0],
        "resolved": [True, False, True, None, True, True, False, True, False, True, True, False],
        "note": ["  padded ", "", None, "x", "日本", " ", "ok", "b", "a", "z", "y", "q"],
        "amount": pa.array([Decimal(v) for v in ("1.50", "2.25", "0.10", "3", "4.75", "5", "6.5", "7", "8.125", "9",
                                                   "10", "11")], pa.decimal128(10, 3)),
        "units": pa.array([Decimal(v) for v in ("1", "2.5", "3", "4", "5", "6", "7", "8", "9", "10", "11.001", "12")],
                          pa.decimal128(12, 3)),
    })


def typed_scheme(folder: Path, where: str | None) -> Path:
    """TYPED_SCHEME beside its roster, reading tickets.parquet, or (`where`) the table `<where>.tickets`."""
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    text = TYPED_SCHEME
    if where is not None:
        text = text.replace("    source: parquet\n    path: tickets.parquet\n",
                            f"    source: table\n    table: {where}.tickets\n    first_by: [loaded_row]\n")
    path = folder / ("tables.yaml" if where else "files.yaml")
    path.write_text(text, encoding="utf-8")
    return path


def test_a_tables_misfits_are_counted_as_a_files_are(tmp_path: Path, remote, request: pytest.FixtureRequest) -> None:
    engine, settings = remote
    files = {"tickets": parquet(tmp_path, "tickets", typed_rows())}
    on_duckdb = run(load_scheme(typed_scheme(tmp_path, None)), PERIOD, groups=("team",))
    holder = postgres_schema(request.getfixturevalue("postgres"), files) if engine == "postgres" \
        else spark_database(request.getfixturevalue("spark"), files)
    with holder as where:
        there = run(load_scheme(typed_scheme(tmp_path, where)), PERIOD, groups=("team",), engine=engine,
                    settings=settings)
    assert comparable(there) == comparable(on_duckdb)
    counted = {(q["cause"], q["column"]): (q["count"], q["examples"]) for q in there.as_dict()["quality"]}
    assert counted[("duplicate key", "ticket_id")] == (1, ["'t02'"])
    assert counted[("unparseable number", "score")] == (4, ["'-inf'", "'inf'", "'nan'"])
    assert counted[("unparseable integer", "parts")] == (3, ["'-1e-09'", "'1e+30'", "'2.5'"])  # 9.2e18 fits
    assert counted[("negative duration", "handled")] == (2, ["'-0.5'", "'-5.0'"])
    assert counted[("unparseable duration", "handled")] == (1, ["'inf'"])


# Notes with spaces at their ends, Unicode's among them, and a note of nothing but such spaces.
SPACED_NOTES = ["\u3000padded\u00a0", "", None, "\u2003x", "日本\u3000", "\u3000\u00a0", "ok", " b\t", "a", "z", "y",
                "q"]


def _with_notes(rows: pa.Table, notes: list[str | None]) -> pa.Table:
    return rows.set_column(rows.schema.get_field_index("note"), "note", pa.array(notes, pa.string()))


def test_unicode_spaces_around_a_tables_text_are_trimmed_as_a_files_are(
        tmp_path: Path, remote, request: pytest.FixtureRequest) -> None:
    """PostgreSQL's and Spark's own trim removes the ASCII space alone; a blank note must be no
    note (the `noted` count) on every engine, as on DuckDB."""
    engine, settings = remote
    plain_notes = [None if n is None else (n.strip(SPACES) or None) for n in SPACED_NOTES]
    (tmp_path / "plain").mkdir()
    (tmp_path / "spaced").mkdir()
    parquet(tmp_path / "plain", "tickets", _with_notes(typed_rows(), plain_notes))
    spaced = {"tickets": parquet(tmp_path / "spaced", "tickets", _with_notes(typed_rows(), SPACED_NOTES))}
    expected = comparable(run(load_scheme(typed_scheme(tmp_path / "plain", None)), PERIOD))
    assert comparable(run(load_scheme(typed_scheme(tmp_path / "spaced", None)), PERIOD)) == expected
    holder = postgres_schema(request.getfixturevalue("postgres"), spaced) if engine == "postgres" \
        else spark_database(request.getfixturevalue("spark"), spaced)
    with holder as where:
        there = run(load_scheme(typed_scheme(tmp_path / "spaced", where)), PERIOD, engine=engine, settings=settings)
    assert comparable(there) == expected


UNDECLARED_SCHEME = """\
scheme: undeclared-table
version: 1
title: A table whose columns are not declared
period: quarter
timezone: Asia/Shanghai
roster: {source: csv, path: roster.csv, key: agent_id}
datasets:
  tickets: {source: parquet, path: tickets.parquet, appraisee: agent_id, period_by: created_at}
indicators:
  - {id: tickets, title: Tickets, measure: {dataset: tickets, agg: count}, target: 3,
     score: {curve: linear, worst: 0, best: 6}, weight: 100}
grades: {A: 90, B: 0}
"""


def test_an_undeclared_appraisee_with_spaces_is_the_rosters_id_in_a_table_as_in_a_file(
        tmp_path: Path, remote, request: pytest.FixtureRequest) -> None:
    """The roster's key is a text trimmed of its spaces, declared or not, and so is the appraisee
    it is compared with, on every engine."""
    engine, settings = remote
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    rows = pa.table({"agent_id": ["1001\u3000", " 1002", "1003", "1001\u00a0 "],
                     "created_at": pa.array([datetime(2026, 7, 1 + n, 9) for n in range(4)], pa.timestamp("us"))})
    files = {"tickets": parquet(tmp_path, "tickets", rows)}
    expected = {("1001", "tickets"): 2.0, ("1002", "tickets"): 1.0, ("1003", "tickets"): 1.0}
    (tmp_path / "files.yaml").write_text(UNDECLARED_SCHEME, encoding="utf-8")
    assert {k: c.value for k, c in measure(load_scheme(tmp_path / "files.yaml"), PERIOD).cells.items()} == expected
    holder = postgres_schema(request.getfixturevalue("postgres"), files) if engine == "postgres" \
        else spark_database(request.getfixturevalue("spark"), files)
    with holder as where:
        (tmp_path / "tables.yaml").write_text(UNDECLARED_SCHEME.replace(
            "source: parquet, path: tickets.parquet", f"source: table, table: {where}.tickets"), encoding="utf-8")
        there = measure(load_scheme(tmp_path / "tables.yaml"), PERIOD, engine=engine, settings=settings)
    assert {k: c.value for k, c in there.cells.items()} == expected


def test_a_postgres_database_in_another_encoding_trims_the_spaces_it_can_hold(tmp_path: Path, postgres) -> None:
    """A query cannot name a character the database's encoding lacks: a LATIN1 database is read,
    its texts losing the ASCII and the no-break space (all LATIN1 has) as on DuckDB."""
    with postgres.connect() as pg:
        pg.execute("CREATE DATABASE latin TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'")
    try:
        latin = dataclasses.replace(postgres, database="latin")
        notes = ["  padded ", "", None, " x", "y\u00a0", "\u00a0", "\u00a0 ", "b", "a", "z", "y", "q"]
        files = {"tickets": parquet(tmp_path, "tickets", _with_notes(typed_rows(), notes))}
        with postgres_schema(latin, files) as where:
            there = run(load_scheme(typed_scheme(tmp_path, where)), PERIOD, engine="postgres",
                        settings={"dsn": latin.dsn})
        assert comparable(there) == comparable(run(load_scheme(typed_scheme(tmp_path, None)), PERIOD))
    finally:
        with postgres.connect() as pg:
            pg.execute("DROP DATABASE latin")


# --- what is refused, and how it is said --------------------------------------------------------

def test_a_table_dataset_on_the_embedded_engine_says_to_choose_the_databases(tmp_path: Path) -> None:
    scheme = load_scheme(typed_scheme(tmp_path, "support"))
    with pytest.raises(DataError, match=r"dataset 'tickets' reads the table support.tickets of a database: "
                       r"measure on that database's engine \(--engine NAME"):
        measure(scheme, PERIOD)


def test_a_missing_table_is_named(tmp_path: Path, postgres) -> None:
    scheme = load_scheme(typed_scheme(tmp_path, "nowhere"))
    with pytest.raises(DataError, match=r'PostgreSQL cannot read "nowhere"."tickets": relation .* does not exist'):
        measure(scheme, PERIOD, engine="postgres", settings={"dsn": postgres.dsn})


def test_a_column_of_another_kind_is_refused_naming_both(tmp_path: Path, postgres) -> None:
    files = {"tickets": parquet(tmp_path, "tickets", typed_rows().set_column(
        7, "note", pa.array([True] * 12)).set_column(5, "handled", pa.array(["1:00"] * 12)))}
    with postgres_schema(postgres, files) as where:
        scheme = load_scheme(typed_scheme(tmp_path, where))
        with pytest.raises(DataError, match=r"dataset 'tickets' \(table w_\w+.tickets\): column 'handled' is "
                           r"declared duration but the table holds text values; declare the kind it holds, or "
                           "cast it in a view"):
            measure(scheme, PERIOD, engine="postgres", settings={"dsn": postgres.dsn})


def test_a_declared_column_the_table_lacks_is_named(tmp_path: Path, postgres) -> None:
    files = {"tickets": parquet(tmp_path, "tickets", typed_rows().drop_columns(["score"]))}
    with postgres_schema(postgres, files) as where:
        scheme = load_scheme(typed_scheme(tmp_path, where))
        with pytest.raises(DataError, match=r"\(table w_\w+.tickets\) has no column 'score'; it has agent_id, "):
            measure(scheme, PERIOD, engine="postgres", settings={"dsn": postgres.dsn})


@pytest.mark.parametrize(("change", "message"), [
    (("    table: x.tickets\n", "    table: x.tickets\n    path: tickets.parquet\n"),
     "datasets.tickets.path: source: table reads the table named by 'table', not a file; remove 'path'"),
    (("    first_by: [loaded_row]\n", "    first_by: [nothing]\n"),
     "datasets.tickets.first_by: first_by names 'nothing', which is not a declared column"),
    (("      created_at: timestamp\n", "      created_at: {type: timestamp, format: '%d/%m/%Y'}\n"),
     "datasets.tickets.columns.created_at: a table's column is typed by the database: no 'format'"),
    (("    source: table\n    table: x.tickets\n", "    source: parquet\n    path: t.parquet\n    table: x.tickets\n"),
     "datasets.tickets.table: 'table' is only for a table of the database (source: table)"),
    (("    source: table\n    table: x.tickets\n", "    source: table\n"),
     "datasets.tickets: missing required key 'table'"),
    (("    table: x.tickets\n", "    table: Tickets\n"),
     "datasets.tickets.table: the run keeps a table of its own called 'Tickets', which would hide this one"),
    (("roster: {source: csv, path: roster.csv,", "roster: {source: table, table: hr.staff, path: roster.csv,"),
     "roster.path: source: table reads the table named by 'table', not a file"),
    (("roster: {source: csv, path: roster.csv,", "roster: {source: table, table: hr.staff, first_by: [x],"),
     "roster.first_by: unknown key 'first_by'"),
])
def test_validate_says_what_a_table_dataset_cannot_take(tmp_path: Path, run_cli, change, message) -> None:
    path = typed_scheme(tmp_path, "x")
    path.write_text(path.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    result = run_cli("validate", str(path))
    assert result.exit_code == 1
    assert message in result.stderr, result.stderr


def test_a_table_scheme_validates_without_an_engine(tmp_path: Path, run_cli) -> None:
    result = run_cli("validate", str(typed_scheme(tmp_path, "support")))
    assert result.exit_code == 0, result.stderr


def test_explain_shows_no_rows_of_a_table_which_may_have_changed(tmp_path: Path, postgres) -> None:
    from appraisal.row_reader import RowReader

    files = {"tickets": parquet(tmp_path, "tickets", typed_rows())}
    with postgres_schema(postgres, files) as where:
        result = run(load_scheme(typed_scheme(tmp_path, where)), PERIOD, engine="postgres",
                     settings={"dsn": postgres.dsn})
    with RowReader(result, extensions()) as reader:
        shown = reader.counted("1001", "tickets")
    assert shown.why_not == {"key": "rows_in_database", "table": f"{where}.tickets"}


def test_a_missing_table_is_named_by_spark(tmp_path: Path, spark) -> None:
    scheme = load_scheme(typed_scheme(tmp_path, "nowhere"))
    with pytest.raises(DataError, match=r'Spark cannot read "nowhere"."tickets": .*TABLE_OR_VIEW_NOT_FOUND'):
        measure(scheme, PERIOD, engine="spark", settings={"master": "local[2]"})


def test_postgres_intervals_are_durations_as_seconds_are(tmp_path: Path, postgres) -> None:
    seconds = [3600.0, -300.0, 7200.5, None, 1800.0, 120.0, 2700.0, -60.0, 5400.0, 900.0, 36000.0, 60.0]
    files = {"tickets": parquet(tmp_path, "tickets", typed_rows().set_column(5, "handled", pa.array(seconds)))}
    on_duckdb = run(load_scheme(typed_scheme(tmp_path, None)), PERIOD)  # seconds as numbers
    with postgres_schema(postgres, files) as where, postgres.connect() as pg:
        pg.execute(f'ALTER TABLE "{where}".tickets ALTER COLUMN handled TYPE INTERVAL '
                   "USING make_interval(secs => handled)")
        there = run(load_scheme(typed_scheme(tmp_path, where)), PERIOD, engine="postgres",
                    settings={"dsn": postgres.dsn})
    def without_examples(result: Any) -> dict[str, Any]:  # an interval is shown as one, not as seconds
        found = comparable(result)
        found["quality"] = [{**q, "examples": []} for q in found["quality"]]
        return found

    assert without_examples(there) == without_examples(on_duckdb)
    assert [(q["cause"], q["count"], q["examples"]) for q in there.as_dict()["quality"] if q["column"] == "handled"] \
        == [("negative duration", 2, ["'-00:01:00'", "'-00:05:00'"])]


def test_validate_on_the_embedded_engine_refuses_a_table_dataset(tmp_path: Path, run_cli) -> None:
    result = run_cli("validate", "--engine", "duckdb", str(typed_scheme(tmp_path, "support")))
    assert result.exit_code == 1
    assert ("datasets.tickets.source: a table of a database is read through that database's engine, not the "
            "embedded duckdb") in result.stderr
    assert run_cli("validate", "--engine", "postgres", str(typed_scheme(tmp_path, "support"))).exit_code == 0


def test_indicator_ids_longer_than_a_postgres_name_give_the_same_result(tmp_path: Path, remote) -> None:
    """PostgreSQL keeps 63 bytes of a name: two long ids that begin alike must stay two."""
    engine, settings = remote
    parquet(tmp_path, "tickets", typed_rows())
    path = typed_scheme(tmp_path, None)
    alike = "score_" + "x" * 70
    text = path.read_text(encoding="utf-8").replace("{id: score,", "{id: " + alike + ",")
    text = text.replace("{id: parts,", "{id: " + alike[:-1] + "y,").replace("{id: noted,", "{id: " + "得分" * 30 + ",")
    path.write_text(text, encoding="utf-8")
    scheme = load_scheme(path)
    assert comparable(run(scheme, PERIOD, engine=engine, settings=settings)) == comparable(run(scheme, PERIOD))


# --- a comeback looked for in another table: the window form against DuckDB's ASOF join ---------

COMEBACK_SCHEME = """\
scheme: comeback
version: 1
title: Repurchase after a repair
period: quarter
roster: {source: csv, path: roster.csv, key: agent_id}
datasets:
  repairs:
    source: parquet
    path: repairs.parquet
    key: repair_id
    appraisee: agent_id
    period_by: repaired_at
    repeats: {column: repurchased, same: [customer], after: repaired_at, within_days: 1, in: orders, at: ordered_at}
    columns: {repair_id: text, agent_id: text, customer: text, repaired_at: timestamp, loaded_row: integer}
  orders:
    source: parquet
    path: orders.parquet
    key: order_id
    appraisee: agent_id
    period_by: ordered_at
    columns: {order_id: text, agent_id: text, customer: text, ordered_at: timestamp, loaded_row: integer}
indicators:
  - {id: repurchase, title: Repurchase, measure: {dataset: repairs, agg: ratio, numerator: {where: repurchased}},
     target: 0.5, score: {curve: linear, worst: 0, best: 1}, weight: 100}
grades: {A: 90, B: 0}
quality: {warn_if: never, error_if: never}
"""

# few customers and hours, so rows share both often: ties, and comebacks within the window and beyond
_HOURS = st.integers(-1, 60).map(lambda h: None if h < 0 else datetime(2026, 7, 1) + timedelta(hours=h))
_CUSTOMERS = st.sampled_from([None, "c1", "c2", "c1", "c2"])


@given(repairs=st.lists(st.tuples(_CUSTOMERS, _HOURS, st.sampled_from(["1001", "1002"])), max_size=12),
       orders=st.lists(st.tuples(_CUSTOMERS, _HOURS), max_size=12))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_comeback_in_another_table_marks_the_rows_duckdbs_asof_join_marks(
    tmp_path_factory, remote, request, repairs, orders
) -> None:
    engine, settings_ = remote
    folder = tmp_path_factory.mktemp("comeback")
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    files = {
        "repairs": parquet(folder, "repairs", pa.table({
            "repair_id": [f"r{n:02}" for n in range(len(repairs))], "agent_id": [r[2] for r in repairs],
            "customer": pa.array([r[0] for r in repairs], pa.string()),
            "repaired_at": pa.array([r[1] for r in repairs], pa.timestamp("us"))})),
        "orders": parquet(folder, "orders", pa.table({
            "order_id": [f"o{n:02}" for n in range(len(orders))],  # o00 < o01: the smallest of two at one time
            "agent_id": ["1001"] * len(orders),
            "customer": pa.array([o[0] for o in orders], pa.string()),
            "ordered_at": pa.array([o[1] for o in orders], pa.timestamp("us"))})),
    }
    (folder / "files.yaml").write_text(COMEBACK_SCHEME, encoding="utf-8")
    holder = postgres_schema(request.getfixturevalue("postgres"), files) if engine == "postgres" \
        else spark_database(request.getfixturevalue("spark"), files)
    marks = 'SELECT repair_id, repurchased, repurchased_by FROM repairs ORDER BY repair_id'
    with measuring_rows(load_scheme(folder / "files.yaml"), marks) as here, holder as where:
        text = COMEBACK_SCHEME
        for name in files:
            text = text.replace(f"    source: parquet\n    path: {name}.parquet\n",
                                f"    source: table\n    table: {where}.{name}\n    first_by: [loaded_row]\n")
        (folder / "tables.yaml").write_text(text, encoding="utf-8")
        with measuring_rows(load_scheme(folder / "tables.yaml"), marks, engine, settings_) as there:
            assert there == here


def test_a_roster_in_a_database_on_the_embedded_engine_says_to_choose_the_databases(tmp_path: Path) -> None:
    path = typed_scheme(tmp_path, None)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "roster: {source: csv, path: roster.csv,", "roster: {source: table, table: hr.staff,"), encoding="utf-8")
    with pytest.raises(DataError, match=r"^roster reads the table hr.staff of a database: measure on that "):
        measure(load_scheme(path), PERIOD)


def test_a_rename_the_table_cannot_follow_is_refused_as_for_a_file(tmp_path: Path, postgres) -> None:
    files = {"tickets": parquet(tmp_path, "tickets", typed_rows())}
    with postgres_schema(postgres, files) as where, postgres.connect() as pg:
        pg.execute(f'ALTER TABLE "{where}".tickets ADD COLUMN remark TEXT')
        for rename, message in (("{nothing: note}", r"rename names 'nothing', which the table does not have"),
                                ("{remark: note}", r"columns 'note' and 'remark' would both be called 'note'")):
            path = typed_scheme(tmp_path, where)
            first = "    first_by: [loaded_row]\n"
            path.write_text(path.read_text(encoding="utf-8").replace(first, f"{first}    rename: {rename}\n"),
                            encoding="utf-8")
            with pytest.raises(DataError, match=message):
                measure(load_scheme(path), PERIOD, engine="postgres", settings={"dsn": postgres.dsn})


def test_postgres_numeric_nan_is_counted_as_no_number(tmp_path: Path, postgres) -> None:
    files = {"tickets": parquet(tmp_path, "tickets", typed_rows())}
    with postgres_schema(postgres, files) as where, postgres.connect() as pg:
        pg.execute(f"UPDATE \"{where}\".tickets SET amount = 'NaN', units = 'NaN' WHERE loaded_row = 1")
        found = measure(load_scheme(typed_scheme(tmp_path, where)), PERIOD, engine="postgres",
                        settings={"dsn": postgres.dsn})
    counted = {(q.cause, q.column): q.count for q in found.quality}
    assert counted[("unparseable number", "amount")] == 1
    assert counted[("unparseable integer", "units")] == 3  # NaN, 2.5 and 11.001


def test_the_row_kept_of_a_repeated_key_does_not_depend_on_the_tables_order(tmp_path: Path, postgres) -> None:
    """Ties in first_by are broken by the other columns: the same rows stored in another order
    keep the same row of t02 (its two copies tie on `agent_id`)."""
    files = {"tickets": parquet(tmp_path, "tickets", typed_rows())}
    found = []
    with postgres_schema(postgres, files) as where, postgres.connect() as pg:
        path = typed_scheme(tmp_path, where)
        path.write_text(path.read_text(encoding="utf-8").replace("first_by: [loaded_row]", "first_by: [agent_id]"),
                        encoding="utf-8")
        for order in ("ASC", "DESC"):
            pg.execute(f'CREATE TABLE "{where}".t AS SELECT * FROM "{where}".tickets ORDER BY loaded_row {order}')
            pg.execute(f'DROP TABLE "{where}".tickets')
            pg.execute(f'ALTER TABLE "{where}".t RENAME TO tickets')
            found.append(comparable(run(load_scheme(path), PERIOD, engine="postgres", settings={"dsn": postgres.dsn})))
    assert found[0] == found[1]


def test_a_table_whose_name_postgres_cut_is_found_by_its_long_name(tmp_path: Path, postgres) -> None:
    long = "tickets_" + "of_the_after_sales_service_desk_" * 3  # 104 bytes: PostgreSQL keeps 63
    files = {long: parquet(tmp_path, "tickets", typed_rows())}
    on_duckdb = run(load_scheme(typed_scheme(tmp_path, None)), PERIOD)
    with postgres_schema(postgres, files) as where:
        path = typed_scheme(tmp_path, where)
        path.write_text(path.read_text(encoding="utf-8").replace(f"{where}.tickets", f"{where}.{long}"),
                        encoding="utf-8")
        there = run(load_scheme(path), PERIOD, engine="postgres", settings={"dsn": postgres.dsn})
    assert comparable(there) == comparable(on_duckdb)


def test_a_column_whose_name_postgres_cut_is_found_by_its_long_name(tmp_path: Path, postgres) -> None:
    """The table was created with a 77-byte column name, which PostgreSQL keeps as its first 63
    bytes; the scheme declares the name it was created with, and reads it by that name."""
    long = "score_" + "as_the_customer_gave_it_in_the_survey_" * 2  # 82 bytes
    rows = typed_rows()
    rows = rows.rename_columns([long if name == "score" else name for name in rows.column_names])
    files = {"tickets": parquet(tmp_path, "tickets", rows)}
    spelled = {"score: number": f"{long}: number", "of: score}": f"of: {long}}}"}
    on_duckdb = run(load_scheme(_spelled(typed_scheme(tmp_path, None), spelled)), PERIOD)
    with postgres_schema(postgres, files) as where:
        there = run(load_scheme(_spelled(typed_scheme(tmp_path, where), spelled)), PERIOD, engine="postgres",
                    settings={"dsn": postgres.dsn})
    assert comparable(there) == comparable(on_duckdb)


def test_two_declared_columns_postgres_would_cut_alike_are_refused(tmp_path: Path, postgres) -> None:
    long = "score_" + "as_the_customer_gave_it_in_the_survey_" * 2
    rows = typed_rows()
    rows = rows.rename_columns([long if name == "score" else name for name in rows.column_names])
    files = {"tickets": parquet(tmp_path, "tickets", rows)}
    with postgres_schema(postgres, files) as where:
        path = _spelled(typed_scheme(tmp_path, where), {"score: number": f"{long}: number\n      {long}2: number",
                                                        "of: score}": f"of: {long}}}"})
        with pytest.raises(DataError, match=f"columns '{long}' and '{long}2' begin with the same 63 bytes"):
            measure(load_scheme(path), PERIOD, engine="postgres", settings={"dsn": postgres.dsn})


def _spelled(path: Path, replacements: dict[str, str]) -> Path:
    text = path.read_text(encoding="utf-8")
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_roster_table_with_numeric_ids_and_an_open_ended_date_reads_as_its_text(tmp_path: Path, postgres) -> None:
    """PostgreSQL writes numeric(10,0) 1001 as 1001 and a date 'infinity' as infinity: the
    roster is read as that text, so its ids join the datasets' and the open end reads as DuckDB
    reads it in a CSV file (a date after every other), not as an error."""
    files = {"tickets": parquet(tmp_path, "tickets", typed_rows())}
    on_duckdb = measure(load_scheme(typed_scheme(tmp_path, None)), PERIOD)
    with postgres_schema(postgres, files) as where, postgres.connect() as pg:
        pg.execute(f'CREATE TABLE "{where}".staff (agent_id NUMERIC(10, 0), name TEXT, team TEXT, left_on DATE)')
        pg.execute(f"INSERT INTO \"{where}\".staff VALUES (1001, 'Ann', 'north', NULL), (1002, 'Bo', 'south', "
                   "'infinity'), (1003, 'Cy', 'south', NULL)")
        path = typed_scheme(tmp_path, where)
        path.write_text(path.read_text(encoding="utf-8").replace(
            "roster: {source: csv, path: roster.csv, key: agent_id, name: name, team: team}",
            f"roster: {{source: table, table: {where}.staff, key: agent_id, name: name, team: team, end: left_on}}"),
            encoding="utf-8")
        there = measure(load_scheme(path), PERIOD, engine="postgres", settings={"dsn": postgres.dsn})
    assert there.cells == on_duckdb.cells
    assert [q for q in there.quality if q.dataset == "roster"] == []  # infinity reads as a date, as in a CSV file
