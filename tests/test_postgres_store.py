"""The run store in PostgreSQL: `--store postgresql://...` keeps runs, appeals, calibrations and the
audit log as the SQLite file does, refuses change in the database itself, and moves both ways
through `store backup` and `store restore`.

Each test gets a database of its own on the session's real server (`postgres`, loopback, a
temporary folder) and runs the shipped agent scheme on its demo data (seed 2026, 2026-Q3)
through the command line.
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appraisal.demo.builtin import generate
from appraisal.shipped import shipped_scheme
from appraisal.store import backups
from appraisal.store.backends import scrubbed, shown
from appraisal.store.postgres_backend import placeholders
from appraisal.store.runs import RunStore
from stored_runs import appraise, appraise_twice_at_once, cli

ROOT = Path(__file__).resolve().parent.parent
V1, V2, V3 = (f"after-sales-agent-2026-Q3-v{n}" for n in (1, 2, 3))


@pytest.fixture
def database(postgres: Any) -> Iterator[str]:
    """The URL of an empty database of its own on the test server."""
    name = f"store_{uuid.uuid4().hex[:12]}"
    with postgres.connect() as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield f"postgresql://{postgres.user}@{postgres.host}:{postgres.port}/{name}"
    with postgres.connect() as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def sql(url: str, statement: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(statement)
        return cursor.fetchall() if cursor.description else []


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_run_is_kept_in_postgres_whole_and_written_back_byte_for_byte(agent: Path, tmp_path: Path,
                                                                          database: str) -> None:
    assert ok(appraise(agent, tmp_path / "q3", database)).endswith(f"stored as {V1}: {database}\n")
    ok(cli("runs", "export", V1, "-o", str(tmp_path / "again"), "--store", database, cwd=tmp_path))
    with RunStore(database) as runs:
        [run] = runs.runs()
        assert (run.id, run.version, run.previous) == (V1, 1, None)
        for name in runs.files(V1):
            assert runs.file(V1, name) == (tmp_path / "q3" / name).read_bytes()
            assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "q3" / name).read_bytes()
        assert runs.scheme_text(run) == agent.read_text(encoding="utf-8")


def test_running_again_makes_a_version_linked_to_the_one_before_and_verify_reproduces_it(
        agent: Path, tmp_path: Path, database: str) -> None:
    ok(appraise(agent, tmp_path / "a", database))
    assert f"stored as {V2}, after {V1}" in ok(appraise(agent, tmp_path / "b", database))
    assert "same scheme, same data" in ok(cli("runs", "diff", V1, V2, "--store", database, cwd=tmp_path))
    assert "bit for bit" in ok(cli("runs", "verify", V2, "--store", database, cwd=tmp_path))
    listed = json.loads(ok(cli("runs", "list", "--json", "--store", database, cwd=tmp_path)))
    assert [(r["id"], r["previous"]) for r in listed] == [(V1, None), (V2, V1)]


@pytest.mark.parametrize("change", ["UPDATE runs SET period = '2026-Q4'", "DELETE FROM files", "TRUNCATE audit",
                                    "UPDATE audit SET actor = 'someone else'", "DELETE FROM scheme_texts"])
def test_postgres_itself_refuses_to_change_a_stored_run_or_the_audit_log(
        agent: Path, tmp_path: Path, database: str, change: str) -> None:
    import psycopg

    ok(appraise(agent, tmp_path / "q3", database))
    with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match=r"evidence|append-only"):
        sql(database, change)
    assert "ok:" in ok(cli("store", "check", "--store", database, cwd=tmp_path))


def test_an_edit_made_with_the_guards_switched_off_is_found_by_store_check(
        agent: Path, tmp_path: Path, database: str) -> None:
    ok(appraise(agent, tmp_path / "q3", database))
    sql(database, "ALTER TABLE runs DISABLE TRIGGER USER; UPDATE runs SET engine = 'spark'")
    found = cli("store", "check", "--store", database, cwd=tmp_path)
    assert found.returncode == 1
    assert f"the run record '{V1}' differs from its audit entry: it was changed" in found.stderr


def test_appeals_calibrations_and_the_audit_log_are_kept_in_postgres(agent: Path, tmp_path: Path,
                                                                      database: str) -> None:
    ok(appraise(agent, tmp_path / "q3", database))
    evidence = tmp_path / "evidence.txt"
    evidence.write_text("the customer withdrew the complaint\n", encoding="utf-8")
    ok(cli("appeal", "file", V1, "-a", "CS002", "-i", "fcr", "--reason", "wrong", "--evidence", str(evidence),
           "--store", database, cwd=tmp_path))
    decided = ok(cli("appeal", "decide", "1", "--accept", "--value", "0.9", "--note", "checked", "--by", "lead",
                     "-o", str(tmp_path / "corrected"), "--no-report", "--store", database, cwd=tmp_path))
    assert f"stored as {V2}, {V1} corrected" in decided
    ok(cli("calibrate", V2, "-a", "CS001", "--grade", "B", "--reason", "meeting", "--by", "hr", "--store", database,
           cwd=tmp_path))
    log = json.loads(ok(cli("audit", "--json", "--store", database, cwd=tmp_path)))
    assert [e["action"] for e in log["entries"]] == ["run", "appeal", "run", "decide", "calibrate"]
    with RunStore(database) as runs:
        from appraisal.store import appeals

        assert appeals.evidence(runs, 1) == ("evidence.txt", evidence.read_bytes())
        assert appeals.corrected_by(runs, 1) == V2
    assert "ok:" in ok(cli("store", "check", "--store", database, cwd=tmp_path))
    assert "bit for bit" in ok(cli("runs", "verify", V2, "--store", database, cwd=tmp_path))


def test_render_reads_the_calibrated_grade_of_a_run_stored_in_postgres(agent: Path, tmp_path: Path,
                                                                       database: str) -> None:
    ok(appraise(agent, tmp_path / "q3", database))
    ok(cli("calibrate", V1, "-a", "CS001", "--grade", "S", "--reason", "strong finish", "--by", "committee",
           "--store", database, cwd=tmp_path))
    ok(cli("render", "q3", "-o", "report", "-f", "md", "-q", "--store", database, cwd=tmp_path))
    card = (tmp_path / "report" / "scorecards" / "CS001.md").read_text(encoding="utf-8")
    assert "Calibrated: **S** (Computed " in card and "strong finish" in card


def test_two_runs_storing_into_postgres_at_once_both_land(agent: Path, tmp_path: Path, database: str) -> None:
    appraise_twice_at_once(agent, database)
    with RunStore(database) as runs:
        assert sorted(r.version for r in runs.runs()) == [1, 2]


def test_runs_killed_at_random_moments_leave_the_postgres_store_consistent(tmp_path: Path, database: str) -> None:
    """Fifty runs killed (SIGKILL) at random moments, storing into one PostgreSQL store: the
    server rolls back what a killed client left open, so every stored run is whole, versions
    count up without a gap, the audit log's chain holds, and no transaction is left behind."""
    scheme = tmp_path / "designer.yaml"
    scheme.write_bytes(shipped_scheme("designer").read_bytes())
    generate(tmp_path / "data" / "designer", role="designer")
    ok(appraise(scheme, tmp_path / "first", database))
    chance = random.Random(2026)
    for n in range(50):
        proc = subprocess.Popen([sys.executable, "-m", "appraisal", "run", str(scheme), "-p", "2026-Q3", "-o",
                                 str(tmp_path / f"run{n}"), "--no-report", "--store", database], cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.3, 1.6))
        proc.kill()
        proc.wait()
    with RunStore(database) as runs:
        stored = runs.runs()
        assert [r.version for r in stored] == list(range(1, len(stored) + 1))
        for run in stored:
            for name in runs.files(run.id):
                assert runs.file(run.id, name) == (Path(run.folder) / name).read_bytes()
        assert backups.check(runs) == []
    assert len(stored) >= 2
    deadline = time.monotonic() + 30  # the server notices a killed client's closed socket
    while sql(database, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state"
                        " LIKE 'idle in transaction%'") != [(0,)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sql(database, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == [(0,)]


def test_a_postgres_store_backs_up_to_a_sqlite_file_and_restores_into_another_database(
        agent: Path, tmp_path: Path, database: str, postgres: Any) -> None:
    ok(appraise(agent, tmp_path / "a", database))
    ok(cli("calibrate", V1, "-a", "CS001", "--grade", "B", "--reason", "meeting", "--by", "hr", "--store", database,
           cwd=tmp_path))
    ok(appraise(agent, tmp_path / "b", database))
    copy = tmp_path / "backup.sqlite"
    assert ok(cli("store", "backup", str(copy), "--store", database, cwd=tmp_path)) == (
        f"backed up 2 runs of {database} to {copy}\n")
    other = database + "_restored"
    with postgres.connect() as admin:
        admin.execute(f"CREATE DATABASE {other.rsplit('/', 1)[1]}")
    try:
        assert ok(cli("store", "restore", str(copy), "--store", other, cwd=tmp_path)) == (
            f"restored 2 runs from {copy} to {other}\n")
        with RunStore(database) as before, RunStore(other) as after, RunStore(copy) as file:
            for store in (after, file):
                assert store.runs() == before.runs()
                for run in before.runs():
                    assert [store.file(run.id, n) for n in store.files(run.id)] == [
                        before.file(run.id, n) for n in before.files(run.id)]
        assert sql(other, "SELECT * FROM audit ORDER BY seq") == sql(database, "SELECT * FROM audit ORDER BY seq")
        assert "ok:" in ok(cli("store", "check", "--store", other, cwd=tmp_path))
        refused = cli("store", "restore", str(copy), "--store", other, cwd=tmp_path)
        assert refused.returncode == 1 and "never overwrites" in refused.stderr
    finally:
        with postgres.connect() as admin:
            admin.execute(f"DROP DATABASE {other.rsplit('/', 1)[1]} WITH (FORCE)")


def test_a_sqlite_store_moves_into_postgres_through_a_backup(agent: Path, tmp_path: Path, database: str) -> None:
    ok(appraise(agent, tmp_path / "a", tmp_path / "runs.sqlite"))
    ok(cli("store", "backup", str(tmp_path / "b.sqlite"), "--store", str(tmp_path / "runs.sqlite"), cwd=tmp_path))
    ok(cli("store", "restore", str(tmp_path / "b.sqlite"), "--store", database, cwd=tmp_path))
    assert f"stored as {V2}, after {V1}" in ok(appraise(agent, tmp_path / "b", database))
    assert "ok:" in ok(cli("store", "check", "--store", database, cwd=tmp_path))


def test_a_database_with_tables_of_another_program_named_like_the_stores_is_refused_and_left_alone(
        agent: Path, tmp_path: Path, database: str) -> None:
    sql(database, "CREATE TABLE runs (x INTEGER); INSERT INTO runs VALUES (7)")
    refused = appraise(agent, tmp_path / "q3", database)
    assert refused.returncode == 1
    assert f"{database} is not an appraisal run store" in refused.stderr and "not changed" in refused.stderr
    assert not (tmp_path / "q3").exists()
    assert sql(database, "SELECT * FROM runs") == [(7,)]


def test_a_database_holding_tables_of_another_program_gets_no_store_beside_them(
        agent: Path, tmp_path: Path, database: str) -> None:
    sql(database, "CREATE TABLE employees (id TEXT)")
    refused = appraise(agent, tmp_path / "q3", database)
    assert refused.returncode == 1
    assert "holds employees and no appraisal_store table: keep the store in a database or schema of its own" in (
        refused.stderr)
    assert sql(database, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'") == [
        ("employees",)]


def test_a_store_in_a_schema_of_its_own_beside_another_programs_tables(agent: Path, tmp_path: Path,
                                                                       database: str) -> None:
    sql(database, "CREATE TABLE employees (id TEXT); CREATE SCHEMA appraisal")
    url = f"{database}?options=-csearch_path%3Dappraisal"
    ok(appraise(agent, tmp_path / "q3", url))
    assert ("appraisal", "runs") in sql(database, "SELECT table_schema, table_name FROM information_schema.tables")
    missing = cli("runs", "list", "--store", f"{database}?options=-csearch_path%3Dnowhere", cwd=tmp_path)
    assert missing.returncode == 1 and "its search_path names no schema that exists" in missing.stderr


def test_the_stores_identity_cannot_be_changed(agent: Path, tmp_path: Path, database: str) -> None:
    import psycopg

    ok(appraise(agent, tmp_path / "q3", database))
    with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="identity cannot be changed"):
        sql(database, "UPDATE appraisal_store SET application = 1")


@pytest.mark.parametrize("how", ["a user without INSERT", "a read-only database"])
def test_a_store_that_cannot_be_written_is_said_before_the_run(agent: Path, tmp_path: Path, database: str,
                                                               how: str) -> None:
    ok(appraise(agent, tmp_path / "q3", database))
    if how == "a user without INSERT":
        role = f"reader_{uuid.uuid4().hex[:8]}"
        sql(database, f"CREATE ROLE {role} LOGIN; GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        url, said = database.replace("//appraisal@", f"//{role}@"), "its user may not write to appeal_corrections, "
    else:
        url, said = f"{database}?options=-cdefault_transaction_read_only%3Don", "the database is read-only here"
    started = time.monotonic()
    refused = appraise(agent, tmp_path / "again", url)
    assert refused.returncode == 1 and said in refused.stderr, refused.stderr
    assert "data quality" not in refused.stderr + refused.stdout  # nothing was measured
    assert not (tmp_path / "again").exists() and time.monotonic() - started < 30
    assert len(json.loads(ok(cli("runs", "list", "--json", "--store", url, cwd=tmp_path)))) == 1  # it still reads


def test_a_connection_the_server_closed_while_a_run_measured_is_opened_again_to_store(
        agent: Path, tmp_path: Path, database: str, postgres: Any) -> None:
    from appraisal.store import calibration

    ok(appraise(agent, tmp_path / "q3", database))
    with RunStore(database) as runs:
        [(pid,)] = runs.db.execute("SELECT pg_backend_pid()").fetchall()
        with postgres.connect() as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        decided = calibration.decide(runs, V1, "CS001", "B", reason="meeting", by="hr")
        assert decided.after == "B"
        [(again,)] = runs.db.execute("SELECT pg_backend_pid()").fetchall()
        assert again != pid


def test_a_commit_whose_answer_was_lost_is_looked_for_on_a_new_connection(
        agent: Path, tmp_path: Path, database: str, postgres: Any) -> None:
    import psycopg

    ok(appraise(agent, tmp_path / "q3", database))
    with RunStore(database) as runs:
        for wanted, held in ((V1, True), (V2, False)):
            runs.backend.begin_write()
            with postgres.connect() as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (runs.backend.connection.info.backend_pid,))
            with pytest.raises(psycopg.OperationalError):
                runs.backend.commit()
            assert runs.backend.landed("SELECT 1 FROM runs WHERE id = ?", (wanted,)) is held
        runs.backend.begin_write()  # a COMMIT the server refused (the connection holds): it did not land
        runs.backend.roll_back()
        assert runs.backend.landed("SELECT 1 FROM runs WHERE id = ?", (V1,)) is False


def test_a_read_the_server_breaks_off_is_not_called_damage(agent: Path, tmp_path: Path, database: str,
                                                           postgres: Any) -> None:
    from appraisal.store.runs import StoreUnavailable

    ok(appraise(agent, tmp_path / "q3", database))
    with RunStore(database) as runs, runs.backend.snapshot():  # `store check` reads in one snapshot
        [(pid,)] = runs.db.execute("SELECT pg_backend_pid()").fetchall()
        with postgres.connect() as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(StoreUnavailable, match=f"cannot read the run store {re.escape(database)}: ") as raised:
            runs.runs()
        assert "damaged" not in str(raised.value)


def test_an_appeal_number_beyond_any_stored_is_unknown_not_damage(agent: Path, tmp_path: Path,
                                                                  database: str) -> None:
    ok(appraise(agent, tmp_path / "q3", database))
    done = cli("appeal", "decide", "99999999999", "--reject", "--note", "no", "--by", "hr", "--store", database,
               cwd=tmp_path)
    assert done.returncode == 1 and f"no appeal 99999999999 in {database}" in done.stderr


@pytest.mark.parametrize("edit, found", [
    ("UPDATE files SET content = 'x', sha256 = encode(sha256('x'), 'hex') WHERE name = 'totals.csv'",
     "the files kept of run 'after-sales-agent-2026-Q3-v1' are not those its audit entry names"),
    ("UPDATE scheme_texts SET text = text || ' '", "the scheme text of run 'after-sales-agent-2026-Q3-v1' is not"),
    ("UPDATE runs SET appraisees = 49", "the run record 'after-sales-agent-2026-Q3-v1' differs from its audit entry"),
    ("UPDATE appeals SET evidence = 'forged'", "the evidence of appeal 1 does not match its recorded SHA-256"),
], ids=["file and its hash", "scheme text", "appraisee count", "evidence"])
def test_store_check_finds_a_record_rewritten_together_with_its_hash(agent: Path, tmp_path: Path, database: str,
                                                                     edit: str, found: str) -> None:
    ok(appraise(agent, tmp_path / "q3", database))
    (tmp_path / "note.txt").write_text("evidence\n", encoding="utf-8")
    ok(cli("appeal", "file", V1, "-a", "CS002", "--reason", "wrong", "--evidence", str(tmp_path / "note.txt"),
           "--store", database, cwd=tmp_path))
    sql(database, f"SET session_replication_role = replica; {edit}")  # triggers off, as an intruder would
    done = cli("store", "check", "--store", database, cwd=tmp_path)
    assert done.returncode == 1 and found in done.stderr, done.stderr


def test_render_with_an_unreachable_store_named_by_the_environment_renders_without_history(
        agent: Path, tmp_path: Path) -> None:
    ok(appraise(agent, tmp_path / "q3", tmp_path / "runs.sqlite"))
    done = subprocess.run([sys.executable, "-m", "appraisal", "render", "q3", "-o", "report", "-f", "md"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "APPRAISAL_STORE": "postgresql://hr:s3cret@127.0.0.1:1/runs"})
    assert done.returncode == 0, done.stderr
    assert "warning: cannot open the run store postgresql://hr:***@127.0.0.1:1/runs" in done.stderr
    assert (tmp_path / "report" / "index.md").is_file()


def test_reading_a_database_that_holds_no_store_says_so(tmp_path: Path, database: str) -> None:
    done = cli("runs", "list", "--store", database, cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith(f"no run store at {database}: `appraisal run` creates it")
    assert sql(database, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") == [(0,)]


def test_a_server_that_cannot_be_reached_is_a_message_without_the_password(tmp_path: Path) -> None:
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    done = cli("runs", "list", "--store", f"postgresql://hr:secret@127.0.0.1:{port}/runs", cwd=tmp_path)
    assert done.returncode == 1
    assert f"cannot open the run store postgresql://hr:***@127.0.0.1:{port}/runs:" in done.stderr
    assert "secret" not in done.stderr and "Traceback" not in done.stderr


def test_the_store_named_by_the_environment_may_be_a_url(agent: Path, tmp_path: Path, database: str) -> None:
    env_run = subprocess.run([sys.executable, "-m", "appraisal", "run", str(agent), "-p", "2026-Q3", "-o",
                              str(tmp_path / "q3"), "--no-report", "--quiet"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=300, env={**__import__("os").environ, "APPRAISAL_STORE": database})
    assert env_run.returncode == 0, env_run.stderr
    with RunStore(database) as runs:
        assert [r.id for r in runs.runs()] == [V1]


def test_the_guides_postgresql_example_runs_as_shown(tmp_path: Path, database: str, postgres: Any) -> None:
    """docs/runs.md's example, with the test server's databases for db.example and db2.example."""
    guide = (ROOT / "docs" / "runs.md").read_text(encoding="utf-8")
    example = re.findall(r"```sh\n(.*?)```", guide, flags=re.S)[-1]
    (tmp_path / "schemes").mkdir()
    (tmp_path / "schemes" / "agent.yaml").write_bytes(shipped_scheme("agent").read_bytes())
    generate(tmp_path / "schemes" / "data" / "agent", role="agent")
    second = f"{database}_second"
    with postgres.connect() as admin:
        admin.execute(f"CREATE DATABASE {second.rsplit('/', 1)[1]}")
    try:
        example = example.replace("postgresql://hr@db.example:5432/appraisal", database).replace(
            "postgresql://hr@db2.example:5432/appraisal", second)
        env = dict(os.environ)
        for line in example.strip().splitlines():
            if line.startswith("export "):
                name, value = line.removeprefix("export ").split("=", 1)
                env[name] = value
                continue
            done = subprocess.run([sys.executable, "-m", "appraisal", *shlex.split(line)[1:]], capture_output=True,
                                  text=True, cwd=tmp_path, env=env, timeout=300)
            assert done.returncode == 0, (line, done.stderr)
        with RunStore(database) as first, RunStore(second) as restored:
            assert [r.id for r in restored.runs()] == [r.id for r in first.runs()] == [V1]
    finally:
        with postgres.connect() as admin:
            admin.execute(f"DROP DATABASE {second.rsplit('/', 1)[1]} WITH (FORCE)")


def test_the_stores_sql_is_given_to_psycopg_with_itsplaceholders() -> None:
    assert placeholders("SELECT ? WHERE x LIKE 'a%'", (1,)) == ("SELECT %s WHERE x LIKE 'a%%'", (1,))
    assert placeholders("WHERE (CAST(?1 AS TEXT) IS NULL OR a = ?1) AND b = ?2", ("x", None)) == (
        "WHERE (CAST(%(p1)s AS TEXT) IS NULL OR a = %(p1)s) AND b = %(p2)s", {"p1": "x", "p2": None})
    assert placeholders("SELECT 1 % 2", ()) == ("SELECT 1 % 2", None)


def test_a_question_mark_or_percent_in_quoted_text_is_left_as_it_is() -> None:
    assert placeholders("SELECT '?%', ? FROM t", (1,)) == ("SELECT '?%%', %s FROM t", (1,))


def test_a_password_is_never_shown() -> None:
    assert shown("postgresql://hr:secret@db.example:5432/runs") == "postgresql://hr:***@db.example:5432/runs"
    assert shown("postgresql://hr@db.example/runs") == "postgresql://hr@db.example/runs"
    assert shown("postgresql://hr@db.example/runs?sslmode=require&password=secret") == (
        "postgresql://hr@db.example/runs?sslmode=require&password=***")
    assert shown("postgresql://hr:secret@[::1/runs") == "postgresql://..."
    assert scrubbed('invalid percent-encoded token: "s3cr%zz"', "postgresql://hr:s3cr%zz@h/db") == (
        'invalid percent-encoded token: "***"')


@pytest.mark.parametrize("url", ["postgresql://hr:s3cr%zzet@127.0.0.1:{port}/runs",
                                 "postgresql://hr:s3cret@[::1:{port}/runs",
                                 "postgresql://hr@127.0.0.1:{port}/runs?password=s3cret&sslmode=bogus",
                                 "postgresql://hr@127.0.0.1:{port}/runs?%70assword=s3cret",
                                 "postgresql://hr:s3c@ret99@127.0.0.1:{port}/runs"],
                         ids=["bad escape", "unclosed IPv6 bracket", "password parameter", "escaped parameter name",
                              "unescaped @"])
def test_a_malformed_url_is_a_message_without_the_password(tmp_path: Path, url: str) -> None:
    done = cli("runs", "list", "--store", url.format(port=1), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "cannot open the run store postgresql://" in done.stderr
    assert "s3c" not in done.stderr and "ret99" not in done.stderr and "Traceback" not in done.stderr
