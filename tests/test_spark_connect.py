"""Spark Connect as the engine: a real server in its own JVM (tests/spark_connect_server.py),
reached through `sc://` as a cluster's would be, gives DuckDB's numbers.

The server cannot read this machine's files (in CI it runs as another user, and the spill folder
is private), so every table reaches it through the connection, as Arrow.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from appraisal.errors import DataError
from appraisal.pipeline import load_scheme, run
from test_engine_tables import typed_files, variants
from test_engines import PERIOD, SCHEMES, comparable, demo_scheme
from warehouse import connect_database

TOKEN = "planted-token-3"


@pytest.mark.parametrize("name", list(SCHEMES))
def test_shipped_scheme_gives_the_same_result_through_spark_connect(tmp_path: Path, spark_connect: str,
                                                                     name: str) -> None:
    scheme = load_scheme(demo_scheme(tmp_path, name))
    on_duckdb = run(scheme, PERIOD, groups=("team", "manager", "roster"))
    there = run(scheme, PERIOD, groups=("team", "manager", "roster"), engine="spark",
                settings={"remote": spark_connect})
    assert comparable(there) == comparable(on_duckdb)
    assert there.provenance["engine"]["name"] == "spark"


def test_tables_of_the_server_give_the_result_of_the_same_rows_as_files(tmp_path: Path, spark_connect: str) -> None:
    from appraisal.engines.spark_engine import session

    spec, files = typed_files(tmp_path, "agent")
    client = session({"remote": spark_connect})
    try:
        with connect_database(client, files) as where:
            as_files, as_tables = variants(tmp_path, spec, files, where)
            on_duckdb = run(load_scheme(as_files), PERIOD, groups=("team", "manager"))
            there = run(load_scheme(as_tables), PERIOD, groups=("team", "manager"), engine="spark",
                        settings={"remote": spark_connect})
    finally:
        client.stop()
    assert comparable(there) == comparable(on_duckdb)


def test_tables_travel_in_the_connection_not_as_files_of_this_machine(tmp_path: Path, spark_connect: str) -> None:
    from appraisal.engines.spark_engine import connect

    engine = connect({"remote": spark_connect})
    nowhere = tmp_path / "no such folder"
    try:
        with duckdb.connect() as con:
            con.execute("CREATE TABLE rows AS SELECT range AS n, 'row ' || range AS label,"
                        " TIMESTAMP '2026-07-01 08:00' + to_minutes(range) AS at FROM range(5000)")
            engine.ship(con, {"rows": "SELECT * FROM rows"}, nowhere)
        found = engine.fetch('SELECT count(*) AS n, max("label") AS label, max("at") AS at FROM "rows"', [])
    finally:
        engine.close()
    assert found.to_pylist() == [{"n": 5000, "label": "row 999", "at": datetime(2026, 7, 4, 19, 19)}]  # + 4,999 min
    assert not nowhere.exists()


def test_a_connect_url_that_does_not_answer_is_said_within_seconds_without_its_token(tmp_path: Path) -> None:
    from appraisal.engines.spark_engine import connect

    started = time.monotonic()
    with pytest.raises(DataError, match="cannot reach the Spark Connect server: UNAVAILABLE") as raised:
        connect({"remote": f"sc://127.0.0.1:9/;token={TOKEN}"})
    assert time.monotonic() - started < 30
    assert TOKEN not in str(raised.value)


def test_a_setting_the_server_cannot_take_for_a_session_is_named(spark_connect: str) -> None:
    from appraisal.engines.spark_engine import connect

    with pytest.raises(DataError, match=r"Spark Connect did not take the setting spark\.executor\.memory"):
        connect({"remote": spark_connect, "spark.executor.memory": "4g"})


def test_cli_run_through_a_connect_url_in_the_environment_writes_duckdb_files_and_says_nothing_more(
    tmp_path: Path, spark_connect: str
) -> None:
    scheme = demo_scheme(tmp_path, "warehouse")
    outputs, said = {}, {}
    for engine in ("duckdb", "spark"):
        env = {**os.environ, "APPRAISAL_SPARK_DSN": spark_connect}
        command = [sys.executable, "-m", "appraisal", "run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / engine),
                   "--engine", engine, "--groups", "team", "--no-report", "--no-store"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
        assert done.returncode == 0, done.stderr
        outputs[engine], said[engine] = tmp_path / engine, done.stdout + done.stderr
    assert said["spark"].replace("spark", "duckdb") == said["duckdb"]  # no warning of PySpark's, no log line
    for name in ("scores.csv", "totals.csv", "groups.csv", "quality.csv"):
        assert (outputs["spark"] / name).read_bytes() == (outputs["duckdb"] / name).read_bytes(), name


def test_a_profiles_token_reaches_the_url_and_never_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from appraisal.engines.profiles import load_profile
    from appraisal.engines.spark_engine import connect, connect_url

    profiles = tmp_path / "profiles.yaml"
    profiles.write_text("profiles:\n  lake:\n    engine: spark\n    remote: sc://127.0.0.1:9\n"
                        "    password_env: LAKE_TOKEN\n", encoding="utf-8")
    monkeypatch.setenv("APPRAISAL_PROFILES", str(profiles))
    monkeypatch.setenv("LAKE_TOKEN", TOKEN)
    chosen = load_profile("lake")
    assert connect_url(chosen.settings) == f"sc://127.0.0.1:9/;token={TOKEN}"
    with pytest.raises(DataError, match="cannot reach the Spark Connect server") as raised:
        connect(chosen.settings)
    assert TOKEN not in str(raised.value)


@pytest.mark.parametrize(("remote", "url"), [
    ("sc://h:15002", "sc://h:15002/;token=T"),
    ("sc://h:15002/", "sc://h:15002/;token=T"),
    ("sc://h:15002/;use_ssl=true", "sc://h:15002/;use_ssl=true;token=T"),
])
def test_the_token_joins_the_urls_parameters(remote: str, url: str) -> None:
    from appraisal.engines.spark_engine import connect_url

    assert connect_url({"remote": remote, "password": "T"}) == url


def test_a_connect_session_leaves_this_process_able_to_start_a_local_spark(spark_connect: str) -> None:
    """PySpark marks the process Connect-only (SPARK_CONNECT_MODE_ENABLED) when a Connect session
    starts; a local Spark started afterwards, here or in a child process, would be refused."""
    from appraisal.engines.spark_engine import connect

    before = os.environ.get("SPARK_CONNECT_MODE_ENABLED")
    connect({"remote": spark_connect}).close()
    assert os.environ.get("SPARK_CONNECT_MODE_ENABLED") == before


@pytest.mark.parametrize("token", ["abc+/=", "with;semicolon=yes", "hash#and%41"])
def test_a_token_of_any_characters_is_sent_whole_and_never_shown(token: str) -> None:
    from urllib.parse import unquote

    from appraisal.engines.spark_engine import connect, connect_url

    url = connect_url({"remote": "sc://127.0.0.1:9", "password": token})
    assert unquote(url.split(";token=", 1)[1]) == token
    with pytest.raises(DataError) as raised:
        connect({"remote": "sc://127.0.0.1:9", "password": token})
    assert token not in str(raised.value) and url.split(";token=", 1)[1] not in str(raised.value)


def test_a_url_that_does_not_parse_is_a_clear_error() -> None:
    from appraisal.engines.spark_engine import connect

    with pytest.raises(DataError, match="cannot reach the Spark Connect server"):
        connect({"remote": "sc://127.0.0.1:15oo2"})
