"""Repeat problems (tests/data/repeats/): a ticket repeats when the same customer raises the
same problem type again within 7 days after it was resolved.

The tickets' stories (Q3 2026, window 7 days after `resolved_at`):
- t01 (a1, c1 logistics) resolved 07-01 12:00; t02 (c1 logistics) opens 07-05: repeated by t02.
- t02 (a2) resolved 07-05; the next c1 logistics ticket, t05, opens 07-20: too late.
- t03 (a1, c1 refund): no later c1 refund ticket, and t05 is another problem type.
- t04 (a1, c2) is open: never resolved, so never marked (and not in the resolved base).
- t06 (a1, c2) resolved 07-11 10:00; the next c2 ticket, t07, opened at 09:30, before that:
  a chase, not a return.
- t08 (a2, c3) resolved 09-29; t09 opens 10-03 in the next quarter: still repeated.
- t10, t11 (a1) have no customer: never marked.
- t12 (a2, c4 refund) resolved 08-01 00:00; t13 opens exactly 7 days later: repeated.

So a1 resolved 6 tickets in Q3 (t01, t03, t06, t07, t10, t11), 1 repeated; a2 resolved 5
(t02, t05, t08, t12, t13), 2 repeated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from appraisal.measuring import measure
from appraisal.periods import parse_period
from appraisal.validation import load_scheme, validate_files

DATA = Path(__file__).resolve().parent / "data" / "repeats"


@pytest.fixture(scope="module")
def measured():
    return measure(load_scheme(DATA / "scheme.yaml"), parse_period("2026-Q3"))


def scheme_with(tmp_path: Path, old: str, new: str) -> Path:
    for name in ("roster.csv", "tickets.csv"):
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    text = (DATA / "scheme.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "scheme.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_repeat_rate_is_repeated_over_resolved_tickets(measured):
    assert measured.cell("a1", "repeat_rate").value == pytest.approx(1 / 6)
    assert measured.cell("a2", "repeat_rate").value == pytest.approx(2 / 5)


def test_the_repeated_column_is_usable_in_any_where(measured):
    assert [measured.cell(a, "repeated_tickets").value for a in ("a1", "a2")] == [1, 2]


def test_a_return_right_on_the_window_edge_counts(tmp_path):
    path = scheme_with(tmp_path, "within_days: 7", "within_days: 6.99")
    measured = measure(load_scheme(path), parse_period("2026-Q3"))
    assert measured.cell("a2", "repeated_tickets").value == 1  # t12 no longer, t08 still


def test_without_after_the_window_runs_from_the_period_column(tmp_path):
    path = scheme_with(tmp_path, ", after: resolved_at", "")
    measured = measure(load_scheme(path), parse_period("2026-Q3"))
    # From created_at, t06 (09:00) is followed by t07 (09:30) within 7 days, and t04 (open) by t06.
    assert measured.cell("a1", "repeated_tickets").value == 3


def test_the_repeating_row_is_named_beside_each_marked_row():
    from appraisal.engine import open_engine

    with open_engine(load_scheme(DATA / "scheme.yaml")) as engine:
        rows = engine.connection.execute(
            "SELECT ticket_id, repeated_by FROM tickets WHERE repeated ORDER BY ticket_id").fetchall()
    assert rows == [("t01", "t02"), ("t08", "t09"), ("t12", "t13")]


def test_a_parquet_dataset_keeps_streaming_with_the_repeat_column(tmp_path):
    path = scheme_with(tmp_path, "source: csv\n    path: tickets.csv", "source: parquet\n    path: tickets.parquet")
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{DATA / 'tickets.csv'}', all_varchar = true)) TO '{tmp_path / 'tickets.parquet'}'")
    measured = measure(load_scheme(path), parse_period("2026-Q3"))
    assert measured.cell("a2", "repeat_rate").value == pytest.approx(2 / 5)


def test_repeats_name_columns_the_dataset_declares(tmp_path):
    path = scheme_with(tmp_path, "same: [customer_id, problem_type]", "same: [customer, problem_type]")
    [problem] = validate_files([path])
    assert problem.message.startswith("unknown column 'customer' in dataset 'tickets'; did you mean 'customer_id'")
    assert (problem.path, problem.line, problem.column) == ("datasets.tickets.repeats.same[0]", 15, 40)


def test_repeats_after_must_be_a_time(tmp_path):
    path = scheme_with(tmp_path, "after: resolved_at", "after: status")
    [problem] = validate_files([path])
    assert problem.message == "'after' column 'status' is text; it must be a timestamp or a date"


def test_the_added_column_cannot_shadow_a_declared_one(tmp_path):
    path = scheme_with(tmp_path, "column: repeated", "column: status")
    assert "the dataset already has a column 'status'" in validate_files([path])[0].message


def test_repeats_need_a_period_column(tmp_path):
    path = scheme_with(tmp_path, "    period_by: created_at\n", "")
    messages = [p.message for p in validate_files([path])]
    assert "'repeats' needs the dataset's 'period_by': it orders the rows in time" in messages


# -- the invariant, on random tickets ------------------------------------------------------------

T0 = datetime(2026, 7, 1)
TICKET = st.tuples(
    st.sampled_from(["c1", "c2", ""]),  # customer ("" is a missing one)
    st.sampled_from(["logistics", "refund"]),  # problem type
    st.integers(0, 96),  # created, hours after T0: a few days, so that windows meet and edges are hit
    st.one_of(st.none(), st.integers(-5, 48)),  # resolved, hours after created (None: open)
)


def repeated_by_hand(tickets: list[tuple[str, str, int, int | None]], days: int) -> set[str]:
    """Each ticket's next ticket of the same customer and problem type (by creation, then id)
    opened after this one was resolved and at most `days` later."""
    marked = set()
    for n, (customer, problem, created, resolved) in enumerate(tickets):
        if not customer or resolved is None:
            continue
        later = sorted((c2, f"t{m:03d}") for m, (cu, pr, c2, _) in enumerate(tickets)
                       if cu == customer and pr == problem and (c2, f"t{m:03d}") > (created, f"t{n:03d}"))
        if later:
            done = created + resolved
            if done < later[0][0] <= done + 24 * days:
                marked.add(f"t{n:03d}")
    return marked


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tickets=st.lists(TICKET, min_size=1, max_size=25), days=st.integers(1, 3))
@example(tickets=[("c1", "refund", 0, 10), ("c1", "refund", 34, None)], days=1)  # returns exactly at the edge
@example(tickets=[("c1", "refund", 0, 10), ("c1", "refund", 10, None)], days=1)  # returns at the resolution itself
@example(tickets=[("c1", "refund", 5, 1), ("c1", "refund", 5, None)], days=1)  # same time: the id decides
def test_the_engine_marks_exactly_the_rows_a_hand_check_marks(tmp_path_factory, tickets, days):
    from appraisal.engine import open_engine

    folder = tmp_path_factory.mktemp("random")
    for name in ("roster.csv",):
        (folder / name).write_bytes((DATA / name).read_bytes())
    stamp = "%Y-%m-%d %H:%M:%S"
    lines = ["ticket_id,agent_id,customer_id,problem_type,created_at,resolved_at,status"]
    for n, (customer, problem, created, resolved) in enumerate(tickets):
        at = T0 + timedelta(hours=created)
        done = "" if resolved is None else (at + timedelta(hours=resolved)).strftime(stamp)
        lines.append(f"t{n:03d},a1,{customer},{problem},{at.strftime(stamp)},{done},{'open' if resolved is None else 'resolved'}")
    (folder / "tickets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = (DATA / "scheme.yaml").read_text(encoding="utf-8").replace("within_days: 7", f"within_days: {days}")
    (folder / "scheme.yaml").write_text(text, encoding="utf-8")
    with open_engine(load_scheme(folder / "scheme.yaml")) as engine:
        found = {row[0] for row in engine.connection.execute("SELECT ticket_id FROM tickets WHERE repeated").fetchall()}
    assert found == repeated_by_hand(tickets, days)
