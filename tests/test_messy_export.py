"""A helpdesk export as it comes (tests/data/messy), measured and checked against a hand computation.

The export has spaces, punctuation and Chinese in its headers, US dates with the time in a
column of its own, Y/N, yes/no and 是/否 flags, empty cells, a quoted row, two ragged rows, a
repeated ticket, an unknown agent and a roster row without an id. Every value and every
data-quality count `appraisal measure` gives is recomputed here from the CSV with plain Python,
following the scheme as an HR author would on paper.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from statistics import mean

import pytest

MESSY = Path(__file__).resolve().parent / "data" / "messy"
TRUE = {"y", "yes", "true", "t", "1", "是"}
FALSE = {"n", "no", "false", "f", "0", "否"}
BAD = object()  # a cell that holds something but does not parse


def cell(text: str, parse):  # type: ignore[no-untyped-def]
    text = text.strip()
    if not text:
        return None
    try:
        return parse(text)
    except ValueError:
        return BAD


def flag(text: str) -> bool:
    if text.lower() in TRUE | FALSE:
        return text.lower() in TRUE
    raise ValueError(text)


def created(row: dict[str, str]) -> object:
    date, time = row["Created Date"].strip(), row["Created Time"].strip()
    if not date and not time:
        return None
    try:
        return datetime.strptime(f"{date} {time}", "%m/%d/%Y %H:%M")
    except ValueError:
        return BAD


def by_hand() -> tuple[dict[str, dict[str, object]], Counter[tuple[str, str, str]], list[int]]:
    """(values by agent and indicator, counts by (dataset, cause, column), ragged line numbers)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    with (MESSY / "roster.csv").open(encoding="utf-8", newline="") as handle:
        roster = [r["工号"].strip() for r in csv.DictReader(handle)]
    counts["roster", "empty id", "agent_id"] = sum(1 for r in roster if not r)
    with (MESSY / "tickets.csv").open(encoding="utf-8", newline="") as handle:
        header, *records = list(csv.reader(handle))
    ragged = [line for line, r in enumerate(records, start=2) if len(r) != len(header)]
    rows = [dict(zip(header, r, strict=True)) for r in records if len(r) == len(header)]
    counts["tickets", "ragged row", ""] = len(ragged)
    seen: set[str] = set()
    typed = []
    for row in rows:
        if row["Ticket ID"] in seen:
            counts["tickets", "duplicate key", "ticket_id"] += 1
            continue
        seen.add(row["Ticket ID"])
        t = {
            "agent": row["Agent"].strip(), "at": created(row),
            "first_response_h": cell(row["First Response (h)"], float), "reopened": cell(row["Reopened?"], flag),
            "second_agent": row["2nd agent"].strip() or None, "csat": cell(row["满意度"], int),
            "closed_on": cell(row["Closed On"], lambda s: datetime.strptime(s, "%Y年%m月%d日").date()),
        }
        for name, column, kind in (("at", "created_at", "timestamp"),
                                   ("first_response_h", "first_response_h", "number"),
                                   ("reopened", "reopened", "flag"), ("csat", "满意度", "integer"),
                                   ("closed_on", "closed_on", "date")):
            if t[name] is BAD:
                counts["tickets", f"unparseable {kind}", column] += 1
                t[name] = None
        typed.append(t)
    on_roster = [r for r in roster if r]
    in_july = []
    for t in typed:
        if t["at"] is None:
            counts["tickets", "no period value", "created_at"] += 1
        elif not datetime(2026, 7, 1) <= t["at"] < datetime(2026, 8, 1):  # type: ignore[operator]
            counts["tickets", "outside period", "created_at"] += 1
        elif t["agent"] not in on_roster:
            counts["tickets", "unknown appraisee", "agent_id"] += 1
        else:
            in_july.append(t)
    values: dict[str, dict[str, object]] = {}
    for agent in on_roster:
        mine = [t for t in in_july if t["agent"] == agent]
        responses = [t["first_response_h"] for t in mine if t["first_response_h"] is not None]
        rated = [t for t in mine if t["csat"] is not None]
        values[agent] = {
            "tickets": len(mine),
            "first_response_h": mean(responses) if responses else None,  # type: ignore[arg-type]
            "reopen_rate": sum(1 for t in mine if t["reopened"]) / len(mine) if mine else None,
            "csat": sum(1 for t in rated if t["csat"] >= 4) / len(rated) if rated else None,  # type: ignore[operator]
            "closed": sum(1 for t in mine if t["closed_on"] is not None or t["second_agent"] is not None),
        }
    return values, +counts, ragged


@pytest.fixture
def measured(run_cli) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """What `appraisal measure --json` prints for July 2026."""
    result = run_cli("measure", str(MESSY / "scheme.yaml"), "-p", "2026-07", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_every_value_matches_the_hand_computation(measured) -> None:  # type: ignore[no-untyped-def]
    expected, _, _ = by_hand()
    got = {(v["appraisee"], v["indicator"]): v["value"] for v in measured["values"]}
    assert set(got) == {(a, i) for a, row in expected.items() for i in row}
    for agent, row in expected.items():
        for indicator, value in row.items():
            assert got[agent, indicator] == pytest.approx(value), (agent, indicator)


def test_every_data_quality_count_matches_the_hand_computation(measured) -> None:  # type: ignore[no-untyped-def]
    _, counts, _ = by_hand()
    got = Counter({(q["dataset"], q["cause"], q["column"]): q["count"] for q in measured["quality"]})
    assert got == counts


def test_the_export_has_every_defect_it_is_meant_to_show() -> None:
    """The hand computation is only worth something if the file has each kind of mess."""
    _, counts, ragged = by_hand()
    causes = {cause for _, cause, _ in counts}
    assert {"empty id", "ragged row", "duplicate key", "unparseable timestamp", "unparseable flag",
            "unparseable number", "unparseable integer", "unparseable date", "unknown appraisee",
            "outside period", "no period value"} <= causes
    assert ragged == [12, 13]


def test_the_ragged_rows_are_reported_with_their_line_numbers() -> None:
    from appraisal.periods import parse_period
    from appraisal.pipeline import load_scheme, run

    result = run(load_scheme(MESSY / "scheme.yaml"), parse_period("2026-07"))
    [ragged] = [q for q in result.quality if q["cause"] == "ragged row"]
    assert ragged["lines"] == by_hand()[2]
    assert all("lines" not in q for q in result.quality if q["cause"] != "ragged row")
