"""The appraisal form (考核表): indicators explained in words, blanks to fill in, in English and Chinese."""

from __future__ import annotations

import ast
from html.parser import HTMLParser
from pathlib import Path

import pytest

from appraisal.pipeline import load_scheme
from appraisal.rendering.forms import form_context, in_words, render_form

ROOT = Path(__file__).resolve().parent.parent
AGENT = ROOT / "schemes" / "agent.yaml"
SCHEMES = [AGENT, *sorted((ROOT / "tests" / "positive" / "schemes").glob("*.yaml"))]
SCORING = ROOT / "tests" / "positive" / "schemes" / "scoring-rules.yaml"

SMALL = """\
scheme: small
version: 1
title: {title}
period: month
datasets:
  tickets:
    source: csv
    path: tickets.csv
    appraisee: agent_id
    period_by: created_at
    columns: {{agent_id: text, created_at: timestamp, status: text, minutes: number}}
indicators:
  - id: handled
    title: Handled
    measure: {measure}
    target: 10
    score: {{curve: linear, worst: 0, best: 20}}
    weight: 100
grades: {{A: 90, B: 0}}
"""


def small(tmp_path: Path, measure: str = "{dataset: tickets, agg: count}", title: str = "Handled tickets"):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL.format(measure=measure, title=title), encoding="utf-8")
    return load_scheme(path)


def how(scheme, indicator: str, language: str = "en") -> str:
    return next(i["how"] for i in form_context(scheme, language)["indicators"] if i["id"] == indicator)


class Counter(HTMLParser):
    """Counts elements by class."""

    def __init__(self) -> None:
        super().__init__()
        self.classes: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.classes += (dict(attrs).get("class") or "").split()


def classes(html: str) -> list[str]:
    parser = Counter()
    parser.feed(html)
    return parser.classes


@pytest.fixture(scope="module")
def agent():
    return load_scheme(AGENT)


# --- rendering every scheme -------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("path", SCHEMES, ids=lambda p: p.stem)
def test_form_renders_for_every_scheme(tmp_path, path, language):
    written = render_form(load_scheme(path), tmp_path, language=language)
    assert sorted(p.suffix for p in written) == [".html", ".md"]
    assert all(p.read_text(encoding="utf-8").strip() for p in written)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("path", SCHEMES, ids=lambda p: p.stem)
def test_a_form_carries_no_note_of_the_schemes_author(tmp_path, path, language):
    """Forms go to the people appraised: the author's sourcing notes stay in the scheme's comments."""
    for page in render_form(load_scheme(path), tmp_path, language=language):
        text = page.read_text(encoding="utf-8")
        assert "sources give no number" not in text and "来源未给出数值" not in text, page.name


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_every_indicator_appears_with_weight_and_target(tmp_path, agent, fmt):
    [path] = render_form(agent, tmp_path, formats=[fmt])
    text = path.read_text(encoding="utf-8")
    for title, weight, target in [("First response time", 15, "2 h"), ("Resolution rate", 15, "90.0%"),
                                  ("Resolution time", 5, "48 h"), ("First-contact resolution", 10, "70.0%"),
                                  ("Repeat-problem rate", 5, "5.0%"), ("Customer satisfaction", 25, "95.0%"),
                                  ("Complaint rate", 5, "1.0%"), ("Tickets handled", 5, "550"),
                                  ("Quality review", 10, "4")]:
        assert title in text and f"{weight}%" in text and target in text


def test_chinese_form_uses_the_schemes_chinese_titles(tmp_path, agent):
    [path] = render_form(agent, tmp_path, formats=["html"], language="zh")
    text = path.read_text(encoding="utf-8")
    assert all(title in text for title in ("首次响应时间", "问题解决率", "客户满意度", "签名", "考核表"))


def test_target_from_a_dataset_is_per_appraisee():
    [cost] = [i for i in form_context(load_scheme(SCORING), "en")["indicators"] if i["id"] == "cost"]
    assert cost["target"] == "per appraisee, from budgets.budget"


# --- the formula in words, one construct each -------------------------------------------------


def test_ratio_with_numerator(agent):
    assert how(agent, "resolution_rate") == "Share of tickets where status is 'resolved'"


def test_ratio_with_numerator_in_chinese(agent):
    assert how(agent, "resolution_rate", "zh") == "tickets（满足 status 为 'resolved'）所占比例"


def test_median_of_hours(agent):
    assert how(agent, "first_response_h") == "Median of hours from created_at to first_response_at over tickets"


