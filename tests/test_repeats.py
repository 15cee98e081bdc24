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

from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, measure
from appraisal.plugins import extensions
from appraisal.scheme.validation import validate_files

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
    from appraisal.engines.duckdb_engine import open_engine

    with open_engine(load_scheme(DATA / "scheme.yaml"), extensions().sources) as engine:
        rows = engine.connection.execute(
            "SELECT ticket_id, repeated_by FROM tickets WHERE repeated ORDER BY ticket_id").fetchall()
    assert rows == [("t01", "t02"), ("t08", "t09"), ("t12", "t13")]


def test_a_parquet_dataset_keeps_streaming_with_the_repeat_column(tmp_path):
    path = scheme_with(tmp_path, "source: csv\n    path: tickets.csv", "source: parquet\n    path: tickets.parquet")
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{DATA / 'tickets.csv'}', all_varchar = true))"
                   f" TO '{tmp_path / 'tickets.parquet'}'")
    measured = measure(load_scheme(path), parse_period("2026-Q3"))
    assert measured.cell("a2", "repeat_rate").value == pytest.approx(2 / 5)


def test_repeats_name_columns_the_dataset_declares(tmp_path):
    path = scheme_with(tmp_path, "same: [customer_id, problem_type]", "same: [customer, problem_type]")
    [problem] = validate_files([path], extensions())
    assert problem.message.startswith("unknown column 'customer' in dataset 'tickets'; did you mean 'customer_id'")
    assert (problem.path, problem.line, problem.column) == ("datasets.tickets.repeats.same[0]", 15, 40)


def test_repeats_after_must_be_a_time(tmp_path):
    path = scheme_with(tmp_path, "after: resolved_at", "after: status")
    [problem] = validate_files([path], extensions())
    assert problem.message == "'after' column 'status' is text; it must be a timestamp or a date"


def test_the_added_column_cannot_shadow_a_declared_one(tmp_path):
    path = scheme_with(tmp_path, "column: repeated", "column: status")
    assert "the dataset already has a column 'status'" in validate_files([path], extensions())[0].message


