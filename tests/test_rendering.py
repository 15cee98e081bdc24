"""Rendering: scorecards and the summary page, in HTML and Markdown, from a hand-built Result."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from appraisal.errors import AppraisalError
from appraisal.rendering import pages as rendering
from appraisal.rendering.pages import environment, render_result, safe_name, scorecard_names
from appraisal.results.result import (
    AppraiseeResult,
    Effect,
    Result,
    ScoredCell,
    result_from_dict,
)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = "<script>alert(1)</script>"


def cell(indicator, title, value, score, weight, *, unit="", target=None, rule="", rows=10, status="ok", flags=()):
    contribution = None if score is None else score * weight / 100
    return ScoredCell(
        indicator=indicator, title=title, unit=unit, kind="measure", value=value, rows=rows, status=status,
        target=target, score=score, weight=weight, effective_weight=weight, contribution=contribution,
        rule=rule, source="dataset tickets", flags=flags,
    )


def appraisee(appraisee_id, name, scores, *, flags=(), effects=(), steps=()):
    first, resolution, csat = scores
    cells = (
        cell("first_response_h", {"en": "First response time", "zh": "首次响应时间"}, 1.5, first, 20, unit="h",
             target=2, rule="linear: worst 8 = 0, target 2 = 100, best 1 = 120"),
        cell("resolution_rate", {"en": "Resolution rate", "zh": "解决率"}, 0.93, resolution, 30, unit="%",
             target=0.9, rule="band [0.9 | 1]: 100"),
        cell("csat", {"en": "Satisfaction", "zh": "满意度"}, None if csat is None else 0.97, csat, 50, unit="%",
             target=0.95, rule="100 x value / target 0.95", rows=3 if csat is None else 40,
             status="insufficient data" if csat is None else "ok", flags=("below min_count",) if csat is None else ()),
    )
    total = sum(c.contribution or 0 for c in cells)
    return AppraiseeResult(
        id=appraisee_id, name=name, team="North", manager="m1", role="agent", flags=flags, cells=cells,
        weighted_total=total, adjustment_points=0.0, total=total, grade="A" if total > 90 else "B",
        status="ok", effects=effects, steps=steps,
    )


@pytest.fixture
def result() -> Result:
    gate = Effect(kind="gate", when="complaints_major > 0", reason="一票否决", effect="cap total at 60", applied=False)
    return Result(
        scheme={"id": "after-sales-agent", "version": 3, "title": {"en": "After-sales agent", "zh": "售后专员"}},
        period={"label": "2026-Q3", "start": "2026-07-01", "end": "2026-10-01"},
        provenance={"scheme_hash": "sha256:abc", "data_fingerprint": "sha256:def",
                    "versions": {"appraisal": "0.1.0", "duckdb": "1.1.0"}},
        appraisees=(
            appraisee("../x", SCRIPT, (110.0, 100.0, 98.0), effects=(gate,),
                      steps=("weighted total 102.0", "no gate applied", "grade A")),
            appraisee("王芳", "王芳", (50.0, 100.0, None), flags=("joined during period",)),
        ),
        quality=({"dataset": "tickets", "cause": "negative duration", "column": "resolved_at", "count": 1},),
        queries={},
        grades=({"grade": "A", "min": 90}, {"grade": "B", "min": 0}),
    )


class Elements(HTMLParser):
    """The start tags of an HTML page, with their attributes, and its text."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag: str, css_class: str | None = None) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags
                if t == tag and (css_class is None or css_class in (a.get("class") or "").split())]


def rendered(result: Result, tmp_path: Path, **options) -> Path:
    out = tmp_path / "out"
    render_result(result, out, **options)
    return out


def scorecards(out: Path, suffix: str) -> list[Path]:
    return sorted((out / "scorecards").glob(f"*.{suffix}"))


def table_rows(markdown: str) -> list[list[str]]:
    """The tables of a Markdown page: each a list of rows, each row's cells split on unescaped |."""
    tables, current = [], []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            current.append(re.split(r"(?<!\\)\|", line.strip())[1:-1])
        elif current:
            tables.append(current)
            current = []
    return tables


def test_render_writes_the_summary_and_one_scorecard_per_appraisee_in_each_format(result, tmp_path):
    out = tmp_path / "out"
    written = render_result(result, out)
    assert {p.relative_to(out).as_posix() for p in written} == {
        "index.html", "index.md", *(f"scorecards/{n}.{f}" for n in scorecard_names(["../x", "王芳"]).values()
                                    for f in ("html", "md"))
    }
    assert all(p.is_file() for p in written)
    assert not list(out.rglob("*.tmp"))


