"""Validation behaviour beyond the corpus: all files at once, JSON output, locations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions
from appraisal.scheme.validation import schema_path, scheme_schema, validate_files

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = (ROOT / "tests" / "positive" / "schemes" / "minimal.yaml").read_text(encoding="utf-8")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_problems_of_all_files_are_reported_together(tmp_path, run_cli):
    broken_yaml = write(tmp_path, "a.yaml", "scheme: [\n")
    bad_weight = write(tmp_path, "b.yaml", MINIMAL.replace("weight: 100", "weight: 90"))
    unknown_key = write(tmp_path, "c.yaml", MINIMAL.replace("period: month", "perod: month"))
    result = run_cli("validate", str(broken_yaml), str(bad_weight), str(unknown_key))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == [str(broken_yaml), str(bad_weight), str(unknown_key)]
    assert lines[-1] == "3 problems in 3 files"


def test_every_problem_of_one_file_is_reported(tmp_path):
    text = MINIMAL.replace("period: month", "period: monthly").replace("agg: count", "agg: counts")
    problems = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    assert [p.path for p in problems] == ["period", "indicators[0].measure.agg"]


def test_json_report_lists_problems_with_locations(tmp_path, run_cli):
    path = write(tmp_path, "s.yaml", MINIMAL.replace("weight: 100", "weight: 50"))
    result = run_cli("validate", "--json", str(path))
    report = json.loads(result.stdout)
    assert result.exit_code == 1
    assert report["ok"] is False
    assert report["problems"] == [
        {"file": str(path), "line": 14, "column": 3, "path": "indicators",
         "message": "indicator weights sum to 50, not 100"}
    ]


def test_json_report_of_a_valid_scheme(run_cli):
    result = run_cli("validate", "--json", str(ROOT / "schemes" / "agent.yaml"))
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["ok"] is True
    assert report["schemes"][0]["id"] == "after-sales-agent"


def test_expression_error_points_at_the_column_inside_the_expression(tmp_path):
    text = MINIMAL.replace("status == 'resolved'", "stauts == 'resolved'")
    [problem] = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    line = text.splitlines()[problem.line - 1]
    assert line[problem.column - 1 :].startswith("stauts")
    assert "did you mean 'status'" in problem.message


def test_extension_keys_are_free(tmp_path):
    text = MINIMAL.replace("period: month", "period: month\nx-notes: anything at all")
    assert validate_files([write(tmp_path, "s.yaml", text)], extensions()) == []


def test_extension_keys_may_hold_numbers_no_rule_reads(tmp_path):
    text = MINIMAL.replace("period: month", "period: month\nx-limits: {low: -.inf, high: .inf, unset: .nan}")
    assert validate_files([write(tmp_path, "s.yaml", text)], extensions()) == []


@pytest.mark.parametrize("value, shown", [(".nan", ".nan"), (".inf", ".inf"), ("-.inf", "-.inf"), (".NaN", ".nan")])
def test_a_number_that_is_not_finite_is_refused_where_it_stands(tmp_path, value, shown):
    path = write(tmp_path, "s.yaml", MINIMAL.replace("best: 150", f"best: {value}"))
    [problem] = validate_files([path], extensions())
    assert (problem.path, problem.message) == ("indicators[0].score.best", f"expected a finite number, found {shown}")


def test_a_long_text_is_cut_when_quoted_back(tmp_path):
    path = write(tmp_path, "notes.yaml", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin\n")
    [problem] = validate_files([path], extensions())
    assert problem.message == (
        "expected a mapping of keys to values, found the text 'root:x:0:0:root:/root:/bin/bash daemon:x'...")


def test_misspelled_required_key_is_reported_once(tmp_path):
    [problem] = validate_files([write(tmp_path, "s.yaml", MINIMAL.replace("weight: 100", "wieght: 100"))], extensions())
    assert problem.message == "unknown key 'wieght'; did you mean 'weight'?"


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(tmp_path):
    path = write(tmp_path, "s.yaml", MINIMAL.replace("period: month", "period: month\nzzz: 1"))
    [problem] = validate_files([path], extensions())
    assert problem.message.startswith("unknown key 'zzz'; expected one of: $schema, adjustment_limits, adjustments,")
    assert problem.message.endswith("(keys starting with x- are free for extensions)")


def test_a_checked_scheme_resolves_defaults():
    scheme = load_scheme(ROOT / "schemes" / "agent.yaml")
    first_response = scheme.indicator("first_response_h")
    assert first_response.direction == "lower"
    assert first_response.score is not None and first_response.score.cap == 120
    assert scheme.indicator("qa_review").kind == "rating"
    assert [g.grade for g in scheme.grades] == ["S", "A", "B", "C", "D"]
    assert len(scheme.digest) == 64


def test_grade_mapping_shorthand_becomes_contiguous_bands():
    scheme = load_scheme(ROOT / "tests" / "positive" / "schemes" / "minimal.yaml")
    assert [(g.grade, g.min, g.max) for g in scheme.grades] == [("A", 90, float("inf")), ("B", 60, 90), ("C", 0, 60)]


def test_published_schema_describes_every_key():
    def walk(node, where):
        if isinstance(node, dict):
            for key, sub in node.get("properties", {}).items():
                has_own = isinstance(sub, dict) and "description" in sub
                ref = sub.get("$ref", "") if isinstance(sub, dict) else ""
                has_ref = ref and "description" in scheme_schema()["$defs"][ref.rsplit("/", 1)[-1]]
                assert has_own or has_ref, f"{where}.{key} has no description"
            for value in node.values():
                walk(value, where)
        elif isinstance(node, list):
            for value in node:
                walk(value, where)

    walk(scheme_schema(), "schema")
    assert schema_path().is_file()


def test_published_schema_accepts_the_shipped_schemes_on_its_own():
    from jsonschema import Draft202012Validator

    from appraisal.scheme.loading import load_file

    validator = Draft202012Validator(json.loads(schema_path().read_text(encoding="utf-8")))
    for path in (p for p in (ROOT / "schemes").glob("*.yaml") if not p.name.startswith("_")):
        assert list(validator.iter_errors(load_file(path).data)) == []


def test_files_are_reported_in_the_order_given(tmp_path, run_cli):
    later = write(tmp_path, "z.yaml", MINIMAL.replace("weight: 100", "weight: 90"))
    earlier = write(tmp_path, "a.yaml", MINIMAL.replace("weight: 100", "weight: 80"))
    lines = run_cli("validate", str(later), str(earlier)).stderr.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == [str(later), str(earlier)]


MAP_CONSTANT = "constants:\n  handling_target_h: {logistics: 24, account: 8}\n"


def with_constants(constants: str, where: str = "status == 'resolved'") -> str:
    text = MINIMAL.replace("datasets:", constants + "datasets:")
    return text.replace("status == 'resolved'", where)


def test_map_constant_loads_as_a_read_only_mapping(tmp_path):
    scheme = load_scheme(write(tmp_path, "s.yaml", with_constants(MAP_CONSTANT)))
    targets = scheme.constants["handling_target_h"]
    assert dict(targets) == {"logistics": 24, "account": 8}
    with pytest.raises(TypeError):
        targets["logistics"] = 1  # type: ignore[index]


def test_map_constant_lookup_by_a_column_is_valid(tmp_path):
    text = with_constants(MAP_CONSTANT, "handling_target_h[status] > 8")
    assert validate_files([write(tmp_path, "s.yaml", text)], extensions()) == []


def test_literal_key_missing_from_a_map_constant_is_reported_at_the_key(tmp_path):
    text = with_constants(MAP_CONSTANT, "handling_target_h['logistic'] > 8")
    [problem] = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    assert problem.message == ("unknown key 'logistic' in map constant 'handling_target_h'; "
                               "did you mean 'logistics'? (keys: logistics, account)")
    assert text.splitlines()[problem.line - 1][problem.column - 1:].startswith("'logistic'")


def test_literal_key_with_no_close_match_lists_the_known_keys(tmp_path):
    text = with_constants(MAP_CONSTANT, "handling_target_h['zzz'] > 8")
    [problem] = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    assert problem.message.endswith("; known keys: logistics, account")


def test_number_literal_key_is_checked_as_its_text(tmp_path):
    text = with_constants("constants:\n  by_level: {'1': 4, '2': 8}\n", "by_level[2] > by_level[3]")
    [problem] = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    assert problem.message.startswith("unknown key '3' in map constant 'by_level'")


def test_map_constant_mixing_numbers_and_texts_is_reported(tmp_path):
    text = with_constants("constants:\n  m: {a: 1, b: two, c: 3}\n")
    [problem] = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    assert (problem.path, problem.message) == (
        "constants.m.b",
        ("map constant 'm' mixes numbers (a, c) and texts (b); give every key a number, "
         "or every key a text"),
    )


def test_empty_map_constant_is_reported(tmp_path):
    [problem] = validate_files([write(tmp_path, "s.yaml", with_constants("constants:\n  m: {}\n"))], extensions())
    assert (problem.path, problem.message) == ("constants.m", "must not be empty")


def test_nested_map_constant_is_reported(tmp_path):
    text = with_constants("constants:\n  m: {a: {b: 1}}\n")
    [problem] = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    assert (problem.path, problem.message) == ("constants.m.a", "expected a number or a text, found a mapping")


def test_map_constant_with_true_false_values_is_reported(tmp_path):
    text = with_constants("constants:\n  m: {a: true}\n")
    [problem] = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    assert problem.message == "expected a number or a text, found true"


# --- every problem at once: the lint checks the parts that passed the schema ---------------

TWO_INDICATORS = MINIMAL.replace("    weight: 100\n", "    weight: 60\n").replace("grades:", """\
  - id: share
    title: Share of resolved
    formula: "resolved / 2"
    score: {curve: linear, worst: 0, best: 100}
    target: 50
    weight: 40
