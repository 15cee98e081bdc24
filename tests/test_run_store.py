"""The run store: every `appraisal run` kept whole and immutable in SQLite, re-runs as versions, diffs.

Each test runs the shipped agent scheme on its demo data (seed 2026, 2026-Q3) through the command
line, with a store file of its own (`--store`).
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from appraisal.demo.builtin import generate
from appraisal.errors import AppraisalError
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.results.storing import write_run
from appraisal.shipped import shipped_scheme
from appraisal.store.runs import KEPT, RunStore
from stored_runs import appraise, appraise_twice_at_once, cli

ROOT = Path(__file__).resolve().parent.parent


def test_a_run_is_kept_with_its_files_its_schemes_text_and_hashes(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    done = appraise(agent, tmp_path / "q3", store)
    assert done.returncode == 0, done.stderr
    assert f"stored as after-sales-agent-2026-Q3-v1: {store}" in done.stdout
    with RunStore(store) as runs:
        [run] = runs.runs()
        assert (run.id, run.version, run.previous, run.period, run.appraisees) == (
            "after-sales-agent-2026-Q3-v1", 1, None, "2026-Q3", 50)
        assert runs.scheme_text(run) == agent.read_text(encoding="utf-8")
        result = json.loads(runs.file(run.id, "result.json"))
        assert run.scheme_sha256 == result["provenance"]["scheme_sha256"]
        assert run.data_sha256 == result["provenance"]["data_sha256"]
        for name in runs.files(run.id):
            assert runs.file(run.id, name) == (tmp_path / "q3" / name).read_bytes(), name
        assert set(runs.files(run.id)) == {n for n in KEPT if (tmp_path / "q3" / n).exists()}


def test_running_again_makes_a_new_version_linked_to_the_one_before(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    for out in ("first", "second"):
        assert appraise(agent, tmp_path / out, store).returncode == 0
    with RunStore(store) as runs:
        first, second = runs.runs()
        assert (second.version, second.previous) == (2, first.id)
        assert first.folder == str((tmp_path / "first").resolve())


def test_a_stored_run_cannot_be_changed_through_sqlite(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "q3", store)
    with sqlite3.connect(store) as db:
        for statement in ("UPDATE runs SET appraisees = 49", "DELETE FROM files", "DELETE FROM scheme_texts"):
            with pytest.raises(sqlite3.IntegrityError, match="stored runs are evidence"):
                db.execute(statement)


@pytest.mark.parametrize("content", ["not a database\n", "sqlite"], ids=["text", "another program's SQLite"])
def test_a_file_that_is_not_a_run_store_is_refused_before_the_run_and_left_as_it_was(
    agent: Path, tmp_path: Path, content: str
) -> None:
    store = tmp_path / "runs.sqlite"
    if content == "sqlite":
        with sqlite3.connect(store) as db:
            db.execute("CREATE TABLE invoices (n INTEGER)")
    else:
        store.write_text(content, encoding="utf-8")
    before = store.read_bytes()
    done = appraise(agent, tmp_path / "q3", store)
    assert done.returncode == 1
    assert "not an appraisal run store" in done.stderr and "it was not changed" in done.stderr
    assert "Traceback" not in done.stderr
    assert store.read_bytes() == before
    assert not (tmp_path / "q3").exists()


def test_no_store_keeps_nothing(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    done = appraise(agent, tmp_path / "q3", store, "--no-store")
    assert done.returncode == 0 and "stored as" not in done.stdout
    assert not store.exists()


def test_a_store_that_does_not_take_the_run_leaves_no_folder(agent: Path, tmp_path: Path) -> None:
    """The run folder and the store never disagree: a record that fails after the folder took
    its name (a full disk at commit) takes the folder away again."""
    result = run(load_scheme(agent), parse_period("2026-Q3"))

    def commit() -> None:
        assert published_now.exists()  # the folder has its name when the store commits
        raise AppraisalError("cannot store the run: database or disk is full")

    published_now = tmp_path / "q3"

    @contextmanager
    def failing(folder: Path, published: Path):  # type: ignore[no-untyped-def]
        yield commit

    with pytest.raises(AppraisalError, match="disk is full"):
        write_run(result, tmp_path / "q3", record=failing)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent.yaml", "data"]


def test_two_runs_storing_at_once_both_land(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise_twice_at_once(agent, store)
    with RunStore(store) as runs:
        assert sorted(r.version for r in runs.runs()) == [1, 2]


def test_runs_diff_names_who_changed_grade_and_that_the_scheme_changed(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "before", store)
    text = agent.read_text(encoding="utf-8")
    assert "target: 0.90\n" in text  # the resolution rate's
    agent.write_text(text.replace("target: 0.90\n", "target: 0.99\n", 1), encoding="utf-8")
    appraise(agent, tmp_path / "after", store)
    done = cli("runs", "diff", "after-sales-agent-2026-Q3-v1", "after-sales-agent-2026-Q3-v2", "--store", str(store),
               "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert (found["scheme_changed"], found["data_changed"], found["period_changed"]) == (True, False, False)
    moved = {i["indicator"]: i for i in found["indicators"] if i["scores_changed"]}
    assert list(moved) == ["resolution_rate"] and moved["resolution_rate"]["values_changed"] == 0
    assert found["grade_moves"] and all(m["total_after"] < m["total_before"] for m in found["grade_moves"])
    text_diff = cli("runs", "diff", "after-sales-agent-2026-Q3-v1", "after-sales-agent-2026-Q3-v2", "--store",
                    str(store), cwd=tmp_path).stdout
    assert text_diff.splitlines()[0].endswith(": the scheme changed")
    assert f"{len(found['grade_moves'])} changed grade:" in text_diff
    assert found["totals_changed"] >= len(found["grade_moves"]) and found["pay_changed"] > 0
    assert f"totals changed for {found['totals_changed']}, pay for {found['pay_changed']}" in text_diff


def test_runs_whose_rows_live_in_a_database_are_not_called_the_same_data(agent: Path, tmp_path: Path) -> None:
    """The fingerprint names a database's tables but cannot hash their rows: a diff says the
    data's change is unknown, and never calls a difference irreproducible."""
    tables = tmp_path / "tables"
    tables.mkdir()
    result = run(load_scheme(agent), parse_period("2026-Q3"), tables=tables)  # scored in the engine, as the CLI does
    with RunStore(tmp_path / "runs.sqlite", create=True) as runs:
        for out in ("a", "b"):
            write_run(result, tmp_path / out, tables=tables, record=lambda folder, published: runs.recording(
                folder, published, scheme_text=agent.read_text(encoding="utf-8"), data_hashed=False))
    done = cli("runs", "diff", "after-sales-agent-2026-Q3-v1", "after-sales-agent-2026-Q3-v2", "--store",
               str(tmp_path / "runs.sqlite"), cwd=tmp_path)
    assert done.stdout.splitlines()[0].endswith(
        "same scheme, data in a database (not hashed: whether it changed is unknown), same period")
    assert json.loads(cli("runs", "diff", "after-sales-agent-2026-Q3-v1", "after-sales-agent-2026-Q3-v2", "--json",
                          "--store", str(tmp_path / "runs.sqlite"), cwd=tmp_path).stdout)["data_changed"] is None
    verified = cli("runs", "verify", "after-sales-agent-2026-Q3-v1", "--store", str(tmp_path / "runs.sqlite"),
                   cwd=tmp_path)
    assert verified.returncode == 1 and "its rows live in a database" in verified.stderr


