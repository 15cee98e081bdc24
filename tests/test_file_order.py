"""A repeated key keeps its first row in file order, on every run.

The first row of a repeated key is found by its place in the typed table, so typing a file
must keep the file's row order. A parallel CREATE TABLE AS over the typing expressions lost
it on CSV files of the agent scheme's shape (300,000 tickets are enough): each run kept
another copy of some repeated tickets, so an agent had 982 tickets on one run and 983 on the
next. The tickets come from the benchmark's generator of that shape (bench/agent_generate.py).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from appraisal.engines.duckdb_engine import open_engine
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions
from bench_scripts import bench_script

TICKETS = 300_000



@pytest.fixture(scope="module")
def scheme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(bench_script("agent_generate").generate(tmp_path_factory.mktemp("agent-300k"), TICKETS, 300))


def first_copies(tickets: Path) -> str:
    """The kept tickets by the rule, read one thread at a time: each id's first row in the file."""
    with duckdb.connect(config={"threads": 1}) as connection:
        connection.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{tickets}', all_varchar = true)")
        [(digest,)] = connection.execute(
            "SELECT md5(string_agg(ticket_id || ' ' || agent_id, ',' ORDER BY ticket_id)) FROM"
            " (SELECT ticket_id, arg_min(agent_id, rowid) AS agent_id FROM t GROUP BY ticket_id)").fetchall()
    return str(digest)


def test_a_repeated_key_keeps_its_first_row_in_file_order_on_every_run(scheme: Path) -> None:
    loaded = load_scheme(scheme)
    expected = first_copies(scheme.parent / "data" / "agent" / "tickets.csv")
    for _ in range(3):
        with open_engine(loaded, extensions().sources) as engine:
            [(kept,)] = engine.connection.execute(
                "SELECT md5(string_agg(ticket_id || ' ' || agent_id, ',' ORDER BY ticket_id))"
                f" FROM \"{engine.tables['tickets']}\"").fetchall()
        assert kept == expected