def test_median_of_hours_in_chinese(agent):
    assert how(agent, "first_response_h", "zh") == "tickets 中 从 created_at 到 first_response_at 的小时数 的中位数"


def test_where_filter(agent):
    assert how(agent, "completion_h") == (
        "Median of hours from created_at to resolved_at over tickets where status is 'resolved'"
    )


def test_count(tmp_path):
    assert how(small(tmp_path), "handled") == "Number of tickets"


def test_count_with_flag_filter_reads_the_flag_as_true():
    assert how(load_scheme(SCORING), "on_time_rate") == "Share of orders where on_time is true"


def test_percentile(tmp_path):
    scheme = small(tmp_path, "{dataset: tickets, agg: percentile, percentile: 0.9, of: minutes}")
    assert how(scheme, "handled") == "90th percentile of minutes over tickets"


def test_ratio_with_denominator():
    scheme = load_scheme(ROOT / "tests" / "positive" / "schemes" / "chinese.yaml")
    assert how(scheme, "满意度") == "Share of 工单 where 评分 is at least 满意分, among 工单 where 评分 is not empty"


def test_min_count_is_explained(agent):
    [csat] = [i for i in form_context(agent, "en")["indicators"] if i["id"] == "csat"]
    assert csat["min_count"].startswith("At least 10 rows are needed")


def test_formula_indicator():
    assert how(load_scheme(SCORING), "quality_cost") == (
        "Calculated from other indicators: Purchase cost divided by the largest of Quality pass rate and 0.01"
    )


def test_rating(agent):
    assert how(agent, "qa_review") == "Rated by reviewers from 1 to 5; the raters' mean counts"


@pytest.mark.parametrize(
    ("source", "en", "zh"),
    [
        ("status == 'resolved'", "status is 'resolved'", "status 为 'resolved'"),
        ("hours(a - b)", "hours from b to a", "从 b 到 a 的小时数"),
        ("days(x)", "x in days", "x 的天数"),
        ("0.9 <= x < 1", "0.9 is at most x and x is below 1", "0.9 不超过 x 且 x 小于 1"),
        ("c in ('phone', 'chat')", "c is one of 'phone', 'chat'", "c 为以下之一：'phone'、'chat'"),
        ("c not in ('a',)", "c is none of 'a'", "c 不为以下任一：'a'"),
        ("a and not b", "a is true and b is false", "a 为真 且 b 为假"),
        ("a or (b and c)", "a is true or (b is true and c is true)", "a 为真 或 (b 为真 且 c 为真)"),
        ("100 if x else 60", "100 if x is true, otherwise 60", "若 x 为真 则 100，否则 60"),
        ("(a - b) / a", "(a minus b) divided by a", "(a 减 b) 除以 a"),
        ("x ** 2 + y // 3 - z % 2",
         "((x to the power 2) plus (y divided by 3, rounded down)) minus (the remainder of z divided by 2)",
         "((x 的 2 次方) 加 (y 除以 3 后向下取整)) 减 (z 除以 2 的余数)"),
        ("-x + -1", "minus x plus -1", "负 x 加 -1"),
        ("is_null(x) or not_null(y)", "x is empty or y is not empty", "x 为空 或 y 不为空"),
        ("round(x, 2)", "x rounded to 2 decimals", "x 四舍五入保留 2 位小数"),
        ("clamp(x, 0, 1)", "x, kept between 0 and 1", "x（限制在 0 到 1 之间）"),
        ("coalesce(a, b)", "the first of a and b that is not empty", "a、b 中第一个非空值"),
        ("weekday(t) == 1", "the weekday of t (1 is Monday) is 1", "t 的星期（1 为周一） 为 1"),
        ("x != None", "x is not empty", "x 不为 空"),
        ("flag == True", "flag is true", "flag 为 真"),
        ("ratings['peer']", "ratings for 'peer'", "'peer' 对应的 ratings"),
        ("plugin_fn(x)", "plugin_fn(x)", "plugin_fn(x)"),
    ],
)
def test_in_words_reads_every_construct(source, en, zh):
    tree = ast.parse(source, mode="eval").body
    assert (in_words(tree, "en"), in_words(tree, "zh")) == (en, zh)


def test_gates_and_adjustments_in_words_use_indicator_titles():
    rules = form_context(load_scheme(SCORING), "en")["rules"]
    assert "If Quality pass rate is below 0.8: the total becomes 0 (Quality below the floor)." in rules
    assert "If Supplier on-time delivery is at least 0.99: +5 points (Flawless deliveries)." in rules
    assert "All adjustments together: at most +5 and −10 points." in rules


# --- curves, bands, grades --------------------------------------------------------------------