def test_each_scorecard_chart_has_one_bar_per_indicator_with_a_label(result, tmp_path):
    out = rendered(result, tmp_path)
    for path in scorecards(out, "html"):
        page = Elements(path.read_text(encoding="utf-8"))
        assert [bar["data-indicator"] for bar in page.find("rect", "bar")] == [
            "first_response_h", "resolution_rate", "csat"
        ]
        assert len(page.find("text", "label")) == 3


def test_bars_are_scaled_to_the_highest_score(result, tmp_path):
    page = Elements((rendered(result, tmp_path) / "scorecards" / f"{safe_name('../x')}.html").read_text("utf-8"))
    widths = [float(bar["width"]) for bar in page.find("rect", "bar")]
    assert widths == [520.0, round(520 * 100 / 110, 2), round(520 * 98 / 110, 2)]


def test_a_script_in_the_data_is_shown_as_text_in_html(result, tmp_path):
    out = rendered(result, tmp_path)
    for path in [out / "index.html", *scorecards(out, "html")]:
        text = path.read_text(encoding="utf-8")
        page = Elements(text)
        assert page.find("script") == []
        assert "<script" not in text
    assert SCRIPT in "".join(Elements((out / "index.html").read_text(encoding="utf-8")).text)


def test_a_script_in_the_data_is_escaped_in_markdown(result, tmp_path):
    out = rendered(result, tmp_path)
    for path in [out / "index.md", *scorecards(out, "md")]:
        assert "<script" not in path.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (out / "index.md").read_text(encoding="utf-8")


def test_summary_links_resolve_to_scorecards_that_exist(result, tmp_path):
    out = rendered(result, tmp_path)
    page = Elements((out / "index.html").read_text(encoding="utf-8"))
    hrefs = [a["href"] for a in page.find("a")]
    assert len(hrefs) == 2
    for href in hrefs:
        assert (out / unquote(href)).resolve().is_file()
        assert (out / unquote(href)).resolve().parent == (out / "scorecards").resolve()
    markdown_links = re.findall(r"\]\(([^)]+)\)", (out / "index.md").read_text(encoding="utf-8"))
    assert len(markdown_links) == 2 and all((out / unquote(h)).is_file() for h in markdown_links)


def test_scorecards_link_back_to_the_summary(result, tmp_path):
    out = rendered(result, tmp_path)
    for path in scorecards(out, "html"):
        [back] = Elements(path.read_text(encoding="utf-8")).find("a")
        assert (path.parent / back["href"]).resolve() == (out / "index.html").resolve()


def test_markdown_tables_have_the_same_number_of_columns_in_every_row(result, tmp_path):
    out = rendered(result, tmp_path)
    pages = [out / "index.md", *scorecards(out, "md")]
    tables = [table for page in pages for table in table_rows(page.read_text(encoding="utf-8"))]
    assert len(tables) == 4 + 2 + 1  # summary: 4; each scorecard: indicators; one has effects
    for table in tables:
        assert len({len(row) for row in table}) == 1, table


def test_a_pipe_in_a_rule_is_escaped_in_markdown(result, tmp_path):
    out = rendered(result, tmp_path)
    text = (out / "scorecards" / f"{safe_name('王芳')}.md").read_text(encoding="utf-8")
    assert r"band \[0.9 \| 1\]: 100" in text


def test_the_html_page_has_no_external_urls(result, tmp_path):
    out = rendered(result, tmp_path)
    for path in [out / "index.html", *scorecards(out, "html")]:
        page = Elements(path.read_text(encoding="utf-8"))
        urls = [v for _, attrs in page.tags for k, v in attrs.items() if k in ("href", "src") and v]
        assert not [u for u in urls if re.match(r"[a-z]+:", u)], urls


def test_provenance_is_on_the_summary_page(result, tmp_path):
    text = "".join(Elements((rendered(result, tmp_path) / "index.html").read_text("utf-8")).text)
    assert all(s in text for s in ("sha256:abc", "sha256:def", "duckdb 1.1.0", "2026-Q3", "After-sales agent"))


def test_the_grade_distribution_counts_every_grade(result, tmp_path):
    context = rendering.summary_context(result.as_dict(), scorecard_names(["../x", "王芳"]), "en", "html")
    assert context["grade_distribution"] == [
        {"grade": "A", "count": 1, "share": 0.5, "target_share": None, "expected": None},
        {"grade": "B", "count": 1, "share": 0.5, "target_share": None, "expected": None}
    ]