grades:""")


def test_lint_problems_of_the_parts_that_passed_come_with_the_schema_problems(tmp_path, run_cli):
    text = TWO_INDICATORS.replace("period: month", "period: monthly").replace(
        "status == 'resolved'", "stauts == 'resolved'").replace("resolved / 2", "resolved / tickets")
    result = run_cli("validate", str(write(tmp_path, "s.yaml", text)))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{tmp_path / 's.yaml'}:5:9: period: the text 'monthly' is not one of: week, month, quarter, half, year; "
        "did you mean 'month'?",
        f"{tmp_path / 's.yaml'}:16:53: indicators[0].measure.where: unknown name 'stauts'; did you mean 'status'?",
        f"{tmp_path / 's.yaml'}:22:26: indicators[1].formula: unknown name 'tickets'; "
        "declare it as a column, indicator or constant",
        "3 problems in 1 file",
    ]


def test_a_part_that_failed_the_schema_is_not_linted(tmp_path):
    text = MINIMAL.replace("agg: count, where: \"status == 'resolved'\"", "agg: counts, where: \"stauts == 1\"")
    [problem] = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    assert problem.path == "indicators[0].measure.agg"


def test_weights_are_not_summed_while_an_indicator_failed_the_schema(tmp_path):
    text = TWO_INDICATORS.replace("weight: 40", "weight: forty")
    [problem] = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    assert (problem.path, problem.message) == ("indicators[1].weight", "expected a number, found the text 'forty'")


def test_names_of_parts_that_failed_the_schema_still_count_as_declared(tmp_path):
    text = TWO_INDICATORS.replace("    columns: {agent_id: text", "    columns: {agent_id: txt").replace(
        "    measure: {dataset: tickets, agg: count", "    wieght: 1\n    measure: {dataset: tickets, agg: count")
    problems = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    # the formula's `resolved` (an indicator set aside) and the measure's dataset (set aside) are not reported
    assert [p.path for p in problems] == ["datasets.tickets.columns.agent_id", "indicators[0].wieght"]


def test_a_missing_required_key_does_not_stop_the_lint(tmp_path):
    text = MINIMAL.replace("grades: {A: 90, B: 60, C: 0}\n", "").replace("status == 'resolved'", "stauts == 'resolved'")
    problems = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    assert [(p.path, p.message) for p in problems] == [
        ("", "missing required key 'grades'"),
        ("indicators[0].measure.where", "unknown name 'stauts'; did you mean 'status'?"),
    ]


def test_calibration_is_not_checked_against_grades_that_failed_the_schema(tmp_path):
    text = MINIMAL.replace("grades: {A: 90, B: 60, C: 0}",
                           "grades: {A: 90, B: sixty, C: 0}\ncalibration: {A: 0.5, Z: 0.5}")
    [problem] = validate_files([write(tmp_path, "s.yaml", text)], extensions())
    assert problem.path == "grades.B"


def test_a_scheme_that_is_not_a_mapping_gets_one_problem(tmp_path):
    [problem] = validate_files([write(tmp_path, "s.yaml", "- scheme: x\n- version: 1\n")], extensions())
    assert problem.message == "expected a mapping of keys to values, found a list"


# --- the roster: optional in a scheme, needed to measure, and all three say so -------------------


def test_the_roster_is_optional_to_validate_needed_to_measure_and_the_reference_says_so(tmp_path, run_cli):
    scheme = write(tmp_path, "s.yaml", MINIMAL)
    (tmp_path / "tickets.csv").write_text("agent_id,created_at,status\na1,2026-09-01 10:00,resolved\n",
                                          encoding="utf-8")
    needed = "no roster, which measure and run need"
    validated = run_cli("validate", str(scheme))
    assert (validated.exit_code, validated.stdout) == (0, f"ok: {scheme} (scheme minimal, 1 indicator; {needed})\n")
    assert json.loads(run_cli("validate", "--json", str(scheme)).stdout)["schemes"][0]["roster"] is False
    refusal = f"scheme 'minimal' has {needed}: add 'roster' (who is appraised, one row each)\n"
    for command in (("measure", str(scheme), "-p", "2026-09"),
                    ("run", str(scheme), "-p", "2026-09", "-o", str(tmp_path / "r"))):
        refused = run_cli(*command)
        assert (refused.exit_code, refused.stderr) == (1, refusal)
    reference = (ROOT / "docs" / "scheme-reference.md").read_text(encoding="utf-8")
    assert "| `roster` | no, but `measure` and `run` need one |" in reference
    assert "ok: s.yaml (scheme s, 1 indicator; no roster, which measure and run need)\n" in reference
    assert refusal.replace("'minimal'", "'s'") in reference
