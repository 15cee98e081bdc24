"""`measure --csv` copies the values out of the engine: byte for byte the file the csv module
writes from the measured cells, for every text and every double, escaped as every export is."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from appraisal.cli.measure_cmd import VALUE_COLUMNS, _value_rows
from appraisal.engines.duckdb_engine import Engine
from appraisal.measuring.measurements import measure, with_flags
from appraisal.measuring.quality import assess, warning_flags
from appraisal.measuring.tables import Column, Wide
from appraisal.periods import parse_period
from appraisal.plugins import extensions
from appraisal.results.inert import plain, write_csv
from appraisal.results.values_csv import write_values
from appraisal.scheme.validation import load_scheme

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"

# Texts as files give them: any character a UTF-8 file can hold but NUL (no reader passes one on).
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=12)
DOUBLE = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.1, 1e16, 1e22, 5e-324, -0.0, 100.0])
CELL = st.tuples(st.none() | DOUBLE, st.integers(0, 2**62), st.lists(TEXT, max_size=3))


def _python_csv(rows: list[list[object]]) -> bytes:
    """What the csv module writes, every field through csv_text: the reference."""
    buffer = io.StringIO(newline="")
    write_csv(buffer, VALUE_COLUMNS, rows)
    return buffer.getvalue().encode("utf-8")


def _wide(engine: Engine, keys: list[str], cells: list[tuple[float | None, int, list[str]]]) -> Wide:
    """A one-indicator wide table holding `cells`, keys in the order given."""
    engine.connection.execute(
        "CREATE OR REPLACE TEMP TABLE w AS SELECT unnest(range(len($1))) AS __row, unnest($1::VARCHAR[]) AS appraisee,"
        " unnest($2::DOUBLE[]) AS v0, unnest($3::BIGINT[]) AS r0, unnest($4::VARCHAR[][]) AS f0",
        [keys, [c[0] for c in cells], [c[1] for c in cells], [c[2] for c in cells]]).fetchall()
    return Wide("w", (Column("resolved", "dataset tickets"),))


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    spill = tmp_path_factory.mktemp("spill")
    return Engine(duckdb.connect(), spill=spill)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(TEXT, CELL), min_size=1, max_size=8, unique_by=lambda kc: kc[0]))
@example([("=1+1", (-3.5, 2, ["+few", "x;y"])), ("", (None, 0, [])), (" a,\"b\"\r\n", (math.nan, 1, ["\t"]))])
def test_the_copied_file_is_the_one_the_csv_module_writes(engine, tmp_path_factory, keyed):
    keys, cells = [k for k, _ in keyed], [c for _, c in keyed]
    out = tmp_path_factory.mktemp("out") / "values.csv"
    write_values(engine, _wide(engine, keys, cells), out, {"resolved": ("=added", "+x")})
    expected = [[key, "resolved", value, rows, "ok" if value is not None else "insufficient data",
                 "dataset tickets", ";".join([*flags, "=added", "+x"])] for key, (value, rows, flags) in keyed]
    assert out.read_bytes() == _python_csv(expected)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(TEXT, min_size=1, max_size=6, unique=True))
def test_ids_read_back_through_plain_are_the_ids(engine, tmp_path_factory, keys):
    out = tmp_path_factory.mktemp("out") / "values.csv"
    write_values(engine, _wide(engine, keys, [(1.0, 1, [])] * len(keys)), out, {})
    with out.open(newline="", encoding="utf-8") as handle:
        assert [plain(row["appraisee"]) for row in csv.DictReader(handle)] == keys


def test_group_rows_follow_the_appraisees(engine, tmp_path):
    out = tmp_path / "values.csv"
    tail = [["team:=North", "resolved", 2.5, 3, "ok", "dataset tickets", ""]]
    write_values(engine, _wide(engine, ["a1"], [(1.0, 1, [])]), out, {}, tail=tail)
    assert out.read_bytes() == _python_csv([["a1", "resolved", 1.0, 1, "ok", "dataset tickets", ""], *tail])


def test_a_failed_copy_leaves_no_file_behind(engine, tmp_path):
    out = tmp_path / "missing-folder" / "values.csv"
    with pytest.raises(Exception, match="cannot write"):
        write_values(engine, _wide(engine, ["a1"], [(1.0, 1, [])]), out, {})
    assert not out.parent.exists()
    assert list(engine.spill.iterdir()) == []  # type: ignore[union-attr]


# The schemes of the test data: datasets, windows, repeats, ratings, group rows, warnings.
SCHEMES = [
    ("measuring/agent.yaml", ()),
    ("measuring/agent.yaml", ("team", "roster")),
    ("review360/scheme.yaml", ("roster",)),
    ("repeats/scheme.yaml", ("roster",)),
]


@pytest.mark.parametrize(("scheme", "groups"), SCHEMES, ids=[f"{s}-{'+'.join(g)}" for s, g in SCHEMES])
def test_measure_csv_is_the_file_written_from_the_measured_cells(run_cli, tmp_path, scheme, groups):
    out = tmp_path / "values.csv"
    args = ["measure", str(DATA / scheme), "-p", "2026-Q3", "--csv", str(out)]
    done = run_cli(*args, *(["--groups", ",".join(groups)] if groups else []))
    assert done.exit_code == 0, done.stderr
    found = extensions()
    loaded = load_scheme(DATA / scheme, found)
    measured = measure(loaded, parse_period("2026-Q3"), found, groups=groups)
    flagged = with_flags(measured, warning_flags(loaded, assess(loaded, measured.quality)))
    assert out.read_bytes() == _python_csv(_value_rows(flagged))
