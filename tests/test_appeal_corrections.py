"""An accepted appeal (申诉) corrects the run: rows left out, a value corrected, a rating redone.

Each test stores a run of the shipped agent scheme on its demo data (seed 2026, 2026-Q3), files
an appeal against it, and decides it through the command line. The correction produces a new
run version (measured again from the stored scheme on the recorded files), kept in one
transaction with the decision; the appealed run stays as it was.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.store.runs import RunStore
from stored_runs import appraise, cli

V1, V2, V3 = (f"after-sales-agent-2026-Q3-v{n}" for n in (1, 2, 3))


def stored(agent: Path, tmp_path: Path) -> Path:
    """The store holding one run of the agent scheme (folder `q3`)."""
    store = tmp_path / "runs.sqlite"
    done = appraise(agent, tmp_path / "q3", store)
    assert done.returncode == 0, done.stderr
    return store


def appeal(store: Path, tmp_path: Path, appraisee: str, indicator: str, against: str = V1) -> None:
    done = cli("appeal", "file", against, "-a", appraisee, "-i", indicator, "--reason", "wrong", "--store", str(store),
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def decide(store: Path, tmp_path: Path, number: int, *correction: str) -> subprocess.CompletedProcess[str]:
    return cli("appeal", "decide", str(number), "--accept", "--note", "checked in the CRM", "--by", "HR Li",
               *correction, "--no-report", "--json", "--store", str(store), cwd=tmp_path)


def tickets_of(agent: Path, appraisee: str, count: int) -> list[str]:
    """The first `count` of the appraisee's tickets created in 2026-Q3, by key."""
    rows = duckdb.sql(
        f"SELECT ticket_id FROM read_csv('{agent.parent / 'data' / 'agent' / 'tickets.csv'}') WHERE agent_id = $a"
        " AND created_at >= '2026-07-01' AND created_at < '2026-10-01' ORDER BY ticket_id LIMIT $n",
        params={"a": appraisee, "n": count}).fetchall()
    return [str(r[0]) for r in rows]


def cells(folder: Path, appraisee: str) -> dict[str, object]:
    table = pq.read_table(folder / "appraisees.parquet", use_threads=False).to_pylist()
    return next(row for row in table if row["appraisee"] == appraisee)


def column(result: dict[str, object], indicator: str) -> int:
    return [i["id"] for i in result["scheme"]["indicators"]].index(indicator)  # type: ignore[index]


def test_rows_left_out_make_a_new_version_and_the_appealed_run_stays(agent: Path, tmp_path: Path) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS001", "fcr")
    keys = tickets_of(agent, "CS001", 2)
    done = decide(store, tmp_path, 1, "--exclude-rows", ",".join(keys))
    assert done.returncode == 0, done.stderr
    said = json.loads(done.stdout)
    assert (said["outcome"], said["corrected_run"], said["compared_with"]) == ("accepted", V2, V1)
    corrected = Path(said["folder"])
    assert corrected == tmp_path / "q3-appeal-1"
    result = json.loads((corrected / "result.json").read_text(encoding="utf-8"))
    [entry] = result["corrections"]
    assert (entry["appeal"], entry["kind"], entry["rows"], entry["run"], entry["base"], entry["decided_by"]) == (
        1, "exclude_rows", keys, V1, V1, "HR Li")
    n, handled = column(result, "fcr"), column(result, "tickets_handled")
    before, after = cells(tmp_path / "q3", "CS001"), cells(corrected, "CS001")
    # the rows are gone from every indicator that reads them: two fewer tickets handled
    assert after[f"rows_{handled}"] == before[f"rows_{handled}"] - 2  # type: ignore[operator]
    assert after[f"value_{n}"] != before[f"value_{n}"]
    assert "corrected by appeal 1" in after[f"flags_{n}"]  # type: ignore[operator]
    [counted] = [q for q in result["quality"] if q["cause"] == "excluded: appeal 1 (fcr)"]
    assert counted["count"] == 2
    with RunStore(store) as runs:
        assert [(r.id, r.previous) for r in runs.runs()] == [(V1, None), (V2, V1)]
        assert runs.file(V1, "appraisees.parquet") == (tmp_path / "q3" / "appraisees.parquet").read_bytes()


