"""Schemes that extend others, strategy presets, and scheme packs (tests/data/extending/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appraisal.errors import SchemeError
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions
from appraisal.scheme.validation import validate_files

DATA = Path(__file__).resolve().parent / "data" / "extending"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_override_changes_only_the_keys_it_gives():
    csat = load_scheme(DATA / "east.yaml").indicator("csat")
    assert csat.target == 0.92 and csat.measure is not None and csat.measure.min_count == 10


def test_drop_removes_an_inherited_indicator_and_new_ones_come_last():
    ids = [i.id for i in load_scheme(DATA / "east.yaml").indicators]
    assert ids == ["first_response_h", "resolution_rate", "completion_h", "handling_on_time", "fcr", "repeat_rate",
                   "csat", "complaint_rate", "tickets_handled", "reopen_rate"]


def test_top_level_keys_of_the_child_replace_the_base():
    scheme = load_scheme(DATA / "east.yaml")
    assert (scheme.id, scheme.title["zh"], scheme.period) == ("agent-east", "华东售后专员", "quarter")


def test_a_strategy_shares_weights_by_category():
    # satisfaction-led: satisfaction 40, efficiency 25, quality 20 (cost absent: 85 shared out),
    # each category's share kept in the ratio of the agent scheme's weights.
    weights = {i.id: i.weight for i in load_scheme(DATA / "east.yaml").indicators}
    assert weights == {
        # efficiency 29.41 in the ratio 15:5:5:5
        "first_response_h": 14.71, "completion_h": 4.9, "handling_on_time": 4.9, "tickets_handled": 4.9,
        # quality 23.53 in the ratio 15:10:5:15 (reopen_rate is new, qa_review dropped)
        "resolution_rate": 7.84, "fcr": 5.23, "repeat_rate": 2.61, "reopen_rate": 7.84,
        # satisfaction 47.06 in the ratio 25:5; rounding puts the last hundredth here
        "csat": 39.23, "complaint_rate": 7.84,
    }
    assert sum(weights.values()) == pytest.approx(100.0)


def test_a_mistake_in_an_override_points_at_the_child_file():
    [problem] = validate_files([DATA / "broken-child.yaml"], extensions())
    assert problem.file.endswith("broken-child.yaml") and problem.line == 6
    assert problem.message == "unknown key 'wieght'; did you mean 'weight'?"


def test_a_mistake_inherited_from_the_base_points_at_the_base_file(tmp_path):
    base = (DATA / "base.yaml").read_text(encoding="utf-8").replace("period: month", "period: monthly")
    write(tmp_path, "base.yaml", base)
    child = write(tmp_path, "child.yaml", "scheme: child\nversion: 1\nextends: base.yaml\n")
    [problem] = validate_files([child], extensions())
    assert problem.file.endswith("base.yaml") and problem.path == "period" and problem.line == 5


def test_schemes_extending_each_other_in_a_circle_are_reported():
    [problem] = validate_files([DATA / "loop-a.yaml"], extensions())
    assert problem.message == "schemes extend each other in a circle: loop-a.yaml -> loop-b.yaml -> loop-a.yaml"


def test_an_unknown_base_gets_a_suggestion(tmp_path):
    child = write(tmp_path, "c.yaml", "scheme: c\nversion: 1\nextends: agnet\n")
    [problem] = validate_files([child], extensions())
    assert (problem.line, problem.message) == (3, "extends 'agnet': no such scheme; did you mean 'agent'?")


def test_a_pack_scheme_can_be_named_with_its_pack(tmp_path):
    child = write(tmp_path, "c.yaml", "scheme: c\nversion: 2\nextends: builtin:agent\n")
    assert load_scheme(child).indicator("csat").weight == 25


def test_an_unknown_strategy_gets_a_suggestion(tmp_path):
    child = write(tmp_path, "c.yaml", "scheme: c\nversion: 1\nextends: agent\nstrategy: cost-lead\n")
    [problem] = validate_files([child], extensions())
    assert problem.message == "unknown strategy 'cost-lead'; did you mean 'cost-led'?"


def test_a_strategy_needs_categories(tmp_path):
    write(tmp_path, "base.yaml", (DATA / "base.yaml").read_text(encoding="utf-8"))
    child = write(tmp_path, "c.yaml", "scheme: c\nversion: 1\nextends: base.yaml\nstrategy: cost-led\n")
    scheme = load_scheme(child)  # base has only efficiency indicators: they share everything
    assert [i.weight for i in scheme.indicators] == [60, 40]
    base = (DATA / "base.yaml").read_text(encoding="utf-8").replace("    category: efficiency\n", "")
    bare = write(tmp_path, "bare.yaml", base + "strategy: cost-led\n")
    with pytest.raises(SchemeError, match="no weighted indicator has a 'category'"):
        load_scheme(bare)


def test_show_resolved_prints_the_merged_scheme(run_cli):
    result = run_cli("schemes", "show", str(DATA / "east.yaml"), "--resolved")
    assert result.exit_code == 0, result.stderr
    assert "extends:" not in result.stdout and "id: reopen_rate" in result.stdout
    assert "weight: 39.23" in result.stdout


def test_schemes_list_shows_every_scheme_by_pack_role_and_version(run_cli):
    rows = json.loads(run_cli("schemes", "list", "--json").stdout)
    agent = next(r for r in rows if r["name"] == "agent")
    assert (agent["pack"], agent["role"], agent["version"]) == ("builtin", "agent", 1)
    assert all(not r["name"].startswith("_") for r in rows)


def test_hook_register_packs():
    assert "builtin" in extensions().packs and extensions().packs["builtin"].scheme_files()


OUT_OF_FOLDER = ("a scheme extends a shipped or pack scheme by name, or a file in its own folder or below it; "
                 "this path leads out of that folder")


def test_a_base_in_a_subfolder_is_found(tmp_path):
    (tmp_path / "bases").mkdir()
    write(tmp_path, "bases/base.yaml", (DATA / "base.yaml").read_text(encoding="utf-8"))
    child = write(tmp_path, "c.yaml", "scheme: c\nversion: 1\nextends: bases/base.yaml\n")
    assert load_scheme(child).id == "c"


@pytest.mark.parametrize(
    "reference", ["../base.yaml", "sub/../../base.yaml", "/etc/passwd", "../../../../../etc/shadow"]
)
def test_a_base_outside_the_scheme_folder_is_refused_unread(tmp_path, reference):
    (tmp_path / "team" / "sub").mkdir(parents=True)
    write(tmp_path, "base.yaml", (DATA / "base.yaml").read_text(encoding="utf-8"))
    child = write(tmp_path, "team/c.yaml", f"scheme: c\nversion: 1\nextends: {reference}\n")
    [problem] = validate_files([child], extensions())
    assert (problem.line, problem.path, problem.message) == (3, "extends", f"extends {reference!r}: {OUT_OF_FOLDER}")


def test_a_link_out_of_the_scheme_folder_is_refused(tmp_path):
    (tmp_path / "outside.yaml").write_text("secret: 1\nanother: 2\n", encoding="utf-8")
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "base.yaml").symlink_to(tmp_path / "outside.yaml")
    child = write(tmp_path, "team/c.yaml", "scheme: c\nversion: 1\nextends: base.yaml\n")
    [problem] = validate_files([child], extensions())
    assert problem.message == f"extends 'base.yaml': {OUT_OF_FOLDER}"


@pytest.mark.parametrize(
    "content, held", [("- a\n- b\n", "a list"), ("root:x:0:0:root:/root:/bin/bash\n", "a single value")]
)
def test_a_base_that_is_not_a_scheme_is_refused_without_quoting_it(tmp_path, content, held):
    write(tmp_path, "notes.yaml", content)
    child = write(tmp_path, "c.yaml", "scheme: c\nversion: 1\nextends: notes.yaml\n")
    [problem] = validate_files([child], extensions())
    assert problem.message == f"extends 'notes.yaml': that file is not a scheme (it holds {held}, not keys and values)"


@pytest.mark.parametrize("reference", ["builtin:..", "builtin:../schemes/agent", "builtin:", "../agent", "sub\\agent"])
def test_a_pack_scheme_name_never_leaves_the_packs_folder(reference):
    from appraisal.scheme.packs import find_scheme

    assert find_scheme(reference, extensions().packs) is None


def test_an_unknown_pack_is_a_located_problem(tmp_path):
    child = write(tmp_path, "c.yaml", "scheme: c\nversion: 1\nextends: 'manufactoring:service-engineer'\n")
    [problem] = validate_files([child], extensions())
    assert (problem.line, problem.message) == (
        3, "extends 'manufactoring:service-engineer': no scheme pack 'manufactoring'; did you mean 'manufacturing'?")


# --- datasets are merged by name, and key by key ----------------------------------------------


def child_of_base(tmp_path: Path, overrides: str, base_extra: str = "", base_options: str = "") -> Path:
    """c.yaml extending a copy of tests/data/extending/base.yaml, which gets `base_extra` at the end
    and `base_options` as its tickets' options."""
    base = (DATA / "base.yaml").read_text(encoding="utf-8") + base_extra
    if base_options:
        base = base.replace("    path: tickets.csv\n", f"    path: tickets.csv\n    options: {base_options}\n")
    write(tmp_path, "base.yaml", base)
    return write(tmp_path, "c.yaml", "scheme: c\nversion: 1\nextends: base.yaml\n" + overrides)