def test_the_same_scheme_on_the_same_data_moves_no_one(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "a", store)
    appraise(agent, tmp_path / "b", store)
    done = cli("runs", "diff", "after-sales-agent-2026-Q3-v1", "after-sales-agent-2026-Q3-v2", "--store", str(store),
               cwd=tmp_path)
    assert done.stdout.splitlines() == [
        "after-sales-agent-2026-Q3-v1 -> after-sales-agent-2026-Q3-v2: same scheme, same data, same period",
        "no one changed grade", "no indicator moved"]


def test_runs_list_and_show(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "q3", store)
    listed = cli("runs", "list", "--store", str(store), cwd=tmp_path).stdout.splitlines()
    assert listed[0].split() == ["RUN", "VERSION", "AFTER", "CREATED", "ENGINE", "APPRAISEES"]
    assert listed[1].split()[:3] == ["after-sales-agent-2026-Q3-v1", "1", "-"]
    shown = json.loads(cli("runs", "show", "after-sales-agent-2026-Q3-v1", "--store", str(store), "--json",
                           cwd=tmp_path).stdout)
    assert sum(g["appraisees"] for g in shown["grades"]) == 49  # one has too little data for a grade
    assert "appraisees.parquet" in shown["files"]


def test_an_unknown_run_is_named_with_the_closest_stored_one(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "q3", store)
    done = cli("runs", "show", "after-sales-agent-2026-Q3-v9", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1
    assert "did you mean 'after-sales-agent-2026-Q3-v1'?" in done.stderr


def test_runs_without_a_store_says_where_it_looked(tmp_path: Path) -> None:
    done = cli("runs", "list", "--store", str(tmp_path / "none.sqlite"), cwd=tmp_path)
    assert done.returncode == 1
    assert f"no run store at {tmp_path / 'none.sqlite'}" in done.stderr


def test_the_run_store_guides_example_runs_as_shown(tmp_path: Path) -> None:
    guide = (ROOT / "docs" / "runs.md").read_text(encoding="utf-8")
    example, review_example, appeal_example, calibrate_example, audit_example, _in_postgres = re.findall(
        r"```sh\n(.*?)```", guide, flags=re.S)
    (tmp_path / "crm-export.txt").write_text("ticket TK120728 belongs to customer C-88", encoding="utf-8")
    (tmp_path / "schemes").mkdir()
    (tmp_path / "schemes" / "agent.yaml").write_bytes(shipped_scheme("agent").read_bytes())
    generate(tmp_path / "schemes" / "data" / "agent", role="agent")
    env = {k: v for k, v in os.environ.items() if k != "APPRAISAL_STORE"}  # the working folder's store
    commands = [line for line in example.splitlines() if line.startswith("appraisal ")]
    shown = [line[2:] for line in example.splitlines() if line.startswith("# ")]
    first = subprocess.run([sys.executable, "-m", "appraisal", *commands[0].split()[1:], "--no-report"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert first.stdout.splitlines()[-2:] == shown
    subprocess.run([sys.executable, "-m", "appraisal", *commands[0].split()[1:-1], "q3-again", "--no-report"],
                   capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300, check=True)
    audits = [line.split("#")[0].strip() for line in audit_example.splitlines()]
    appeals = appeal_example.strip().splitlines()
    for command in [*commands[1:], review_example.strip(), *appeals, calibrate_example.strip(), *audits]:
        done = subprocess.run([sys.executable, "-m", "appraisal", *shlex.split(command)[1:]], capture_output=True,
                              text=True, cwd=tmp_path, env=env, timeout=300)
        assert done.returncode == 0, (command, done.stderr)
    assert (tmp_path / "audit.csv").is_file() and (tmp_path / "review.md").is_file()


def test_a_run_folder_is_written_again_from_the_store_byte_for_byte(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    assert appraise(agent, tmp_path / "q3", store).returncode == 0
    done = cli("runs", "export", "after-sales-agent-2026-Q3-v1", "-o", str(tmp_path / "again"), "--store", str(store),
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    original = sorted(p.name for p in (tmp_path / "q3").iterdir())
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == original
    for name in original:
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "q3" / name).read_bytes(), name
    again = cli("runs", "export", "after-sales-agent-2026-Q3-v1", "-o", str(tmp_path / "again"), "--store",
                str(store), cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_verify_reproduces_a_stored_run_bit_for_bit(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "q3", store, "--groups", "team,roster")
    done = cli("runs", "verify", "after-sales-agent-2026-Q3-v1", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("after-sales-agent-2026-Q3-v1 is reproduced: the stored scheme on the same data gives "
                           "every number again, bit for bit\n")


def test_verify_runs_the_stored_scheme_text_when_the_file_was_edited_since(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "q3", store)
    agent.write_text(agent.read_text(encoding="utf-8").replace("target: 0.90\n", "target: 0.99\n", 1), encoding="utf-8")
    done = cli("runs", "verify", "after-sales-agent-2026-Q3-v1", "--store", str(store), "--json", cwd=tmp_path)
    assert json.loads(done.stdout) == {"run": "after-sales-agent-2026-Q3-v1", "identical": True, "differences": [],
                                       "engine": "duckdb"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent.yaml", "data", "q3", "runs.sqlite"]


def test_verify_names_a_data_file_changed_since_and_does_not_use_it(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "q3", store)
    surveys = tmp_path / "data" / "agent" / "surveys.csv"
    surveys.write_text(surveys.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    done = cli("runs", "verify", "after-sales-agent-2026-Q3-v1", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1
    assert f"its data changed since it ran: {surveys} changed (SHA-256" in done.stderr


def test_differences_name_each_column_that_differs_and_by_how_many(agent: Path, tmp_path: Path) -> None:
    from appraisal.store.verifying import differences

    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "q3", store)
    fresh = tmp_path / "again"
    fresh.mkdir()
    for name in ("result.json", "totals.csv", "quality.csv"):
        (fresh / name).write_bytes((tmp_path / "q3" / name).read_bytes())
    import duckdb

    with duckdb.connect() as con:  # one score a bit off, as a changed computation would give
        con.execute("COPY (SELECT * REPLACE (CASE WHEN appraisee = 'CS001' THEN score_0 + 1e-9 ELSE score_0 END"
                    " AS score_0) FROM read_parquet($a)) TO $b (FORMAT parquet)",
                    {"a": str(tmp_path / "q3" / "appraisees.parquet"), "b": str(fresh / "appraisees.parquet")})
    with RunStore(store) as runs:
        [run] = runs.runs()
        assert differences(runs, run, fresh) == ["score_0: differs for 1 of 50 appraisees"]


def test_each_data_file_is_in_the_provenance_but_not_on_the_pages(agent: Path, tmp_path: Path) -> None:
    from appraisal.rendering.pages import shown_provenance

    appraise(agent, tmp_path / "q3", tmp_path / "runs.sqlite")
    provenance = json.loads((tmp_path / "q3" / "result.json").read_text(encoding="utf-8"))["provenance"]
    assert {Path(f["file"]).name for f in provenance["data_files"]} >= {"tickets.csv", "surveys.csv", "roster.csv"}
    assert "data_files" not in shown_provenance(provenance)


def test_runs_killed_at_random_moments_leave_a_consistent_store_with_no_partial_record(tmp_path: Path) -> None:
    """Fifty runs killed (SIGKILL: no handler runs) at random moments of their run, storing into
    one store: every stored run is whole (each file matching its SHA-256, its folder complete),
    versions count up without a gap, and SQLite finds nothing wrong with the file."""
    scheme = tmp_path / "designer.yaml"
    scheme.write_bytes(shipped_scheme("designer").read_bytes())
    generate(tmp_path / "data" / "designer", role="designer")
    store = tmp_path / "runs.sqlite"
    appraise(scheme, tmp_path / "first", store)  # the store exists, and one run is in it
    chance = random.Random(2026)
    for n in range(50):
        proc = subprocess.Popen([sys.executable, "-m", "appraisal", "run", str(scheme), "-p", "2026-Q3", "-o",
                                 str(tmp_path / f"run{n}"), "--no-report", "--store", str(store)], cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.3, 1.6))  # start-up, reading, scoring, writing the folder, storing
        proc.kill()
        proc.wait()
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with RunStore(store) as runs:
        stored = runs.runs()
        assert [r.version for r in stored] == list(range(1, len(stored) + 1))
        for run in stored:
            assert set(runs.files(run.id)) == {"result.json", "appraisees.parquet", "totals.csv", "quality.csv",
                                               "queries.sql"}
            for name in runs.files(run.id):
                assert runs.file(run.id, name) == (Path(run.folder) / name).read_bytes()
    assert len(stored) >= 2  # some runs finished before their kill


def test_a_backup_restored_holds_every_run_as_stored(agent: Path, tmp_path: Path) -> None:
    store, copy, restored = tmp_path / "runs.sqlite", tmp_path / "backup.sqlite", tmp_path / "restored.sqlite"
    appraise(agent, tmp_path / "a", store)
    appraise(agent, tmp_path / "b", store)
    assert cli("store", "backup", str(copy), "--store", str(store), cwd=tmp_path).stdout == (
        f"backed up 2 runs of {store} to {copy}\n")
    done = cli("store", "restore", str(copy), "--store", str(restored), cwd=tmp_path)
    assert done.stdout == f"restored 2 runs from {copy} to {restored}\n"
    with RunStore(store) as before, RunStore(restored) as after:
        assert after.runs() == before.runs()
        for run in before.runs():
            assert [after.file(run.id, n) for n in after.files(run.id)] == [
                before.file(run.id, n) for n in before.files(run.id)]


def test_neither_a_backup_nor_a_restore_overwrites_a_file(agent: Path, tmp_path: Path) -> None:
    store, other = tmp_path / "runs.sqlite", tmp_path / "other.sqlite"
    appraise(agent, tmp_path / "a", store)
    other.write_text("keep me", encoding="utf-8")
    refused = cli("store", "backup", str(other), "--store", str(store), cwd=tmp_path)
    assert refused.returncode == 1 and "never overwrites" in refused.stderr
    refused = cli("store", "restore", str(store), "--store", str(other), cwd=tmp_path)
    assert refused.returncode == 1 and "never overwrites" in refused.stderr
    assert other.read_text(encoding="utf-8") == "keep me"


def test_a_byte_changed_inside_a_kept_file_is_found_by_check(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "a", store)
    assert cli("store", "check", "--store", str(store), cwd=tmp_path).stdout == (
        f"ok: {store} (1 run, every file matching its SHA-256)\n")
    data = bytearray(store.read_bytes())
    at = data.index(b'"appraisal-result/2"')  # inside the kept result.json, not in SQLite's own structures
    data[at + 1] ^= 0x20
    store.write_bytes(bytes(data))
    done = cli("store", "check", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1
    assert "the result.json of run 'after-sales-agent-2026-Q3-v1'" in done.stderr
    assert "does not match its recorded SHA-256" in done.stderr
    shown = cli("runs", "show", "after-sales-agent-2026-Q3-v1", "--store", str(store), cwd=tmp_path)
    assert shown.returncode == 1 and "Traceback" not in shown.stderr


def test_a_store_damaged_past_reading_is_a_message_not_a_traceback(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "a", store)
    data = bytearray(store.read_bytes())
    page = 4096
    data[page:3 * page] = bytes(2 * page)  # the first tables' pages zeroed: the header still says SQLite
    store.write_bytes(bytes(data))
    for args in (["runs", "list"], ["store", "check"]):
        done = cli(*args, "--store", str(store), cwd=tmp_path)
        assert done.returncode == 1, args
        assert "Traceback" not in done.stderr and str(store) in done.stderr + done.stdout
    again = appraise(agent, tmp_path / "b", store)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert not (tmp_path / "b").exists()


# --- the audit log ------------------------------------------------------------------------------


def test_every_run_is_in_the_audit_log_with_who_ran_it(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    subprocess.run([sys.executable, "-m", "appraisal", "run", str(agent), "-p", "2026-Q3", "-o", str(tmp_path / "a"),
                    "--no-report", "--store", str(store)], env={**os.environ, "APPRAISAL_ACTOR": "hr.li"},
                   capture_output=True, timeout=300, check=True, cwd=tmp_path)
    found = json.loads(cli("audit", "--store", str(store), "--json", cwd=tmp_path).stdout)
    assert found["intact"] is True
    [entry] = found["entries"]
    assert (entry["seq"], entry["actor"], entry["action"], entry["run"]) == (1, "hr.li", "run",
                                                                            "after-sales-agent-2026-Q3-v1")
    assert entry["previous"] == "0" * 64 and entry["detail"]["period"] == "2026-Q3"


def test_the_audit_log_refuses_an_update_or_a_delete(agent: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "a", store)
    with sqlite3.connect(store) as db:
        for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)


@pytest.mark.parametrize(("tamper", "named"), [
    ("UPDATE audit SET actor = 'someone else' WHERE seq = 1", "audit entry 1 was changed after it was written"),
    ("DELETE FROM audit WHERE seq = 1", "audit entry 1 is missing"),
    ("DELETE FROM audit WHERE seq = 2", "run 'after-sales-agent-2026-Q3-v2' has no audit entry"),
], ids=["edited", "first removed", "last removed"])
def test_an_audit_log_changed_behind_sqlites_back_is_named(agent: Path, tmp_path: Path, tamper: str,
                                                           named: str) -> None:
    store = tmp_path / "runs.sqlite"
    appraise(agent, tmp_path / "a", store)
    appraise(agent, tmp_path / "b", store)
    with sqlite3.connect(store) as db:  # as someone with the file and the sqlite3 shell would
        db.execute("DROP TRIGGER audit_UPDATE_refused")
        db.execute("DROP TRIGGER audit_DELETE_refused")
        db.execute(tamper)
    done = cli("audit", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1
    assert f"the audit log was changed: {named}" in done.stderr
    assert named in cli("store", "check", "--store", str(store), cwd=tmp_path).stderr


def test_audit_since_and_the_csv_export(agent: Path, tmp_path: Path) -> None:
    store, csv = tmp_path / "runs.sqlite", tmp_path / "audit.csv"
    appraise(agent, tmp_path / "a", store)
    assert cli("audit", "--since", "2999-01-01", "--store", str(store), cwd=tmp_path).stdout.startswith("head of")
    assert "after-sales-agent-2026-Q3-v1" in cli("audit", "--since", "2020-01-01T08:00+08:00", "--store", str(store),
                                                 cwd=tmp_path).stdout
    assert cli("audit", "--csv", str(csv), "--store", str(store), cwd=tmp_path).returncode == 0
    header, row = csv.read_text(encoding="utf-8").splitlines()
    assert header == "seq,at,actor,action,run,appraisee,detail,previous,hash"
    assert row.startswith("1,") and ",run,after-sales-agent-2026-Q3-v1," in row
    again = cli("audit", "--csv", str(csv), "--store", str(store), cwd=tmp_path)
    assert again.returncode == 1 and "never overwritten" in again.stderr
    bad = cli("audit", "--since", "last week", "--store", str(store), cwd=tmp_path)
    assert bad.returncode == 1 and "is not a date or time" in bad.stderr


def test_a_scheme_that_extends_another_and_starts_with_a_byte_order_mark_is_stored(agent: Path,
                                                                                  tmp_path: Path) -> None:
    """The store keeps the text a run read: Windows Notepad's BOM and a base scheme (whose digest
    the run's combines with its own) are no reason to refuse it."""
    child = tmp_path / "north.yaml"
    text = "extends: agent.yaml\nscheme: north-agent\ntitle: North team agents\n"
    child.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    done = appraise(child, tmp_path / "q3", tmp_path / "runs.sqlite")
    assert done.returncode == 0, done.stderr
    with RunStore(tmp_path / "runs.sqlite") as runs:
        [run] = runs.runs()
        assert run.scheme == "north-agent" and runs.scheme_text(run) == text
    verified = cli("runs", "verify", run.id, "--store", str(tmp_path / "runs.sqlite"), cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_verify_names_a_base_scheme_changed_since_the_run(agent: Path, tmp_path: Path) -> None:
    child = tmp_path / "north.yaml"
    child.write_text("extends: agent.yaml\nscheme: north-agent\n", encoding="utf-8")
    assert appraise(child, tmp_path / "q3", tmp_path / "runs.sqlite").returncode == 0
    agent.write_text(agent.read_text(encoding="utf-8") + "# edited after the run\n", encoding="utf-8")
    verified = cli("runs", "verify", "north-agent-2026-Q3-v1", "--store", str(tmp_path / "runs.sqlite"), cwd=tmp_path)
    assert verified.returncode == 1
    assert "cannot verify north-agent-2026-Q3-v1: a scheme it extends changed since it ran" in verified.stderr


# --- calibration decisions ----------------------------------------------------------------------


def calibrated(agent: Path, tmp_path: Path) -> Path:
    """A stored run of the agent scheme, its store's path."""
    store = tmp_path / "runs.sqlite"
    assert appraise(agent, tmp_path / "q3", store).returncode == 0
    return store


def test_a_calibration_moves_a_grade_with_its_reason_and_who_decided_and_keeps_the_computed_one(
    agent: Path, tmp_path: Path
) -> None:
    from appraisal.store.calibration import computed_grades, decisions, final_grades

    store = calibrated(agent, tmp_path)
    with RunStore(store) as runs:
        [run] = runs.runs()
        someone = min(a for a, g in computed_grades(runs, run).items() if g == "S")
    done = cli("calibrate", run.id, "-a", someone, "-g", "A", "--reason", "over the S quota", "--by", "committee",
               "--store", str(store), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    decision = json.loads(done.stdout)
    assert (decision["before"], decision["after"], decision["reason"], decision["decided_by"]) == (
        "S", "A", "over the S quota", "committee")
    shares = {row["grade"]: row for row in decision["distribution"]}
    assert shares["S"]["after"] == shares["S"]["before"] - 1 and shares["A"]["after"] == shares["A"]["before"] + 1
    assert shares["S"]["target_share"] == 0.1
    with RunStore(store) as runs:
        assert computed_grades(runs, run)[someone] == "S"  # the run as computed stays
        assert final_grades(runs, run)[someone] == "A"
        assert [d.after for d in decisions(runs, run.id)] == ["A"]
    entries = json.loads(cli("audit", "--appraisee", someone, "--json", "--store", str(store), cwd=tmp_path).stdout)
    [entry] = entries["entries"]
    assert (entry["action"], entry["actor"], entry["detail"]) == (
        "calibrate", "committee", {"calibration": 1, "before": "S", "after": "A", "reason": "over the S quota"})


@pytest.mark.parametrize(("args", "message"), [
    (["-a", "CS001", "-g", "A", "--reason", " ", "--by", "hr"], "a calibration needs its reason"),
    (["-a", "CS001", "-g", "A", "--reason", "why", "--by", " "], "a calibration needs who decided"),
    (["-a", "CS001", "-g", "Q", "--reason", "why", "--by", "hr"], "grade 'Q' is not one of run"),
    (["-a", "CS0011", "-g", "A", "--reason", "why", "--by", "hr"], "no appraisee 'CS0011' in run"),
], ids=["no reason", "no one", "unknown grade", "unknown appraisee"])
def test_a_calibration_without_what_it_needs_is_refused_and_nothing_is_kept(
    agent: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    store = calibrated(agent, tmp_path)
    done = cli("calibrate", "after-sales-agent-2026-Q3-v1", *args, "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1 and message in done.stderr
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM calibrations").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM audit").fetchone() == (1,)  # the run's own


def test_calibrating_a_version_that_a_later_one_superseded_is_warned(agent: Path, tmp_path: Path) -> None:
    store = calibrated(agent, tmp_path)
    assert appraise(agent, tmp_path / "again", store).returncode == 0
    done = cli("calibrate", "after-sales-agent-2026-Q3-v1", "-a", "CS001", "-g", "A", "--reason", "why", "--by", "hr",
               "--store", str(store), cwd=tmp_path)
    assert done.returncode == 0
    assert ("warning: after-sales-agent-2026-Q3-v1 is not the latest version of after-sales-agent for 2026-Q3 "
            "(after-sales-agent-2026-Q3-v2 is); the decision stays with after-sales-agent-2026-Q3-v1") in done.stderr


def test_a_later_decision_supersedes_and_both_stay_unchangeable(agent: Path, tmp_path: Path) -> None:
    from appraisal.store.calibration import computed_grades, decisions, final_grades

    store = calibrated(agent, tmp_path)
    with RunStore(store) as runs:
        [run] = runs.runs()
        one, other = [g for g in ("S", "A", "B", "C", "D") if g != computed_grades(runs, run)["CS001"]][:2]
    for grade in (one, other):
        done = cli("calibrate", "after-sales-agent-2026-Q3-v1", "-a", "CS001", "-g", grade, "--reason", f"to {grade}",
                   "--by", "hr", "--store", str(store), cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    with RunStore(store) as runs:
        first, second = decisions(runs, run.id)
        assert (first.after, second.before, second.after) == (one, one, other)
        assert final_grades(runs, run)["CS001"] == other
    with sqlite3.connect(store) as db:
        for statement in ("UPDATE calibrations SET after = 'S'", "DELETE FROM calibrations"):
            with pytest.raises(sqlite3.IntegrityError, match="calibration decisions are evidence"):
                db.execute(statement)
    shown = cli("runs", "show", run.id, "--store", str(store), cwd=tmp_path).stdout
    assert f"CS001: {one} -> {other} by hr" in shown


# --- appeals (申诉) ---------------------------------------------------------------------------------


def test_an_appeal_is_filed_with_its_evidence_listed_decided_once_and_audited(agent: Path, tmp_path: Path) -> None:
    from appraisal.store.appeals import appeals, evidence

    store = calibrated(agent, tmp_path)
    proof = tmp_path / "crm-export.txt"
    proof.write_text("ticket TK120728 belongs to customer C-88", encoding="utf-8")
    filed = cli("appeal", "file", "after-sales-agent-2026-Q3-v1", "-a", "CS012", "-i", "fcr", "--reason",
                "the repeat was another customer's", "--evidence", str(proof), "--by", "CS012", "--json",
                "--store", str(store), cwd=tmp_path)
    assert filed.returncode == 0, filed.stderr
    appeal = json.loads(filed.stdout)
    assert (appeal["id"], appeal["indicator"], appeal["filed_by"], appeal["evidence_name"]) == (
        1, "fcr", "CS012", "crm-export.txt")
    filed_at, due = (datetime.fromisoformat(appeal[k]) for k in ("filed_at", "due"))
    assert due - filed_at == timedelta(days=14)  # the default decide_within_days
    listed = cli("appeal", "list", "--store", str(store), cwd=tmp_path).stdout
    assert "CS012 [fcr]" in listed and " open " in listed
    decided = cli("appeal", "decide", "1", "--accept", "--note", "checked in the CRM", "--by", "HR Li",
                  "--store", str(store), cwd=tmp_path)
    assert decided.stdout == ("appeal 1 accepted by HR Li: checked in the CRM\n"
                              "no correction given: the run stays as it is (--exclude-rows, --value or --rating "
                              "correct it)\n")
    again = cli("appeal", "decide", "1", "--reject", "--note", "no", "--by", "someone", "--store", str(store),
                cwd=tmp_path)
    assert again.returncode == 1 and "a decision is final" in again.stderr
    with RunStore(store) as runs:
        [kept] = appeals(runs)
        assert (kept.outcome, kept.decided_by) == ("accepted", "HR Li")
        assert evidence(runs, 1) == ("crm-export.txt", proof.read_bytes())
    back = cli("appeal", "evidence", "1", "-o", str(tmp_path / "back.txt"), "--store", str(store), cwd=tmp_path)
    assert back.returncode == 0 and (tmp_path / "back.txt").read_bytes() == proof.read_bytes()
    again = cli("appeal", "evidence", "1", "-o", str(tmp_path / "back.txt"), "--store", str(store), cwd=tmp_path)
    assert again.returncode == 1 and "never overwritten" in again.stderr
    log = json.loads(cli("audit", "--appraisee", "CS012", "--json", "--store", str(store), cwd=tmp_path).stdout)
    assert [(e["action"], e["actor"]) for e in log["entries"]] == [("appeal", "CS012"), ("decide", "HR Li")]


def test_an_appeal_after_the_schemes_window_is_refused_and_one_past_its_due_date_is_overdue(
    agent: Path, tmp_path: Path
) -> None:
    from appraisal.store.appeals import appeals, file

    text = agent.read_text(encoding="utf-8")
    agent.write_text(text + "appeals: {within_days: 3, decide_within_days: 5}\n", encoding="utf-8")
    store = calibrated(agent, tmp_path)
    with RunStore(store) as runs:
        [run] = runs.runs()
        created = datetime.fromisoformat(run.created)
        with pytest.raises(AppraisalError, match=r"the appeal window of run .* closed on .* \(3 days after the run"):
            file(runs, run.id, "CS001", reason="late", now=created + timedelta(days=4))
        filed = file(runs, run.id, "CS001", reason="in time", now=created + timedelta(days=2))
        assert datetime.fromisoformat(filed.due) - datetime.fromisoformat(filed.filed_at) == timedelta(days=5)
        [appeal] = appeals(runs)
        assert not appeal.overdue(created + timedelta(days=6))
        assert appeal.overdue(created + timedelta(days=8))


@pytest.mark.parametrize(("args", "message"), [
    (["-a", "CS0012", "--reason", "x"], "no appraisee 'CS0012' in run after-sales-agent-2026-Q3-v1; did you mean"),
    (["-a", "CS012", "-i", "fcrr", "--reason", "x"], "no indicator 'fcrr' in run after-sales-agent-2026-Q3-v1"),
    (["-a", "CS012", "--reason", " "], "an appeal needs its reason"),
], ids=["unknown appraisee", "unknown indicator", "no reason"])
def test_an_appeal_without_what_it_needs_is_refused(agent: Path, tmp_path: Path, args: list[str],
                                                    message: str) -> None:
    store = calibrated(agent, tmp_path)
    done = cli("appeal", "file", "after-sales-agent-2026-Q3-v1", *args, "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1 and message in done.stderr
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM appeals").fetchone() == (0,)


def test_a_store_in_a_folder_that_is_not_there_stops_the_run_before_it_starts(agent: Path, tmp_path: Path) -> None:
    done = appraise(agent, tmp_path / "q3", tmp_path / "no such folder" / "runs.sqlite")
    assert done.returncode == 1
    assert "does not exist (--store FILE to keep runs elsewhere, or --no-store)" in done.stderr
    assert "data quality" not in done.stdout and not (tmp_path / "q3").exists()


# --- simulate: a changed scheme on the data of stored runs ------------------------------------------


def test_simulate_shows_the_moves_an_actual_run_of_the_new_scheme_would_make(agent: Path, tmp_path: Path) -> None:
    """The invariant: simulating NEW against a run says what running NEW and diffing would say."""
    store = calibrated(agent, tmp_path)
    new = tmp_path / "agent-new.yaml"
    new.write_text(agent.read_text(encoding="utf-8").replace("target: 0.90\n", "target: 0.99\n", 1), encoding="utf-8")
    done = cli("simulate", str(new), "--against", "after-sales-agent-2026-Q3-v1", "--store", str(store), "--json",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    [simulated] = json.loads(done.stdout)
    assert appraise(new, tmp_path / "new", store).returncode == 0  # now run it for real: v2
    diff = json.loads(cli("runs", "diff", "after-sales-agent-2026-Q3-v1", "after-sales-agent-2026-Q3-v2", "--json",
                          "--store", str(store), cwd=tmp_path).stdout)
    assert simulated["grade_moves"] and simulated["grade_moves"] == diff["grade_moves"]
    for key in ("grades_before", "grades_after", "pay_before", "pay_after", "indicators"):
        assert simulated[key] == diff[key], key
    assert simulated["pay_after"] < simulated["pay_before"]  # a harder target costs less
    text = cli("simulate", str(new), "--against", "after-sales-agent-2026-Q3-v1", "--store", str(store),
               cwd=tmp_path).stdout
    assert f"{len(simulated['grade_moves'])} would change grade:" in text
    assert "  grades before: S " in text and "pay before: " in text


def test_simulate_says_that_before_is_the_computed_grades_when_some_were_calibrated(
    agent: Path, tmp_path: Path
) -> None:
    store = calibrated(agent, tmp_path)
    assert cli("calibrate", "after-sales-agent-2026-Q3-v1", "-a", "CS001", "-g", "S", "--reason", "why", "--by", "hr",
               "--store", str(store), cwd=tmp_path).returncode == 0
    text = cli("simulate", str(agent), "--against", "after-sales-agent-2026-Q3-v1", "--store", str(store),
               cwd=tmp_path).stdout
    assert ("note: 1 grades of after-sales-agent-2026-Q3-v1 were moved after calibration; 'before' is the grades "
            "as computed") in text


def test_simulate_refuses_a_run_whose_data_changed_since(agent: Path, tmp_path: Path) -> None:
    store = calibrated(agent, tmp_path)
    tickets = tmp_path / "data" / "agent" / "tickets.csv"
    tickets.write_text(tickets.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    done = cli("simulate", str(agent), "--against", "after-sales-agent-2026-Q3-v1", "--store", str(store),
               cwd=tmp_path)
    assert done.returncode == 1
    assert f"cannot simulate against after-sales-agent-2026-Q3-v1: its data changed since it ran: {tickets}" in (
        done.stderr)


@pytest.mark.parametrize(("tamper", "named"), [
    ("INSERT INTO calibrations VALUES (2, 'after-sales-agent-2026-Q3-v1', 'CS002', 'B', 'S', 'forged', 'nobody',"
     " '2026-10-01T00:00:00+00:00')", "the calibrate record 2 has no audit entry"),
    ("UPDATE calibrations SET after = 'D'", "the calibrate record 1 differs from its audit entry"),
    ("UPDATE runs SET created = '2099-01-01T00:00:00+00:00'",
     "the run record 'after-sales-agent-2026-Q3-v1' differs from its audit entry"),
    ("INSERT INTO appeal_decisions VALUES (1, 'accepted', 'forged', 'nobody', '2026-10-01T00:00:00+00:00')",
     "the decide record 1 has no audit entry"),
], ids=["forged calibration", "changed calibration", "moved run date", "forged decision"])
def test_a_record_written_or_changed_behind_appraisals_back_is_named_by_audit_and_check(
    agent: Path, tmp_path: Path, tamper: str, named: str
) -> None:
    store = calibrated(agent, tmp_path)
    assert cli("calibrate", "after-sales-agent-2026-Q3-v1", "-a", "CS001", "-g", "S", "--reason", "why", "--by", "hr",
               "--store", str(store), cwd=tmp_path).returncode == 0
    assert cli("appeal", "file", "after-sales-agent-2026-Q3-v1", "-a", "CS001", "--reason", "why", "--store",
               str(store), cwd=tmp_path).returncode == 0
    assert cli("audit", "--store", str(store), cwd=tmp_path).returncode == 0
    with sqlite3.connect(store) as db:
        for table in ("runs", "calibrations"):
            db.execute(f"DROP TRIGGER {table}_UPDATE_refused")
        db.execute(tamper)
    done = cli("audit", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1 and named in done.stderr
    assert named in cli("store", "check", "--store", str(store), cwd=tmp_path).stderr


def test_the_audit_prints_the_head_of_its_chain_to_keep_elsewhere(agent: Path, tmp_path: Path) -> None:
    store = calibrated(agent, tmp_path)
    found = json.loads(cli("audit", "--json", "--store", str(store), cwd=tmp_path).stdout)
    assert found["head"] == found["entries"][-1]["hash"]
    assert cli("audit", "--store", str(store), cwd=tmp_path).stdout.endswith(f"head of the log: {found['head']}\n")


def test_evidence_that_is_not_a_regular_file_is_refused(agent: Path, tmp_path: Path) -> None:
    store = calibrated(agent, tmp_path)
    done = cli("appeal", "file", "after-sales-agent-2026-Q3-v1", "-a", "CS001", "--reason", "why", "--evidence",
               "/dev/zero", "--store", str(store), cwd=tmp_path)
    assert done.returncode == 1 and "is not a regular file" in done.stderr


def test_appeals_filed_and_killed_at_random_moments_are_kept_whole_or_not_at_all(agent: Path, tmp_path: Path) -> None:
    """Fifty `appeal file --evidence` processes killed (SIGKILL) at random moments: every appeal
    kept has its evidence whole (its SHA-256 matches) and its audit entry; numbers have no gap;
    `store check` finds nothing wrong."""
    from appraisal.store.appeals import appeals, evidence

    store = calibrated(agent, tmp_path)
    proof = tmp_path / "proof.bin"
    proof.write_bytes(random.Random(7).randbytes(8 * 1024 * 1024))  # large enough to be killed while read
    chance = random.Random(2026)
    for n in range(50):
        proc = subprocess.Popen([sys.executable, "-m", "appraisal", "appeal", "file", "after-sales-agent-2026-Q3-v1",
                                 "-a", f"CS{n % 50 + 1:03d}", "--reason", f"appeal {n}", "--evidence", str(proof),
                                 "--store", str(store)], cwd=tmp_path, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.1, 0.9))  # start-up, reading the run and the evidence, writing
        proc.kill()
        proc.wait()
    checked = cli("store", "check", "--store", str(store), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with RunStore(store) as runs:
        kept = appeals(runs)
        assert [a.id for a in kept] == list(range(1, len(kept) + 1))
        for appeal in kept:
            assert evidence(runs, appeal.id) == ("proof.bin", proof.read_bytes())
    assert 0 < len(kept) < 50  # some were kept before their kill, some not


def test_simulate_refuses_a_scheme_that_reads_none_of_the_runs_files(agent: Path, tmp_path: Path) -> None:
    store = calibrated(agent, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    generate(elsewhere / "data" / "agent", role="agent")
    (elsewhere / "agent.yaml").write_bytes(agent.read_bytes())
    done = cli("simulate", str(elsewhere / "agent.yaml"), "--against", "after-sales-agent-2026-Q3-v1", "--store",
               str(store), cwd=tmp_path)
    assert done.returncode == 1 and "reads none of the files after-sales-agent-2026-Q3-v1 read" in done.stderr