def test_explain_shows_the_rows_of_a_corrected_version_without_the_rows_left_out(agent: Path, tmp_path: Path) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS001", "fcr")
    keys = tickets_of(agent, "CS001", 2)
    assert decide(store, tmp_path, 1, "--exclude-rows", ",".join(keys)).returncode == 0
    for folder, shown in (("q3", True), ("q3-appeal-1", False)):
        said = cli("explain", folder, "-a", "CS001", "-i", "tickets_handled", "--rows", "1000", cwd=tmp_path)
        assert said.returncode == 0, said.stderr
        assert all((key in said.stdout) == shown for key in keys), folder


def test_a_corrected_value_is_scored_and_the_version_is_reproduced_by_verify(agent: Path, tmp_path: Path) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS002", "fcr")
    done = decide(store, tmp_path, 1, "--value", "0.99")
    assert done.returncode == 0, done.stderr
    folder = Path(json.loads(done.stdout)["folder"])
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    n = column(result, "fcr")
    before, after = cells(tmp_path / "q3", "CS002"), cells(folder, "CS002")
    assert after[f"value_{n}"] == 0.99 and after[f"score_{n}"] != before[f"score_{n}"]
    assert after["total"] != before["total"]
    assert cells(folder, "CS003") == cells(tmp_path / "q3", "CS003")  # no one else's cell
    verified = cli("runs", "verify", V2, "--store", str(store), cwd=tmp_path)
    assert verified.returncode == 0 and "is reproduced" in verified.stdout, verified.stdout + verified.stderr


def test_a_rating_redone_replaces_the_raters_mean(agent: Path, tmp_path: Path) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS003", "qa_review")
    done = decide(store, tmp_path, 1, "--rating", "5")
    assert done.returncode == 0, done.stderr
    folder = Path(json.loads(done.stdout)["folder"])
    n = column(json.loads((folder / "result.json").read_text(encoding="utf-8")), "qa_review")
    assert cells(folder, "CS003")[f"value_{n}"] == 5.0


@pytest.mark.parametrize(("indicator", "correction", "message"), [
    ("qa_review", ["--rating", "9"], "the rating 9 is off qa_review's scale (1 to 5)"),
    ("fcr", ["--rating", "4"], "fcr is not rated"),
    ("qa_review", ["--value", "4"], "qa_review is rated: re-rate it (--rating)"),
    ("fcr", ["--exclude-rows", "TK999999"], "of the 1 rows named to exclude, 0 are CS003's rows of the run's period"),
    ("fcr", ["--exclude-rows", "TK100021"], "of the 1 rows named to exclude, 0 are CS003's rows"),  # CS001's ticket
    ("fcr", ["--value", "0.9", "--rating", "4"], "one correction per decision"),
], ids=["off the scale", "not rated", "rated", "no such row", "another's row", "two corrections"])
def test_a_correction_that_cannot_be_made_is_refused_and_nothing_is_kept(
    agent: Path, tmp_path: Path, indicator: str, correction: list[str], message: str
) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS003", indicator)
    done = decide(store, tmp_path, 1, *correction)
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "q3-appeal-1").exists()
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM appeal_decisions").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    listed = cli("appeal", "list", "--store", str(store), cwd=tmp_path).stdout
    assert " open " in listed  # still to be decided


def test_a_rejected_appeal_corrects_nothing(agent: Path, tmp_path: Path) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS003", "fcr")
    done = cli("appeal", "decide", "1", "--reject", "--note", "no", "--by", "hr", "--value", "1", "--store",
               str(store), cwd=tmp_path)
    assert done.returncode == 1 and "a rejected appeal corrects nothing" in done.stderr


def test_corrections_accumulate_and_each_version_carries_all_before_it(agent: Path, tmp_path: Path) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS002", "fcr")
    appeal(store, tmp_path, "CS003", "qa_review")
    assert decide(store, tmp_path, 1, "--value", "0.99").returncode == 0
    third = decide(store, tmp_path, 2, "--rating", "5")  # filed against v1, after v2 corrected it
    assert third.returncode == 0, third.stderr
    said = json.loads(third.stdout)
    assert (said["corrected_run"], said["compared_with"]) == (V3, V2)
    result = json.loads((Path(said["folder"]) / "result.json").read_text(encoding="utf-8"))
    assert [c["appeal"] for c in result["corrections"]] == [1, 2]
    assert cells(Path(said["folder"]), "CS002")[f"value_{column(result, 'fcr')}"] == 0.99
    diff = cli("runs", "diff", V1, V3, "--store", str(store), cwd=tmp_path).stdout
    assert "the corrections of appeals changed" in diff and "corrected in the second run only: appeal 1, 2" in diff
    assert "not reproducible" not in diff


