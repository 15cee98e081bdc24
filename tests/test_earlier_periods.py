"""An earlier period the store holds, beside a report (`run`'s own report, `render` with the
store), is read for its history alone: `load_run(brief=True)` gives each appraisee's totals,
grade and scores from appraisees.parquet without concluding them again (the store checks the
file's bytes against its records), and the history and trends are made from `history_view`,
not from a copy of every word. Both must show what the whole read shows. A folder named with
`render --previous` is read whole: its totals are checked against its cells."""

from __future__ import annotations

from pathlib import Path

import pytest

from appraisal.errors import AppraisalError
from appraisal.rendering.history import history, history_view
from appraisal.rendering.reports import trends
from appraisal.results.storing import load_run
from tests.test_stored_runs import _flip_a_byte, _rewrite, _stored


@pytest.mark.parametrize("name", ["agent", "manager", "purchaser"])
def test_a_brief_read_gives_the_ids_totals_grades_and_scores_of_the_whole_read(tmp_path: Path, name: str) -> None:
    folder = _stored(tmp_path, name)
    whole, brief = history_view(load_run(folder)), history_view(load_run(folder, brief=True))
    assert brief == whole  # the whole read's from its objects, the brief one's from the file's columns
    assert whole["appraisees"] and all(len(a["cells"]) > 1 for a in whole["appraisees"])


def test_a_brief_read_refuses_a_file_changed_after_the_run(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    _flip_a_byte(folder)
    with pytest.raises(AppraisalError, match="was changed after the run"):
        load_run(folder, brief=True)


def test_history_and_trends_from_the_view_are_those_of_the_whole_result(tmp_path: Path) -> None:
    folder = _stored(tmp_path, "manager")
    current, earlier = load_run(folder).as_dict(), load_run(folder)
    brief = load_run(folder, brief=True)
    assert history(current, [history_view(brief)], "en") == history(current, [earlier.as_dict()], "en")
    people = current["appraisees"]
    assert trends(people, current, [history_view(brief)], "zh") == trends(people, current, [earlier.as_dict()], "zh")


def test_a_folder_given_as_previous_is_read_whole_and_a_forged_total_refused(run_cli, tmp_path: Path) -> None:
    (tmp_path / "now").mkdir()
    (tmp_path / "then").mkdir()
    current, earlier = _stored(tmp_path / "now"), _stored(tmp_path / "then")
    # a careful forger: the total changed and the file's new SHA-256 written into result.json
    _rewrite(earlier, "SELECT * REPLACE (CASE WHEN appraisee = 'CS001' THEN total + 10 ELSE total END AS total)"
                      " FROM {t}")
    cli = run_cli("render", str(current), "--previous", str(earlier), "--format", "md", "--out", str(tmp_path / "out"))
    assert cli.exit_code == 1 and "does not add up" in cli.stderr, cli.stderr


def test_a_run_read_whole_gives_its_history_from_its_objects(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    whole = load_run(folder)
    (folder / "appraisees.parquet").unlink()  # read already: nothing is read again for the history
    assert history_view(whole)["appraisees"][0]["id"] == whole.appraisees[0].id