def test_chinese_labels_with_language_zh(result, tmp_path):
    out = rendered(result, tmp_path, language="zh")
    html = (out / "scorecards" / f"{safe_name('王芳')}.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in html
    assert all(word in html for word in ("总分", "等级", "首次响应时间", "售后专员", "数据不足"))
    assert "总分" in (out / "index.md").read_text(encoding="utf-8")


def test_an_unknown_language_is_a_clear_error(result, tmp_path):
    with pytest.raises(AppraisalError, match="unknown language 'fr': choose one of en, zh"):
        render_result(result, tmp_path / "out", language="fr")


def test_every_label_exists_in_both_languages():
    assert rendering.labels("en").keys() == rendering.labels("zh").keys()
    assert all(rendering.labels("zh").values())


@pytest.mark.parametrize(
    ("appraisee_id", "expected"),
    [("王芳", "王芳"), ("a-1_b", "a-1_b"), ("../x", "___x-"), ("a/b\\c", "a_b_c-"), ("CON", "CON-"), ("", "-")],
)
def test_safe_names_keep_letters_of_any_script_and_replace_the_rest(appraisee_id, expected):
    name = safe_name(appraisee_id)
    assert name.startswith(expected) and re.fullmatch(r"[\w-]+", name)
    assert name == expected or len(name) == len(expected) + 8


def test_scorecard_names_stay_unique_when_only_case_differs():
    names = scorecard_names(["Bob", "bob", "a/b", "a_b"])
    assert len({n.casefold() for n in names.values()}) == 4


def test_the_result_read_back_from_json_renders_the_same(result, tmp_path):
    first = rendered(result, tmp_path / "a")
    second = rendered(result_from_dict(result.as_dict()), tmp_path / "b")
    for path in first.rglob("*.*"):
        assert path.read_bytes() == (second / path.relative_to(first)).read_bytes()


def test_a_user_override_extends_the_default_and_replaces_one_block(result, tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "scorecard.html.j2").write_text(
        '{% extends "default:scorecard.html.j2" %}{% block steps %}<p id="mine">{{ cells|length }} indicators</p>'
        "{% endblock %}",
        encoding="utf-8",
    )
    out = rendered(result, tmp_path, user_dir=user)
    html = (out / "scorecards" / f"{safe_name('王芳')}.html").read_text(encoding="utf-8")
    assert '<p id="mine">3 indicators</p>' in html
    assert len(Elements(html).find("rect", "bar")) == 3  # the rest of the default is still there
    assert 'id="mine"' not in (out / "index.html").read_text(encoding="utf-8")


def test_a_scheme_specific_template_is_tried_first(result, tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "summary-after-sales-agent.md.j2").write_text("specific {{ scheme.id }}\n", encoding="utf-8")
    (user / "summary.md.j2").write_text("generic\n", encoding="utf-8")
    out = rendered(result, tmp_path, user_dir=user, formats=("md",))
    assert (out / "index.md").read_text(encoding="utf-8") == "specific after-sales-agent\n"


def test_pack_templates_come_between_the_user_and_the_defaults(result, tmp_path):
    user, pack = tmp_path / "user", tmp_path / "pack"
    for folder, text in ((user, "user"), (pack, "pack")):
        folder.mkdir()
        (folder / "summary.md.j2").write_text(text, encoding="utf-8")
    (pack / "scorecard.md.j2").write_text("pack card", encoding="utf-8")
    out = rendered(result, tmp_path, user_dir=user, pack_dirs=[pack], formats=("md",))
    assert (out / "index.md").read_text(encoding="utf-8") == "user"
    assert all(p.read_text(encoding="utf-8") == "pack card" for p in scorecards(out, "md"))


def test_values_in_a_user_markdown_template_are_escaped(result, tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "summary.md.j2").write_text("{% for a in appraisees %}| {{ a.name }} |\n{% endfor %}", encoding="utf-8")
    out = rendered(result, tmp_path, user_dir=user, formats=("md",))
    assert (out / "index.md").read_text(encoding="utf-8").splitlines()[0] == (
        "| &lt;script&gt;alert(1)&lt;/script&gt; |"
    )


def test_an_undefined_variable_names_the_template_and_line(result, tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    template = user / "summary.html.j2"
    template.write_text("<h1>{{ scheme_title }}</h1>\n\n<p>{{ no_such_thing }}</p>\n", encoding="utf-8")
    with pytest.raises(AppraisalError) as caught:
        render_result(result, tmp_path / "out", user_dir=user)
    assert str(caught.value) == f"{template}:3: 'no_such_thing' is undefined"


def test_a_syntax_error_names_the_template_and_line(result, tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    template = user / "scorecard.md.j2"
    template.write_text("# {{ appraisee.id }}\n{% if %}\n", encoding="utf-8")
    with pytest.raises(AppraisalError, match=rf"^{re.escape(str(template))}:2: "):
        render_result(result, tmp_path / "out", user_dir=user, formats=("md",))


def test_the_sandbox_refuses_python_internals(result, tmp_path):
    user = tmp_path / "mine"
    user.mkdir()
    template = user / "summary.html.j2"
    template.write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    with pytest.raises(AppraisalError, match=rf"^{re.escape(str(template))}:1: access to attribute '__class__'"):
        render_result(result, tmp_path / "out", user_dir=user)


def test_a_missing_template_is_a_clear_error():
    with pytest.raises(AppraisalError, match=re.escape("template not found: nothing.html.j2")):
        rendering.render_template(environment(), ["nothing.html.j2"], {})


def test_autoescape_is_on_for_html_templates_and_off_for_markdown():
    env = environment()
    assert env.autoescape("scorecard.html.j2") and env.autoescape("default:base.html.j2")
    assert not env.autoescape("scorecard.md.j2")
    assert env.autoescape("unknown.j2")  # escaping is the default for anything unknown


@pytest.mark.parametrize(("value", "expected"), [(None, "–"), (12.345, "12.3"), (7, "7.0"), (float("nan"), "–")])
def test_num_filter_rounds_and_shows_a_dash_for_missing_values(value, expected):
    assert rendering.num(value) == expected


def test_pct_filter_shows_a_fraction_as_a_percentage():
    assert (rendering.pct(0.905), rendering.pct(None)) == ("90.5%", "–")


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [(0.93, "%", "93.0%"), (1.5, "h", "1.50 h"), (35, "count", "35 count"), (None, "h", "–"), (2.0, "", "2")],
)
def test_quantity_filter_shows_a_value_with_its_unit(value, unit, expected):
    assert rendering.quantity(value, unit) == expected


def test_md_filter_escapes_markup_and_table_breakers():
    assert rendering.md("a|b <i>[x](y)</i> `c`\nd") == r"a\|b &lt;i&gt;\[x\](y)&lt;/i&gt; \`c\` d"


def test_the_template_context_is_documented_in_the_docstring_and_the_docs(result):
    data = result.as_dict()
    names = scorecard_names(a["id"] for a in data["appraisees"])
    keys = set(rendering.summary_context(data, names, "en", "html")) | set(
        rendering.scorecard_context(data, data["appraisees"][0], "en", "html")
    )
    docs = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    assert sorted(k for k in keys if f"`{k}`" not in docs) == []
    assert sorted(k for k in keys if not re.search(rf"^    {k} ", rendering.__doc__, re.MULTILINE)) == []


def test_the_docs_example_override_renders(result, tmp_path):
    docs = (ROOT / "docs" / "templates.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```jinja\n(.*?)```", docs, flags=re.DOTALL)
    user = tmp_path / "templates"
    user.mkdir()
    (user / "scorecard.html.j2").write_text(example, encoding="utf-8")
    out = rendered(result, tmp_path, user_dir=user)
    html = (out / "scorecards" / f"{safe_name('王芳')}.html").read_text(encoding="utf-8")
    assert "Reviewed by" in html and len(Elements(html).find("rect", "bar")) == 3


def test_title_filter_picks_the_language_and_falls_back_to_english():
    template = environment().from_string("{{ t|title }} {{ t|title('zh') }} {{ {'en': 'Only'}|title }}")
    assert template.render(t={"en": "Total", "zh": "总分"}, language="zh") == "总分 总分 Only"
    assert template.render(t={"en": "Total", "zh": "总分"}, language="en") == "Total 总分 Only"


# zh pages of real runs: the engine's explanations are phrased in Chinese, with their numbers.

MEASURING = ROOT / "tests" / "data" / "measuring"
ENGLISH = ("weighted total", "linear:", "worst", "grade C:", "grade B:", "no score for", "re-weighted", "not scored",
           "insufficient data", "joined during period", "left during period", "cap total", "+5 points", "holds (",
           "adjustments +5")


def real_run(scheme_text: str, folder: Path, tmp_path: Path, period: str = "2026-Q3") -> Result:
    """A run of `scheme_text` on the data files of `folder`, copied beside it (a scheme reads data
    only from its own folder)."""
    import shutil

    from appraisal.periods import parse_period
    from appraisal.pipeline import load_scheme, run

    path = tmp_path / "scheme" / "scheme.yaml"
    shutil.copytree(folder, path.parent, ignore=shutil.ignore_patterns("*.yaml"))
    path.write_text(scheme_text, encoding="utf-8")
    return run(load_scheme(path), parse_period(period))


@pytest.fixture(scope="module")
def zh_cards(tmp_path_factory) -> Path:
    """zh pages of tests/data/measuring/agent.yaml with a gate and an adjustment added."""
    tmp = tmp_path_factory.mktemp("zh")
    scheme = (MEASURING / "agent.yaml").read_text(encoding="utf-8") + (
        "gates:\n  - {when: \"tickets >= 2\", cap_total: 55, reason: 测试封顶}\n"
        "adjustments:\n  - {when: \"tickets >= 1\", points: 5, reason: 出勤}\n")
    return rendered(real_run(scheme, MEASURING, tmp), tmp, language="zh")


def test_a_zh_scorecard_of_a_real_run_has_no_english_engine_sentence(zh_cards):
    for page in scorecards(zh_cards, "html") + scorecards(zh_cards, "md") + [zh_cards / "index.html"]:
        text = page.read_text(encoding="utf-8")
        assert [w for w in ENGLISH if w in text] == [], page.name


def test_a_zh_scorecard_states_each_rule_with_its_numbers(zh_cards):
    text = (zh_cards / "scorecards" / "a1.html").read_text(encoding="utf-8")
    assert "线性计分：最差值 8 得 0 分，目标值 2 得 100 分，最佳值 1 得 100 分" in text


def test_a_zh_scorecard_states_how_the_total_came_about(zh_cards):
    text = (zh_cards / "scorecards" / "a1.md").read_text(encoding="utf-8")
    assert "1. 加权总分 51.67 = 66.67 × 25% + 100 × 25% + 0 × 25% + 0 × 15% + 100 × 10%\n" in text
    assert "2. 加减分 +5：总分 56.67\n" in text
    assert "3. 否决项条件 tickets &gt;= 2 成立（测试封顶）：总分封顶 55 分；总分 55\n" in text
    assert "4. 等级 C：0 ≤ 55 &lt; 60\n" in text


def test_a_zh_scorecard_names_the_reweighted_indicators(zh_cards):
    text = (zh_cards / "scorecards" / "a3.md").read_text(encoding="utf-8")
    assert "Satisfaction、Quality review 没有得分：其余指标按比例重新分配权重" in text


def test_gates_and_adjustments_say_their_effect_in_chinese(zh_cards):
    text = (zh_cards / "scorecards" / "a1.md").read_text(encoding="utf-8")
    assert "| 总分封顶 55 分 |" in text and "| +5 分 |" in text


def test_rater_groups_without_enough_raters_are_flagged_in_chinese(tmp_path):
    folder = ROOT / "tests" / "data" / "review360"
    result = real_run((folder / "scheme.yaml").read_text(encoding="utf-8"), folder, tmp_path, "2026-H1")
    text = (rendered(result, tmp_path, language="zh") / "scorecards" / "m1.html").read_text(encoding="utf-8")
    assert "subordinates：仅 1 名评价人，不足最低要求 2 名，不计入" in text
    assert "not counted" not in text


def test_a_result_stored_without_phrasebook_parts_renders_its_english_sentences(tmp_path):
    data = real_run((MEASURING / "agent.yaml").read_text(encoding="utf-8"), MEASURING, tmp_path).as_dict()
    for person in data["appraisees"]:
        del person["step_parts"], person["status_parts"]
        for c in person["cells"]:
            del c["rule_parts"]
    folder = rendered(result_from_dict(data), tmp_path, language="zh")
    text = (folder / "scorecards" / "a1.md").read_text(encoding="utf-8")
    assert "linear: worst 8 = 0, target 2 = 100, best 1 = 100" in text
    assert "1. weighted total 51.67 = 66.67 x 25% + 100 x 25% + 0 x 25% + 0 x 15% + 100 x 10%\n" in text