def test_repeats_need_a_period_column(tmp_path):
    path = scheme_with(tmp_path, "    period_by: created_at\n", "")
    messages = [p.message for p in validate_files([path], extensions())]
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
    from appraisal.engines.duckdb_engine import open_engine

    folder = tmp_path_factory.mktemp("random")
    for name in ("roster.csv",):
        (folder / name).write_bytes((DATA / name).read_bytes())
    stamp = "%Y-%m-%d %H:%M:%S"
    lines = ["ticket_id,agent_id,customer_id,problem_type,created_at,resolved_at,status"]
    for n, (customer, problem, created, resolved) in enumerate(tickets):
        at = T0 + timedelta(hours=created)
        done = "" if resolved is None else (at + timedelta(hours=resolved)).strftime(stamp)
        status = "open" if resolved is None else "resolved"
        lines.append(f"t{n:03d},a1,{customer},{problem},{at.strftime(stamp)},{done},{status}")
    (folder / "tickets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = (DATA / "scheme.yaml").read_text(encoding="utf-8").replace("within_days: 7", f"within_days: {days}")
    (folder / "scheme.yaml").write_text(text, encoding="utf-8")
    with open_engine(load_scheme(folder / "scheme.yaml"), extensions().sources) as engine:
        found = {row[0] for row in engine.connection.execute("SELECT ticket_id FROM tickets WHERE repeated").fetchall()}
    assert found == repeated_by_hand(tickets, days)


# -- looking in another dataset: orders after repairs (tests/data/repeats/followups.yaml) ----------
#
# A repair is marked `reordered` when the customer's first order after `repaired_at` (orders.csv,
# by `ordered_at`) comes at most 30 days later:
# - r01 (a1, c1) repaired 07-01 12:00; c1 orders o01 on 07-10 (and o07 on 07-20): marked by o01.
# - r02 (a1, c2) repaired 07-02; c2 ordered o02 on 06-20, before it, and next o03 on 08-15: too late.
# - r03 (a2, c3) repaired 07-05 10:00; c3's only order, o04, was at 09:00 that morning: not marked.
# - r04 (a2, c4) repaired 08-01 00:00; o05 comes exactly 30 days later: marked.
# - r05 (a1) has no customer; o06, an order without one, two days later does not mark it.
# - r06 (a2, c5) repaired 09-01; o09 and o08 both come on 09-03 10:00: marked, by o08 (the smaller key).
# - r07 (a1, c1) is still open: not marked, although c1 orders o10 five days after it was reported.
#
# So a1 repaired 3 (r01, r02, r05), 1 followed by an order; a2 repaired 3 (r03, r04, r06), 2.

def followups_with(tmp_path: Path, old: str = "", new: str = "") -> Path:
    for name in ("roster.csv", "repairs.csv", "orders.csv"):
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    text = (DATA / "followups.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "followups.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def marked_repairs(path: Path) -> dict[str, str | None]:
    """repair_id -> reordered_by of each marked repair."""
    from appraisal.engines.duckdb_engine import open_engine

    with open_engine(load_scheme(path), extensions().sources) as engine:
        return dict(engine.connection.execute(
            "SELECT repair_id, reordered_by FROM repairs WHERE reordered ORDER BY repair_id").fetchall())


@pytest.fixture(scope="module")
def followups() -> dict[str, str | None]:
    return marked_repairs(DATA / "followups.yaml")


def test_an_order_within_the_window_marks_the_repair(followups):
    assert "r01" in followups


def test_an_order_past_the_window_does_not_mark_the_repair(followups):
    assert "r02" not in followups


def test_an_order_before_the_repair_does_not_count(followups):
    assert "r03" not in followups


def test_an_order_exactly_within_days_after_the_repair_counts(followups):
    assert "r04" in followups


def test_the_marking_order_is_named_beside_the_repair(followups):
    assert followups["r01"] == "o01" and followups["r04"] == "o05"


def test_of_two_orders_at_the_same_time_the_smaller_key_is_named(followups):
    assert followups["r06"] == "o08"


def test_a_repair_without_a_customer_is_not_marked(followups):
    assert "r05" not in followups


def test_an_open_repair_is_not_marked(followups):
    assert "r07" not in followups


def test_the_rate_counts_repairs_followed_by_an_order():
    measured = measure(load_scheme(DATA / "followups.yaml"), parse_period("2026-Q3"))
    assert measured.cell("a1", "reorder_rate").value == pytest.approx(1 / 3)
    assert measured.cell("a2", "reorder_rate").value == pytest.approx(2 / 3)


def test_at_defaults_to_the_period_column_of_the_in_dataset(tmp_path):
    path = followups_with(tmp_path, "    via: {dataset: repairs, on: customer_id}\n",
                          "    via: {dataset: repairs, on: customer_id}\n    period_by: ordered_at\n")
    path.write_text(path.read_text(encoding="utf-8").replace(", at: ordered_at", ""), encoding="utf-8")
    assert marked_repairs(path) == {"r01": "o01", "r04": "o05", "r06": "o08"}


def test_without_a_key_in_orders_there_is_no_by_column(tmp_path):
    from appraisal.engines.duckdb_engine import open_engine

    path = followups_with(tmp_path, "    key: order_id\n    via:", "    via:")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        names = [d[0] for d in engine.connection.execute("SELECT * FROM repairs LIMIT 0").description]
        marked = engine.connection.execute("SELECT repair_id FROM repairs WHERE reordered ORDER BY 1").fetchall()
    assert "reordered_by" not in names and marked == [("r01",), ("r04",), ("r06",)]


def parquet(tmp_path: Path, name: str) -> None:
    duckdb.execute(f"COPY (SELECT * FROM read_csv('{DATA / name}.csv', all_varchar = true))"
                   f" TO '{tmp_path / name}.parquet'")


def test_parquet_repairs_stay_a_view_with_the_order_column(tmp_path):
    from appraisal.engines.duckdb_engine import open_engine

    path = followups_with(tmp_path, "source: csv\n    path: repairs.csv", "source: parquet\n    path: repairs.parquet")
    parquet(tmp_path, "repairs")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        [(views,)] = engine.connection.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = 'repairs' AND NOT internal").fetchall()
    assert views == 1
    assert marked_repairs(path) == {"r01": "o01", "r04": "o05", "r06": "o08"}


def test_orders_read_from_parquet_mark_the_same_repairs(tmp_path):
    path = followups_with(tmp_path, "source: csv\n    path: orders.csv", "source: parquet\n    path: orders.parquet")
    parquet(tmp_path, "orders")
    assert marked_repairs(path) == {"r01": "o01", "r04": "o05", "r06": "o08"}



@pytest.mark.parametrize("streamed", [(), ("repairs",), ("orders",), ("repairs", "orders")])
def test_two_datasets_may_look_in_each_other(tmp_path, streamed):
    from appraisal.engines.duckdb_engine import open_engine

    # Orders also look for a repair reported within 60 days after them: only o02 (c2, 06-20) finds r02.
    path = followups_with(tmp_path, "    via: {dataset: repairs, on: customer_id}\n",
                          "    via: {dataset: repairs, on: customer_id}\n    period_by: ordered_at\n"
                          "    repeats: {column: failed, same: [customer_id], within_days: 60, in: repairs,"
                          " at: reported_at}\n")
    text = path.read_text(encoding="utf-8")
    for name in streamed:
        parquet(tmp_path, name)
        text = text.replace(f"source: csv\n    path: {name}.csv", f"source: parquet\n    path: {name}.parquet")
    path.write_text(text, encoding="utf-8")
    with open_engine(load_scheme(path), extensions().sources) as engine:
        failed = engine.connection.execute("SELECT order_id, failed_by FROM orders WHERE failed").fetchall()
    assert failed == [("o02", "r02")]
    assert marked_repairs(path) == {"r01": "o01", "r04": "o05", "r06": "o08"}

def problems(path: Path) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in validate_files([path], extensions())]


def test_in_must_name_a_declared_dataset(tmp_path):
    path = followups_with(tmp_path, "in: orders", "in: order")
    assert problems(path) == [("datasets.repairs.repeats.in", "unknown dataset 'order'; did you mean 'orders'?")]


def test_in_cannot_name_the_dataset_itself(tmp_path):
    path = followups_with(tmp_path, "in: orders, at: ordered_at", "in: repairs, at: reported_at")
    assert problems(path) == [("datasets.repairs.repeats.in",
                               "'in' names this dataset; leave 'in' out to look for the return among its own rows")]


def test_same_columns_must_exist_in_the_in_dataset(tmp_path):
    path = followups_with(tmp_path, "      customer_id: text\n      ordered_at",
                          "      customer: text\n      ordered_at")
    assert ("datasets.repairs.repeats.same[0]",
            "unknown column 'customer_id' in dataset 'orders'; did you mean 'customer'?") in problems(path)


def test_at_must_be_a_column_of_the_in_dataset(tmp_path):
    path = followups_with(tmp_path, "at: ordered_at", "at: order_at")
    assert problems(path) == [("datasets.repairs.repeats.at",
                               "unknown column 'order_at' in dataset 'orders'; did you mean 'ordered_at'?")]


def test_at_must_be_a_time(tmp_path):
    path = followups_with(tmp_path, "at: ordered_at", "at: amount")
    assert problems(path) == [("datasets.repairs.repeats.at",
                               "'at' column 'amount' is number; it must be a timestamp or a date")]


def test_at_is_needed_when_the_in_dataset_has_no_period_column(tmp_path):
    path = followups_with(tmp_path, ", at: ordered_at", "")
    assert problems(path) == [("datasets.repairs.repeats",
                               "'repeats' needs 'at': dataset 'orders' has no 'period_by' to say when its rows happen")]


def test_at_without_in_is_reported(tmp_path):
    path = followups_with(tmp_path, ", in: orders, at: ordered_at", ", at: repaired_at")
    assert problems(path) == [("datasets.repairs.repeats.at",
                               "'at' is a time column of the 'in' dataset; add 'in' or leave 'at' out")]


def test_same_columns_must_have_one_type_in_both_datasets(tmp_path):
    path = followups_with(tmp_path, "      customer_id: text\n      ordered_at",
                          "      customer_id: integer\n      ordered_at")
    assert problems(path) == [("datasets.repairs.repeats.same[0]",
                               "'same' column 'customer_id' is text here but integer in dataset 'orders'; "
                               "declare one type in both")]


def test_at_by_default_must_be_a_time_too(tmp_path):
    path = followups_with(tmp_path, "    via: {dataset: repairs, on: customer_id}\n",
                          "    via: {dataset: repairs, on: customer_id}\n    period_by: amount\n")
    path.write_text(path.read_text(encoding="utf-8").replace(", at: ordered_at", ""), encoding="utf-8")
    message = ("dataset 'orders' is placed in time by 'amount', which is number; "
               "name its timestamp or date column in 'at'")
    assert ("datasets.repairs.repeats.in", message) in problems(path)


def test_repeats_in_another_dataset_still_need_a_period_column(tmp_path):
    path = followups_with(tmp_path, "    period_by: reported_at\n", "")
    message = "'repeats' needs the dataset's 'period_by': without it the dataset is a lookup table, never measured"
    assert ("datasets.repairs.repeats", message) in problems(path)


def test_problems_of_in_are_located_in_the_scheme_file(tmp_path):
    path = followups_with(tmp_path, "in: orders", "in: order")
    [problem] = validate_files([path], extensions())
    assert (problem.line, problem.column) == (15, 96)  # the value after `in: `


# -- the invariant with `in`, on random repairs and orders --------------------------------------

REPAIR = st.tuples(
    st.sampled_from(["c1", "c2", ""]),  # customer ("" is a missing one)
    st.integers(0, 96),  # reported, hours after T0
    st.one_of(st.none(), st.integers(0, 48)),  # repaired, hours after reported (None: open)
)
ORDER = st.tuples(st.sampled_from(["c1", "c2", ""]), st.integers(0, 200))  # customer, ordered (hours after T0)


def reordered_by_hand(
    repairs: list[tuple[str, int, int | None]], orders: list[tuple[str, int]], days: int
) -> dict[str, str]:
    """Each repair's first order by the same customer strictly after the repair (of orders at the
    same time, the smallest id), when it comes at most `days` later: repair id -> order id."""
    marked = {}
    for n, (customer, reported, repaired) in enumerate(repairs):
        if not customer or repaired is None:
            continue
        done = reported + repaired
        later = sorted((at, f"o{m:03d}") for m, (cu, at) in enumerate(orders) if cu == customer and at > done)
        if later and later[0][0] <= done + 24 * days:
            marked[f"r{n:03d}"] = later[0][1]
    return marked


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(repairs=st.lists(REPAIR, min_size=1, max_size=15), orders=st.lists(ORDER, max_size=20), days=st.integers(1, 3))
@example(repairs=[("c1", 0, 10)], orders=[("c1", 34)], days=1)  # an order exactly at the window's end counts
@example(repairs=[("c1", 0, 10)], orders=[("c1", 10), ("c1", 35)], days=1)  # at the repair itself, or past the end: not
@example(repairs=[("c1", 0, 10)], orders=[("c1", 20), ("c1", 20)], days=1)  # same time: the smaller id names it
def test_the_engine_marks_exactly_the_repairs_a_hand_check_marks(tmp_path_factory, repairs, orders, days):
    from appraisal.engines.duckdb_engine import open_engine

    folder = tmp_path_factory.mktemp("random")
    (folder / "roster.csv").write_bytes((DATA / "roster.csv").read_bytes())
    stamp = "%Y-%m-%d %H:%M:%S"
    lines = ["repair_id,agent_id,customer_id,reported_at,repaired_at"]
    for n, (customer, reported, repaired) in enumerate(repairs):
        at = T0 + timedelta(hours=reported)
        done = "" if repaired is None else (at + timedelta(hours=repaired)).strftime(stamp)
        lines.append(f"r{n:03d},a1,{customer},{at.strftime(stamp)},{done}")
    (folder / "repairs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["order_id,customer_id,ordered_at,amount"]
    lines += [f"o{m:03d},{customer},{(T0 + timedelta(hours=at)).strftime(stamp)},1"
              for m, (customer, at) in enumerate(orders)]
    (folder / "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = (DATA / "followups.yaml").read_text(encoding="utf-8").replace("within_days: 30", f"within_days: {days}")
    (folder / "followups.yaml").write_text(text, encoding="utf-8")
    with open_engine(load_scheme(folder / "followups.yaml"), extensions().sources) as engine:
        query = "SELECT repair_id, reordered_by FROM repairs WHERE reordered"
        found = dict(engine.connection.execute(query).fetchall())
    assert found == reordered_by_hand(repairs, orders, days)
