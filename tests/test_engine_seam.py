"""The engine seam: a plugin's engine measures, through `register_engines`, and only rows per
appraisee come back.

The engine here is a second, separate DuckDB database (in the DuckDB dialect): tables really
are shipped into it over Arrow and every dataset query really runs there, so the test holds the
seam itself to the embedded engine's numbers without needing a server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from appraisal import plugins
from appraisal.demo.builtin import generate
from appraisal.engines.remote import EngineKind
from appraisal.errors import DataError
from appraisal.hookspecs import hookimpl
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.shipped import shipped_scheme
from appraisal.sql.dialect import DUCKDB, Dialect
from appraisal.sql.dialect import quote_identifier as q

PERIOD = parse_period("2026-Q3")


def arrow(relation: duckdb.DuckDBPyRelation) -> pa.Table:
    """The relation's rows as an Arrow table (DuckDB 2 renamed `fetch_arrow_table`)."""
    convert = getattr(relation, "to_arrow_table", None) or relation.fetch_arrow_table
    return convert()


class SecondDatabase:
    """A session on a DuckDB database of its own: what it was sent, and what it ran."""

    name = "second"
    dialect: Dialect = DUCKDB

    def __init__(self, settings: Mapping[str, str]) -> None:
        self.database = duckdb.connect()
        self.version = duckdb.__version__
        self.settings = dict(settings)
        self.shipped: list[str] = []
        self.queries: list[str] = []
        self.closed = False

    def ship(self, connection: duckdb.DuckDBPyConnection, tables: Mapping[str, str], folder: Path) -> None:
        assert folder.is_dir()
        for table, rows_sql in tables.items():
            rows = arrow(connection.sql(rows_sql))  # noqa: F841 - read by name
            self.database.execute(f"CREATE TABLE {q(table)} AS SELECT * FROM rows")
            self.shipped.append(table)

    def fetch(self, sql: str, params: Sequence[object]) -> pa.Table:
        self.queries.append(sql)
        return arrow(self.database.sql(sql, params=list(params)))

    def cancel(self) -> None:
        self.database.interrupt()

    def close(self) -> None:
        self.closed = True
        self.database.close()


class SecondEnginePlugin:
    def __init__(self) -> None:
        self.sessions: list[SecondDatabase] = []

    @hookimpl
    def register_engines(self, register: Callable[[EngineKind], None]) -> None:
        def connect(settings: Mapping[str, str]) -> SecondDatabase:
            self.sessions.append(SecondDatabase(settings))
            return self.sessions[-1]

        register(EngineKind("second", connect, "a second DuckDB database", needs="nothing"))


@pytest.fixture
def agent_scheme(tmp_path: Path) -> Path:
    scheme = tmp_path / "agent.yaml"
    scheme.write_bytes(shipped_scheme("agent").read_bytes())
    generate(tmp_path / "data" / "agent", role="agent")
    return scheme


def test_hook_register_engines(agent_scheme: Path) -> None:
    plugin = SecondEnginePlugin()
    plugins.get_plugin_manager().register(plugin, name="second-engine")
    scheme = load_scheme(agent_scheme)
    here = run(scheme, PERIOD, groups=("team",))
    there = run(scheme, PERIOD, groups=("team",), engine="second", settings={"dsn": "memory"})
    [session] = plugin.sessions
    assert session.settings == {"dsn": "memory"}
    assert set(session.shipped) == {"roster", "tickets", "surveys", "sales", "pay", "__calendar"}
    # every dataset and amounts query ran there; the ratings' (few rows) read here
    assert len(session.queries) == len([name for name in here.queries if not name.startswith("ratings")])
    assert session.closed
    assert there.provenance["engine"] == {"name": "second", "version": duckdb.__version__, "dialect": "duckdb"}
    assert json.dumps(there.as_dict()["appraisees"]) == json.dumps(here.as_dict()["appraisees"])
    assert there.quality == here.quality
    assert json.dumps(there.as_dict()["groups"]) == json.dumps(here.as_dict()["groups"])


def test_an_engine_is_listed_with_what_it_needs(run_cli) -> None:
    plugins.get_plugin_manager().register(SecondEnginePlugin(), name="second-engine")
    result = run_cli("plugins")
    assert result.exit_code == 0, result.stderr
    engines = {line.split()[0]: line.split() for line in result.stdout.split("\n\n")[1].splitlines()[1:]}
    assert engines["second"][:3] == ["second", "second-engine", "nothing"]


def test_an_engine_without_tables_of_its_own_refuses_a_table_dataset_and_closes(agent_scheme: Path) -> None:
    """A plugin engine need not offer `columns` and `stage` (tables that live in it): a scheme with
    `source: table` is then refused with a message, and the session is closed."""
    plugin = SecondEnginePlugin()
    plugins.get_plugin_manager().register(plugin, name="second-engine")
    text = agent_scheme.read_text(encoding="utf-8")
    agent_scheme.write_text(text.replace("    source: csv\n    path: data/agent/sales.csv\n",
                                         "    source: table\n    table: crm.sales\n"), encoding="utf-8")
    assert "table: crm.sales" in agent_scheme.read_text(encoding="utf-8")
    with pytest.raises(DataError, match=r"^the second engine cannot read tables of its database \(source: table\)$"):
        run(load_scheme(agent_scheme), PERIOD, engine="second", settings={})
    assert [session.closed for session in plugin.sessions] == [True]
