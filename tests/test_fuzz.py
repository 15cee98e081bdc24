"""No input a user can write ends in an internal error: random YAML, expressions and CSV bytes.

Each case goes through the real command line (`main()`, in-process), and the one thing asserted
is that it never exits 70 ("internal error, please report") and never prints a traceback: a
broken scheme or file is a plain message with exit 1. CI draws a fixed budget of cases (about
a minute in all); APPRAISAL_SOAK=N draws N per test for a longer run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import RunCli

SOAK = int(os.environ.get("APPRAISAL_SOAK") or 0)


def fuzz(examples: int) -> settings:
    """`examples` cases in CI, the same ones every run; under a soak, SOAK fresh ones."""
    return settings(max_examples=SOAK or examples, deadline=None, derandomize=not SOAK,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SCHEME = """scheme: fuzz
version: 1
title: Fuzz
period: month
roster: {source: csv, path: roster.csv, key: agent_id}
constants: {target_h: 24, per_status: {resolved: 2, open: 5}}
datasets:
  tickets:
    source: csv
    path: tickets.csv
    appraisee: agent_id
    period_by: created_at
    columns: {agent_id: text, created_at: timestamp, resolved_at: timestamp, status: text, cost: number, reopened: flag}
indicators:
  - id: probe
    title: Probe
    measure: {dataset: tickets, agg: AGG, FIELD: EXPRESSION}
    weight: 100
    target: 1
    score: {curve: linear, worst: 0, best: 2}
grades: {A: 50, B: 0}
"""
TICKETS = ("agent_id,created_at,resolved_at,status,cost,reopened\n"
           "A1,2026-07-01 09:00,2026-07-01 11:00,resolved,10.5,N\n"
           "A2,2026-07-02 10:00,,open,-3,Y\n")


def assert_no_internal_error(result) -> None:
    assert result.exit_code != 70, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    if result.exit_code:
        assert (result.stderr + result.stdout).strip(), "a failure says why"


def folder(tmp_path_factory: pytest.TempPathFactory, scheme: str, tickets: bytes | str = TICKETS) -> Path:
    where = tmp_path_factory.mktemp("fuzz")
    (where / "roster.csv").write_text("agent_id,name\nA1,Ann\nA2,Bo\n", encoding="utf-8")
    data = tickets.encode("utf-8") if isinstance(tickets, str) else tickets
    (where / "tickets.csv").write_bytes(data)
    (where / "scheme.yaml").write_text(scheme, encoding="utf-8", errors="surrogatepass")
    return where


def validate_and_measure(run_cli: RunCli, where: Path) -> None:
    scheme = str(where / "scheme.yaml")
    assert_no_internal_error(run_cli("validate", scheme))
    assert_no_internal_error(run_cli("measure", scheme, "-p", "2026-07"))


# -- random YAML -------------------------------------------------------------------------------

YAML_PIECES = st.sampled_from([
    "scheme: x\n", "version: 1\n", "title: T\n", "period: month\n", "period: [1, 2]\n", "indicators: []\n",
    "indicators:\n  - id: a\n    title: A\n    weight: .nan\n", "grades: {A: .inf}\n", "grades: {A: 0}\n",
    "extends: agent\n", "extends: [1]\n", "datasets: {t: {source: csv, path: t.csv}}\n", "{{{{", "[[", "- - -\n",
    "&a [*a]\n", "!!python/object:os.system []\n", "key: \x00\n", "a: b: c\n", "\t- x\n", "? [a, b]\n: c\n",
    "constants: {x: {y: {z: 1}}}\n", "roster: null\n", "strategy: cost\n", "weight: 1e999\n",
])
RANDOM_YAML = st.one_of(
    st.lists(YAML_PIECES, max_size=8).map("".join),
    st.text(max_size=300),
    st.builds(lambda a, b: SCHEME.replace(a, b), st.sampled_from(["agg: AGG", "weight: 100", "month", "tickets"]),
              st.text(max_size=20)),
)


@fuzz(60)
@given(text=RANDOM_YAML)
def test_random_yaml_is_refused_plainly(run_cli: RunCli, tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    where = folder(tmp_path_factory, text)
    assert_no_internal_error(run_cli("validate", str(where / "scheme.yaml")))
    assert_no_internal_error(run_cli("validate", "--json", str(where / "scheme.yaml")))


# -- random expressions ------------------------------------------------------------------------

TOKENS = st.sampled_from([
    "cost", "status", "created_at", "resolved_at", "reopened", "target_h", "per_status", "probe", "x",
    "1", "0", "-1", "1e308", "0.5", "'a'", "'resolved'", "None", "True", "False",
    "+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", ">=", " and ", " or ", "not ", " in ", " if ", " else ",
    "(", ")", "[", "]", ",", "hours(", "round(", "min(", "coalesce(", "abs(", "year(", "is_null(", "max(",
    "__import__", ".", "lambda", ":", "{", "}", "'", '"', "\\", "\n", "#", "@", "~", "|",
])
EXPRESSIONS = st.lists(TOKENS, min_size=1, max_size=14).map("".join)


def expression_scheme(expression: str, field: str, agg: str) -> str:
    quoted = '"' + expression.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return SCHEME.replace("AGG", agg).replace("FIELD", field).replace("EXPRESSION", quoted)


@fuzz(20)
@given(expression=EXPRESSIONS, place=st.sampled_from([("of", "sum"), ("of", "median"), ("where", "count"),
                                                      ("of", "count_distinct")]))
def test_random_expressions_are_checked_or_run(run_cli: RunCli, tmp_path_factory: pytest.TempPathFactory,
                                               expression: str, place: tuple[str, str]) -> None:
    field, agg = place
    validate_and_measure(run_cli, folder(tmp_path_factory, expression_scheme(expression, field, agg)))


# -- random data -------------------------------------------------------------------------------

CELLS = st.sampled_from([
    "A1", "A2", "", " ", "Z9", "=1+1", "2026-07-01 09:00", "2026-07-01T09:00+25:00", "2026-13-45", "07/04/2026",
    "resolved", "open", "1e29", "-1e-12", "NaN", "inf", "1,5", "Y", "N", "maybe", '"', '""', '"a,b"', "\x00",
    "\x1b]0;x\x07", "é", "满意", "\r", "9" * 40,
])
ROWS = st.lists(st.lists(CELLS, min_size=0, max_size=8).map(",".join), max_size=12)
RAW = st.binary(max_size=400)


@fuzz(20)
@given(rows=ROWS, raw=RAW, how=st.sampled_from(["rows", "raw", "header only", "rows+raw"]))
def test_random_data_is_counted_or_refused_plainly(run_cli: RunCli, tmp_path_factory: pytest.TempPathFactory,
                                                   rows: list[str], raw: bytes, how: str) -> None:
    header = TICKETS.splitlines()[0]
    body = {"rows": "\n".join([header, *rows]).encode("utf-8"), "raw": raw,
            "header only": (header + "\n").encode("utf-8"),
            "rows+raw": "\n".join([header, *rows]).encode("utf-8") + b"\n" + raw}[how]
    scheme = expression_scheme("cost", "of", "sum")
    validate_and_measure(run_cli, folder(tmp_path_factory, scheme, body))