def test_a_dataset_override_replaces_only_the_keys_it_gives(tmp_path):
    child = child_of_base(tmp_path, "datasets:\n  tickets: {appraisee: owner_id, columns: {owner_id: text}}\n")
    tickets = load_scheme(child).datasets["tickets"]
    assert (tickets.appraisee, tickets.period_by, tickets.source.written) == ("owner_id", "created_at", "tickets.csv")
    assert dict(tickets.columns) == {
        "agent_id": "text", "created_at": "timestamp", "status": "text", "owner_id": "text"}


def test_columns_and_options_are_merged_entry_by_entry(tmp_path):
    child = child_of_base(tmp_path,
                          "datasets:\n  tickets:\n    columns: {created_at: date, channel: text}\n"
                          "    options: {delimiter: ';'}\n",
                          base_options="{encoding: gb18030, delimiter: ','}")
    tickets = load_scheme(child).datasets["tickets"]
    assert dict(tickets.columns) == {"agent_id": "text", "created_at": "date", "status": "text", "channel": "text"}
    assert dict(tickets.source.options) == {"encoding": "gb18030", "delimiter": ";"}


def test_via_replaces_an_inherited_appraisee(tmp_path):
    overrides = ("datasets:\n"
                 "  agents: {source: csv, path: agents.csv, key: ticket, columns: {ticket: text, agent: text},"
                 " appraisee: agent}\n"
                 "  tickets: {via: {dataset: agents, on: ticket}, columns: {ticket: text}}\n")
    tickets = load_scheme(child_of_base(tmp_path, overrides)).datasets["tickets"]
    assert tickets.appraisee is None and tickets.via is not None and tickets.via.dataset == "agents"