def test_corrections_apply_in_the_order_they_were_decided(agent: Path, tmp_path: Path) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS002", "fcr")
    appeal(store, tmp_path, "CS002", "fcr")
    assert decide(store, tmp_path, 2, "--value", "0.8").returncode == 0
    last = decide(store, tmp_path, 1, "--value", "0.9")  # decided after appeal 2: its value stands
    assert last.returncode == 0, last.stderr
    folder = Path(json.loads(last.stdout)["folder"])
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    assert [c["appeal"] for c in result["corrections"]] == [2, 1]
    assert cells(folder, "CS002")[f"value_{column(result, 'fcr')}"] == 0.9


def test_a_correction_that_changes_nothing_is_refused(agent: Path, tmp_path: Path) -> None:
    store = stored(agent, tmp_path)
    keys = ",".join(tickets_of(agent, "CS001", 2))
    appeal(store, tmp_path, "CS001", "fcr")
    appeal(store, tmp_path, "CS001", "fcr")
    assert decide(store, tmp_path, 1, "--exclude-rows", keys).returncode == 0
    again = decide(store, tmp_path, 2, "--exclude-rows", keys)  # the same rows, left out already
    assert again.returncode == 1
    assert "appeal 2: the correction changes nothing in fcr of CS001" in again.stderr, again.stderr
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (2,)


def test_a_correction_is_a_decision_final_like_any_other(agent: Path, tmp_path: Path) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS002", "fcr")
    assert decide(store, tmp_path, 1, "--value", "0.99").returncode == 0
    again = decide(store, tmp_path, 1, "--value", "0.5")
    assert again.returncode == 1 and "a decision is final" in again.stderr
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (2,)