def test_curve_points_run_worst_target_best(agent):
    [first] = [i for i in form_context(agent, "en")["indicators"] if i["id"] == "first_response_h"]
    assert first["points"] == [{"value": "8 h", "points": "0"}, {"value": "2 h", "points": "100"},
                               {"value": "1 h", "points": "120"}]


def test_band_ranges_are_listed(tmp_path, agent):
    [path] = render_form(agent, tmp_path, formats=["html"])
    text = path.read_text(encoding="utf-8")
    assert all(band in text for band in ("[0, 24]", "(24, 48]", "(48, 72]"))


def test_ratio_to_target_points_for_lower_is_better():
    [cost] = [i for i in form_context(load_scheme(SCORING), "en")["indicators"] if i["id"] == "cost"]
    assert cost["rule"] == "Points are 100 × target ÷ value, at most 120."
    assert cost["points"][-1] == {"value": "target × 0.833", "points": "120"}


def test_grade_ranges(agent):
    assert [g["range"] for g in form_context(agent, "en")["grades"]][:2] == ["110 and above", "95 to under 110"]


# --- blanks, print, safety --------------------------------------------------------------------


def test_signature_and_date_lines(tmp_path, agent):
    [path] = render_form(agent, tmp_path, formats=["html"])
    found = classes(path.read_text(encoding="utf-8"))
    assert (found.count("signature-line"), found.count("date-line")) == (3, 3)


def test_a_rating_box_and_comment_line_per_rater(tmp_path, agent):
    [path] = render_form(agent, tmp_path, formats=["html"])
    found = classes(path.read_text(encoding="utf-8"))
    assert (found.count("rating-box"), found.count("comment-line")) == (3, 3)  # one rating indicator, 3 raters


def test_no_rating_boxes_without_rating_indicators(tmp_path):
    [path] = render_form(small(tmp_path), tmp_path, formats=["html"])
    assert "rating-box" not in classes(path.read_text(encoding="utf-8"))


def test_a4_page_rule_and_indicators_never_split(tmp_path, agent):
    [path] = render_form(agent, tmp_path, formats=["html"])
    text = path.read_text(encoding="utf-8")
    assert "@page { size: A4; margin: 18mm 15mm; }" in text
    assert "section.indicator {" in text and "break-inside: avoid" in text


def test_appraisee_in_the_header(tmp_path, agent):
    person = {"id": "a1", "name": "王芳", "team": "North"}
    [html, md] = render_form(agent, tmp_path, appraisee=person)
    assert html.name == "form-after-sales-agent-a1.html"
    assert all(v in html.read_text(encoding="utf-8") for v in person.values())
    assert "- 姓名: 王芳" in md.read_text(encoding="utf-8").replace("Name", "姓名")


def test_blank_header_without_an_appraisee(agent):
    assert form_context(agent, "en")["appraisee"] is None


def test_script_in_a_title_is_text(tmp_path):
    scheme = small(tmp_path, title="'<script>alert(1)</script>'")
    html, md = render_form(scheme, tmp_path)
    assert "<script>" not in html.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.read_text(encoding="utf-8")
    assert "<script>" not in md.read_text(encoding="utf-8")


def test_a_user_template_overrides_the_form(tmp_path, agent):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "form.md.j2").write_text("{% for i in indicators %}{{ i.id }} {{ i.weight|num(0) }}\n{% endfor %}")
    [path] = render_form(agent, tmp_path / "out", formats=["md"], user_dir=mine)
    assert path.read_text().splitlines()[0] == "first_response_h 15"


# --- the command ------------------------------------------------------------------------------


def test_cli_writes_the_files_and_prints_their_paths(tmp_path, run_cli):
    result = run_cli("form", "agent", "--out", str(tmp_path), "--lang", "zh", "--appraisee", "a1", "--name", "王芳")
    assert result.exit_code == 0
    printed = [Path(line) for line in result.stdout.splitlines()]
    assert [p.name for p in printed] == ["form-after-sales-agent-a1.html", "form-after-sales-agent-a1.md"]
    assert all(p.is_file() for p in printed)


def test_cli_unknown_scheme_exits_1_with_a_suggestion(run_cli):
    result = run_cli("form", "agnet")
    assert result.exit_code == 1
    assert "'agent'" in result.stderr and "Traceback" not in result.stderr


def test_cli_unknown_format_exits_1(tmp_path, run_cli):
    result = run_cli("form", "agent", "--out", str(tmp_path), "--format", "pdf")
    assert (result.exit_code, result.stderr) == (1, "unknown format 'pdf': choose from html, md\n")