def test_a_new_dataset_is_added_whole(tmp_path):
    overrides = ("datasets:\n  surveys: {source: csv, path: surveys.csv, appraisee: agent_id, period_by: at,"
                 " columns: {agent_id: text, at: timestamp}}\n")
    assert sorted(load_scheme(child_of_base(tmp_path, overrides)).datasets) == ["surveys", "tickets"]


def test_a_mistake_in_a_dataset_override_points_at_the_child(tmp_path):
    child = child_of_base(tmp_path, "datasets:\n  tickets:\n    columns: {owner_id: txt}\n")
    [problem] = validate_files([child], extensions())
    assert (Path(problem.file).name, problem.line, problem.path) == ("c.yaml", 6, "datasets.tickets.columns.owner_id")


def test_an_inherited_dataset_key_still_points_at_the_base(tmp_path):
    child = child_of_base(tmp_path, "datasets:\n  tickets: {appraisee: owner_id}\n")
    [problem] = validate_files([child], extensions())  # owner_id is not a declared column of the base's tickets
    assert (Path(problem.file).name, problem.line, problem.path) == ("c.yaml", 5, "datasets.tickets.appraisee")
    assert problem.message.startswith("unknown column 'owner_id' in dataset 'tickets'")


def test_a_map_constant_is_replaced_whole(tmp_path):
    child = child_of_base(tmp_path, "constants:\n  target_h: {account: 8}\n",
                          base_extra="constants:\n  target_h: {logistics: 24, account: 12}\n")
    assert dict(load_scheme(child).constants["target_h"]) == {"account": 8}
