"""Connection profiles: the engine and its settings by name, from the operator's file, never the scheme.

Which engine a run uses: `--profile`, else `--engine` (settings from APPRAISAL_<ENGINE>_DSN),
else the scheme's `profile:`, else the embedded DuckDB. A planted password never appears in a
message, a result or a file.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from appraisal.demo.builtin import generate
from appraisal.engines.profiles import Choice, choose, load_profile
from appraisal.errors import DataError
from appraisal.shipped import shipped_scheme

SECRET = "planted-secret-4711"
PROFILES = textwrap.dedent("""\
    profiles:
      warehouse:
        engine: postgres
        dsn: "host=db.example.com dbname=hr user=appraisal"
        password_env: HR_DB_PASSWORD
      local:
        engine: postgres
        host: 127.0.0.1
        port: 9
        connect_timeout: 5
        password: PLANTED
    """).replace("PLANTED", SECRET)


@pytest.fixture
def profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "profiles.yaml"
    path.write_text(PROFILES, encoding="utf-8")
    monkeypatch.setenv("APPRAISAL_PROFILES", str(path))
    return path


def test_a_profile_gives_its_engine_and_settings_with_the_password_from_the_environment(
    profiles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HR_DB_PASSWORD", SECRET)
    chosen = load_profile("warehouse")
    assert chosen.engine == "postgres"
    assert dict(chosen.settings) == {"dsn": "host=db.example.com dbname=hr user=appraisal", "password": SECRET}
    assert SECRET not in repr(chosen)


def test_a_password_variable_that_is_not_set_is_named(profiles: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HR_DB_PASSWORD", raising=False)
    with pytest.raises(DataError, match=r"profile 'warehouse' reads its password from \$HR_DB_PASSWORD, which is not"):
        load_profile("warehouse")


def test_an_unknown_profile_gets_a_suggestion(profiles: Path) -> None:
    with pytest.raises(DataError, match=r"unknown profile 'warehose' in .*profiles\.yaml; did you mean 'warehouse'"):
        load_profile("warehose")


def test_a_missing_profiles_file_says_where_it_was_looked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APPRAISAL_PROFILES", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(DataError, match=re.escape(f"no profiles file at {tmp_path}/appraisal/profiles.yaml")):
        load_profile("warehouse")


def test_a_broken_profiles_file_names_its_line_and_quotes_nothing(profiles: Path) -> None:
    profiles.write_text(f"profiles:\n  local:\n    engine: postgres\n    password: [{SECRET}\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"profiles\.yaml:\d+: not valid YAML") as raised:
        load_profile("local")
    assert SECRET not in str(raised.value)


def test_a_profile_without_an_engine_is_refused(profiles: Path) -> None:
    profiles.write_text("profiles:\n  odd:\n    dsn: host=x\n", encoding="utf-8")
    with pytest.raises(DataError, match="profile 'odd' needs 'engine: NAME'"):
        load_profile("odd")


def test_the_profile_option_comes_first_then_the_engine_option_then_the_scheme(
    profiles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HR_DB_PASSWORD", SECRET)
    monkeypatch.setenv("APPRAISAL_POSTGRES_DSN", "host=from-env")
    assert choose("duckdb", "warehouse", "local").profile == "warehouse"
    assert choose("postgres", None, "warehouse") == Choice("postgres", {"dsn": "host=from-env"})
    assert choose(None, None, "local").profile == "local"
    assert choose(None, None, None) == Choice()


def test_a_scheme_naming_a_profile_measures_through_it_and_never_shows_the_password(
    tmp_path: Path, profiles: Path, run_cli
) -> None:
    scheme = tmp_path / "designer.yaml"
    text = shipped_scheme("designer").read_text(encoding="utf-8")
    scheme.write_text(text.replace("\nperiod:", "\nprofile: local\nperiod:", 1), encoding="utf-8")
    generate(tmp_path / "data" / "designer", role="designer")
    result = run_cli("run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / "out"), "--no-report")
    assert result.exit_code == 1
    assert "cannot connect to PostgreSQL" in result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert not (tmp_path / "out").exists()
    measured = run_cli("measure", str(scheme), "-p", "2026-Q3", "--engine", "duckdb", "--json")
    assert measured.exit_code == 0, measured.stderr  # --engine overrides the scheme's profile
    assert json.loads(measured.stdout)["values"]


def test_the_engines_guide_profiles_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    guide = (Path(__file__).resolve().parent.parent / "docs" / "engines.md").read_text(encoding="utf-8")
    example, connect = [block for block in re.findall(r"```yaml\n(.*?)```", guide, flags=re.S) if "profiles:" in block]
    (tmp_path / "profiles.yaml").write_text(example, encoding="utf-8")
    monkeypatch.setenv("APPRAISAL_PROFILES", str(tmp_path / "profiles.yaml"))
    monkeypatch.setenv("HR_DB_PASSWORD", SECRET)
    warehouse, lake = load_profile("warehouse"), load_profile("lake")
    assert (warehouse.engine, warehouse.settings["password"]) == ("postgres", SECRET)
    assert "sslmode=require" in warehouse.settings["dsn"]
    assert (lake.engine, dict(lake.settings)) == ("spark", {
        "master": "spark://spark-master.example.com:7077", "spark.executor.memory": "4g",
        "spark.sql.catalogImplementation": "hive",
        "spark.hadoop.hive.metastore.uris": "thrift://metastore.example.com:9083"})
    (tmp_path / "profiles.yaml").write_text(connect, encoding="utf-8")  # Spark Connect's, with its token
    monkeypatch.setenv("SPARK_CONNECT_TOKEN", SECRET)
    lakehouse = load_profile("lakehouse")
    assert (lakehouse.engine, dict(lakehouse.settings)) == ("spark", {
        "remote": "sc://spark-connect.example.com:15002/;use_ssl=true", "password": SECRET,
        "spark.sql.shuffle.partitions": "64"})


def test_a_password_yaml_reads_as_a_number_must_be_quoted(profiles: Path) -> None:
    profiles.write_text("profiles:\n  odd:\n    engine: postgres\n    password: 0123\n", encoding="utf-8")
    with pytest.raises(DataError, match="profile 'odd': write 'password' in quotes, as a text"):
        load_profile("odd")
