"""The team report and the scorecard extras (trend, drill-down), from hand-built and real results."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.rendering.figures import calibrated, distributions, ranking, summary_stats, teams
from appraisal.rendering.pages import safe_name
from appraisal.rendering.reports import render_report
from appraisal.results.result import Result
from appraisal.results.storing import write_run
from sample_results import make_result, person

DATA = Path(__file__).resolve().parent / "data" / "measuring"
@pytest.fixture
def result() -> Result:
    # A: 3 people against an expected 1 (over by 2); B: 2; C: 1; one without a total.
    people = [person("d", 95.0, "North"), person("b", 99.0, "North"), person("a", 95.0, "South"),
              person("e", 70.0, "South", (60.0, 0.8)), person("f", 65.0, None), person("g", 40.0, "North"),
              person("h", None, "South", (None, 0.5))]
    calibration = [{"grade": "A", "target_share": 0.2, "expected": 1.2, "actual": 3, "over": 2},
                   {"grade": "B", "target_share": 0.6, "expected": 3.6, "actual": 2, "over": 0},
                   {"grade": "C", "target_share": 0.2, "expected": 1.2, "actual": 1, "over": 0}]
    return make_result(people, calibration=calibration)


class Page(HTMLParser):
    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def find(self, tag: str, css_class: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and css_class in (a.get("class") or "").split()]

    def inside(self, css: str) -> list[tuple[str, dict[str, str | None]]]:
        """The tags after the first element with class `css` (a crude scope for one chart)."""
        start = next(i for i, (_, a) in enumerate(self.tags) if css in (a.get("class") or "").split())
        return self.tags[start:]


def rendered(result: Result, tmp_path: Path, **options) -> Path:
    render_report(result, tmp_path / "out", **options)
    return tmp_path / "out"


def test_ranking_orders_by_total_then_id_with_shared_ranks_and_no_total_last(result):
    ranked = ranking(result.as_dict()["appraisees"])
    assert [(a["id"], a["rank"]) for a in ranked] == [
        ("b", 1), ("a", 2), ("d", 2), ("e", 4), ("f", 5), ("g", 6), ("h", None)]


def test_over_quota_advice_names_the_lowest_totals_in_the_grade_lowest_first(result):
    data = result.as_dict()
    rows = {r["grade"]: r for r in calibrated(data, ranking(data["appraisees"]))}
    assert [a["id"] for a in rows["A"]["over_quota"]] == ["d", "a"]
    assert rows["B"]["over_quota"] == [] and rows["C"]["over_quota"] == []


def test_over_quota_advice_never_changes_a_grade(result, tmp_path):
    out = rendered(result, tmp_path, formats=["md"])
    text = (out / "team.md").read_text(encoding="utf-8")
    ranked_rows = [line.split("|") for line in text.splitlines() if re.match(r"\| (\d+|–) \| [a-h] \|", line)]
    assert {row[2].strip(): row[6].strip() for row in ranked_rows} == {
        a.id: (a.grade or "–") for a in result.appraisees}
    assert "calibration never changes a grade" in text


def test_grade_chart_has_one_bar_per_grade_and_a_target_mark_each(result, tmp_path):
    page = Page((rendered(result, tmp_path, formats=["html"]) / "team.html").read_text(encoding="utf-8"))
    grades_chart = page.inside("grades")
    bars = [a for t, a in grades_chart if t == "rect" and "bar" in (a.get("class") or "") and "data-grade" in a]
    assert [b["data-grade"] for b in bars] == ["A", "B", "C"]
    assert len([a for t, a in grades_chart if t == "line" and a.get("class") == "target"]) == 3


def test_team_chart_has_one_bar_per_team(result, tmp_path):
    page = Page((rendered(result, tmp_path, formats=["html"]) / "team.html").read_text(encoding="utf-8"))
    assert [a["data-team"] for a in page.find("rect", "bar") if "data-team" in a] == ["North", "South", "no team"]


def test_quartiles_interpolate_between_values():
    assert summary_stats([1.0, 2.0, 3.0, 4.0, 5.0]) == {"n": 5, "min": 1.0, "q1": 2.0, "median": 3.0, "q3": 4.0,
                                                         "max": 5.0}
    assert summary_stats([7.0])["median"] == 7.0
    assert summary_stats([]) is None


def test_indicator_distributions_leave_out_missing_scores(result):
    speed = next(d for d in distributions(result.as_dict()) if d["indicator"] == "speed")
    assert speed["score_stats"]["n"] == 6 and speed["value_stats"]["n"] == 7
    assert speed["score_stats"]["min"] == 60.0 and speed["score_stats"]["max"] == 80.0


def test_team_comparison_counts_grades_and_averages_totals_and_scores(result):
    north = teams(result.as_dict())[0]
    assert north["team"] == "North" and north["headcount"] == 3
    assert north["mean_total"] == pytest.approx((95 + 99 + 40) / 3)
    assert [g["count"] for g in north["grades"]] == [2, 0, 1]
    assert [s["mean"] for s in north["scores"]] == [pytest.approx(80.0), pytest.approx(90.0)]


def test_the_team_report_is_in_chinese_when_asked(result, tmp_path):
    text = (rendered(result, tmp_path, formats=["html"], language="zh") / "team.html").read_text(encoding="utf-8")
    assert "团队报告" in text and "仅供参考" in text and "速度" in text


def test_team_markdown_tables_have_the_same_number_of_columns_in_every_row(result, tmp_path):
    text = (rendered(result, tmp_path, formats=["md"]) / "team.md").read_text(encoding="utf-8")
    tables, current = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append(len(re.split(r"(?<!\\)\|", line.strip())))
        elif current:
            tables.append(current)
            current = []
    assert len(tables) == 5
    assert all(len(set(t)) == 1 for t in tables), tables


def test_the_trend_shows_earlier_scores_when_a_previous_result_is_given(result, tmp_path):
    earlier = make_result([person("b", 70.0, "North", (50.0, 0.7))], label="2026-Q2", start="2026-04-01")
    out = rendered(result, tmp_path, formats=["md", "html"], previous=[earlier])
    text = (out / "scorecards" / "b.md").read_text(encoding="utf-8")
    assert "| Indicator | 2026-Q2 | 2026-Q3 |" in text
    assert "| Speed | 50.0 | 80.0 |" in text and "| Total | 70.0 | 99.0 |" in text
    assert len(Page((out / "scorecards" / "b.html").read_text(encoding="utf-8")).find("svg", "trend")) == 3


def test_there_is_no_trend_without_earlier_results(result, tmp_path):
    out = rendered(result, tmp_path, formats=["md"])
    assert "## Trend" not in (out / "scorecards" / "b.md").read_text(encoding="utf-8")


def test_without_the_drill_down_the_scorecard_says_how_to_get_the_rows(result, tmp_path):
    out = rendered(result, tmp_path, formats=["md"], run_dir=Path("runs/q3"))
    assert "appraisal explain q3 -a b -i INDICATOR" in (out / "scorecards" / "b.md").read_text(encoding="utf-8")
    assert not (out / "drill").exists()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    result = run(load_scheme(DATA / "agent.yaml"), parse_period("2026-Q3"))
    return write_run(result, tmp_path_factory.mktemp("runs") / "q3")


def test_drill_down_writes_one_page_per_score_linked_from_the_scorecard(run_dir, tmp_path):
    from appraisal.pipeline import row_evidence
    from appraisal.results.storing import load_run

    result = load_run(run_dir)
    out = rendered(result, tmp_path, formats=["html", "md"], run_dir=run_dir, drill_rows=row_evidence(result))
    who = result.appraisees[0]
    page = Page((out / "scorecards" / f"{safe_name(who.id)}.html").read_text(encoding="utf-8"))
    links = [a["href"] for a in page.find("a", "drill")]
    assert len(links) == len(who.cells)
    for href in links:
        assert (out / "scorecards" / unquote(href)).resolve().is_file()
    assert (out / "drill" / safe_name(who.id) / "tickets.md").is_file()
    markdown = (out / "scorecards" / f"{safe_name(who.id)}.md").read_text(encoding="utf-8")
    assert f"](../drill/{safe_name(who.id)}/tickets.md)" in markdown


def test_a_drill_down_page_shows_the_rows_behind_the_value(run_dir, tmp_path):
    from appraisal.pipeline import row_evidence
    from appraisal.results.storing import load_run

    result = load_run(run_dir)
    out = rendered(result, tmp_path, formats=["md"], run_dir=run_dir, drill_rows=row_evidence(result))
    text = (out / "drill" / "a1" / "tickets.md").read_text(encoding="utf-8")
    assert text.startswith("# a1 · Tickets handled\n")
    assert "\n3 of a1's rows in tickets fall in the period, 1 excluded; the first 2 counted:\n" in text
    assert re.search(r"^\| t01 \| a1 \| 2026-07-01 09:00:00 \|", text, re.MULTILINE)


def test_every_heading_of_the_team_report_is_a_word_not_a_method(tmp_path):
    """`labels.values` would be the dict's method in Jinja; the page must say "Values"."""
    from appraisal.periods import parse_period
    from appraisal.pipeline import load_scheme, run
    from appraisal.rendering.reports import render_report

    data = Path(__file__).resolve().parent / "data" / "measuring"
    render_report(run(load_scheme(data / "agent.yaml"), parse_period("2026-Q3")), tmp_path, formats=("html", "md"))
    for name in ("team.html", "team.md"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "built-in method" not in text and "Values" in text


def test_the_purchaser_quadrant_places_everyone_and_names_the_ideal_ones(tmp_path, run_cli):
    """Only low cost (deviation at or under 0) with high quality (pass rate at least 98%) is ideal."""
    from html.parser import HTMLParser

    from appraisal.rendering.reports import render_report
    from appraisal.results.storing import load_run

    assert run_cli("demo", "--role", "purchaser", "--out", str(tmp_path / "demo")).exit_code == 0
    result = load_run(tmp_path / "demo" / "run-2026-Q3")
    render_report(result, tmp_path / "out", formats=("html",))

    class Points(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.ideal = self.all = 0

        def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
            classes = (dict(attrs).get("class") or "").split()
            if tag == "circle" and "point" in classes:
                self.all += 1
                self.ideal += "ideal" in classes

    points = Points()
    points.feed((tmp_path / "out" / "team.html").read_text(encoding="utf-8"))
    values = [(a.cell("cost_deviation").value, a.cell("quality_pass_rate").value) for a in result.appraisees]
    both = [(x, y) for x, y in values if x is not None and y is not None]
    assert points.all == len(both) == len(result.appraisees)
    assert points.ideal == sum(1 for x, y in both if x <= 0 and y >= 0.98) > 0


@pytest.fixture(scope="module")
def zh_report(run_dir, tmp_path_factory) -> Path:
    """The zh report (html and md) of the stored run of tests/data/measuring/agent.yaml."""
    from appraisal.results.storing import load_run

    out = tmp_path_factory.mktemp("zh")
    render_report(load_run(run_dir), out, formats=("html", "md"), language="zh", run_dir=run_dir)
    return out


ENGINE_WORDS = ("insufficient data", "duplicate key", "unparseable", "negative duration", "outside period",
                "no period value", "excluded", "unknown appraisee", "self rating", "rating outside scale",
                "unknown indicator", "ok</td>", "| ok |")


def test_a_zh_team_report_of_a_real_run_has_no_english_engine_words(zh_report):
    for name in ("team.html", "team.md"):
        text = (zh_report / name).read_text(encoding="utf-8")
        assert [w for w in ENGINE_WORDS if w in text] == [], name


def test_a_zh_team_report_names_each_data_quality_cause_with_its_count(zh_report):
    text = (zh_report / "team.md").read_text(encoding="utf-8")
    assert "| tickets | 主键重复 | ticket_id | 1 |" in text
    assert "| tickets | 已排除：supplier batch |  | 1 |" in text
    assert "| 数据不足 | 7 |" in text


def test_scorecards_of_a_zh_report_phrase_rules_and_steps_in_chinese(zh_report):
    text = (zh_report / "scorecards" / "a3.md").read_text(encoding="utf-8")
    assert "| 数据不足：不计分 |" in text
    assert "1. 加权总分 77.78 = 33.33 × 33.33% + 100 × 33.33% + 100 × 33.33%\n" in text
    assert "weighted total" not in text and "linear:" not in text