def test_a_correction_on_data_changed_since_the_run_names_the_file_and_keeps_nothing(
    agent: Path, tmp_path: Path
) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS002", "fcr")
    ratings = tmp_path / "data" / "agent" / "ratings.csv"
    ratings.write_text(ratings.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    done = decide(store, tmp_path, 1, "--value", "0.99")
    assert done.returncode == 1 and f"cannot correct {V1}: its data changed since it ran: {ratings}" in done.stderr
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM appeal_decisions").fetchone() == (0,)


def test_the_decision_its_correction_and_the_version_are_audited_and_check_holds_them_together(
    agent: Path, tmp_path: Path
) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS002", "fcr")
    assert decide(store, tmp_path, 1, "--value", "0.99").returncode == 0
    log = json.loads(cli("audit", "--json", "--store", str(store), cwd=tmp_path).stdout)["entries"]
    assert [e["action"] for e in log] == ["run", "appeal", "run", "decide"]
    assert log[3]["detail"]["corrected_run"] == V2 and json.loads(log[3]["detail"]["correction"])["value"] == 0.99
    assert cli("store", "check", "--store", str(store), cwd=tmp_path).returncode == 0
    with sqlite3.connect(store) as db:  # a correction pointed at another run behind appraisal's back
        db.execute("DROP TRIGGER appeal_corrections_UPDATE_refused")
        db.execute("UPDATE appeal_corrections SET run = ?", (V1,))
    checked = cli("store", "check", "--store", str(store), cwd=tmp_path)
    assert checked.returncode == 1
    assert f"the corrected version record {V2!r} of the audit log is gone" in checked.stderr


def test_the_scorecard_shows_the_corrected_cell_the_decision_and_the_run_it_corrects(
    agent: Path, tmp_path: Path
) -> None:
    store = stored(agent, tmp_path)
    appeal(store, tmp_path, "CS002", "fcr")
    done = cli("appeal", "decide", "1", "--accept", "--note", "the survey was lost", "--by", "HR Li", "--value",
               "0.99", "--lang", "zh", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = tmp_path / "q3-appeal-1" / "report"
    card = (report / "scorecards" / "CS002.md").read_text(encoding="utf-8")
    assert "## 申诉后更正" in card and f"本结果是运行 {V1} 的更正版本" in card
    assert "| 1 | 一次解决率 | 实际值更正为 99.0% | HR Li | the survey was lost |" in card or (
        "| 1 |" in card and "实际值更正为" in card and "the survey was lost" in card)
    assert "✎ 已更正 (申诉 1)" in card
    other = (report / "scorecards" / "CS003.md").read_text(encoding="utf-8")
    assert "申诉" not in other and "CS002" not in other  # another appraisee's appeal is not on their page
    summary = (report / "index.md").read_text(encoding="utf-8")
    assert "## 申诉后更正" in summary and "CS002" in summary


def test_the_python_reference_and_the_engine_apply_corrections_alike(agent: Path) -> None:
    scheme = load_scheme(agent)
    corrections = [{"appeal": 1, "appraisee": "CS001", "indicator": "fcr", "kind": "exclude_rows",
                    "rows": tickets_of(agent, "CS001", 3)},
                   {"appeal": 2, "appraisee": "CS002", "indicator": "csat", "kind": "value", "value": 4.9},
                   {"appeal": 3, "appraisee": "CS003", "indicator": "qa_review", "kind": "rating", "value": 1}]
    tables = agent.parent / "tables"
    tables.mkdir()
    in_engine = run(scheme, parse_period("2026-Q3"), corrections=corrections, tables=tables)
    in_python = run(scheme, parse_period("2026-Q3"), corrections=corrections)
    for someone in ("CS001", "CS002", "CS003", "CS004"):
        a, b = in_engine.appraisee(someone), in_python.appraisee(someone)
        assert (a.total, a.grade) == (b.total, b.grade)
        assert [(c.value, c.rows, c.flags) for c in a.cells] == [(c.value, c.rows, c.flags) for c in b.cells]


def test_a_store_of_the_first_format_is_upgraded_when_opened_and_keeps_its_runs(agent: Path, tmp_path: Path) -> None:
    store = stored(agent, tmp_path)
    with sqlite3.connect(store) as db:  # as appraisal wrote it before appeals could correct a run
        db.execute("DROP TABLE appeal_corrections")
        db.execute("PRAGMA user_version = 1")
    with RunStore(store) as runs:
        assert [r.id for r in runs.runs()] == [V1]
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
        assert db.execute("SELECT count(*) FROM appeal_corrections").fetchone() == (0,)
    assert cli("store", "check", "--store", str(store), cwd=tmp_path).returncode == 0


def test_decisions_killed_at_random_moments_leave_the_decision_and_its_version_together_or_neither(
    agent: Path, tmp_path: Path
) -> None:
    """Fifty `appeal decide --accept --value` processes killed (SIGKILL) at random moments: each
    appeal is either decided with its correction and its stored version, or still open with
    neither; the store stays whole (integrity, hashes, audit chain)."""
    store = stored(agent, tmp_path)
    chance = random.Random(2026)
    for n in range(1, 51):
        appeal(store, tmp_path, f"CS{n % 50 + 1:03d}", "fcr")
    for n in range(1, 51):
        proc = subprocess.Popen([sys.executable, "-m", "appraisal", "appeal", "decide", str(n), "--accept", "--note",
                                 "ok", "--by", "hr", "--value", "0.9", "--no-report", "-o", str(tmp_path / f"c{n}"),
                                 "--store", str(store)], cwd=tmp_path, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.2, 2.2))  # start-up, measuring again, writing the folder, storing
        proc.kill()
        proc.wait()
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        decided = {row[0] for row in db.execute("SELECT appeal FROM appeal_decisions")}
        corrected = dict(db.execute("SELECT appeal, run FROM appeal_corrections").fetchall())
        versions = [row[0] for row in db.execute("SELECT version FROM runs ORDER BY version")]
    assert decided == set(corrected)  # never a decision without its correction, or the reverse
    assert versions == list(range(1, len(decided) + 2))
    checked = cli("store", "check", "--store", str(store), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with RunStore(store) as runs:
        for number, run_id in corrected.items():
            kept = runs.get(run_id)
            assert runs.file(run_id, "appraisees.parquet") == (Path(kept.folder) / "appraisees.parquet").read_bytes()
            assert Path(kept.folder) == tmp_path / f"c{number}"
    assert 0 < len(decided) < 50  # some finished before their kill, some did not
