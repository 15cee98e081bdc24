"""The engine's memory: a limit and a spill folder set per run, and running out of memory as one
clear message naming the setting to raise (exit 1), never a bug report (appraisal.engines.memory)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from appraisal.cli import _report
from appraisal.engines.duckdb_engine import open_engine
from appraisal.engines.memory import configured, is_out_of_memory, parse_size
from appraisal.errors import AppraisalError
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions

OUT_OF_MEMORY = (
    "the engine ran out of memory (limit {limit}, spilling to disk beyond it): raise the limit with --memory-limit"
    " (or APPRAISAL_MEMORY_LIMIT), e.g. --memory-limit 4GB, and check that the spill folder (--spill-dir or"
    " APPRAISAL_SPILL_DIR, default the system's temporary folder) has free space\n"
)


@pytest.fixture
def scheme_file(tmp_path: Path) -> Path:
    """300,000 tickets of 100 agents as Parquet, and a scheme measuring their median cost."""
    with duckdb.connect() as con:
        con.execute("COPY (SELECT 'A' || (i % 100) AS agent_id, TIMESTAMP '2026-07-01' + to_seconds(i) AS created_at,"
                    " CAST(hash(i) % 1000 AS DOUBLE) AS cost FROM range(300000) AS t(i))"
                    f" TO '{tmp_path / 'tickets.parquet'}' (FORMAT parquet)")
        con.execute(f"COPY (SELECT 'A' || i AS agent_id FROM range(100) AS t(i)) TO '{tmp_path / 'roster.parquet'}'"
                    " (FORMAT parquet)")
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(
        "scheme: memory\nversion: 1\ntitle: Memory\nperiod: quarter\n"
        "roster: {source: parquet, path: roster.parquet, key: agent_id}\n"
        "datasets:\n  tickets: {source: parquet, path: tickets.parquet, appraisee: agent_id, period_by: created_at,"
        " columns: {agent_id: text, created_at: timestamp, cost: number}}\n"
        "indicators:\n  - {id: median_cost, title: Median cost, weight: 100, target: 1,"
        " score: {curve: linear, worst: 0, best: 2}, measure: {dataset: tickets, agg: median, of: cost}}\n"
        "grades: {A: 90, B: 0}\n",
        encoding="utf-8",
    )
    return scheme


def test_running_out_of_memory_names_the_setting_to_raise(run_cli, scheme_file):
    result = run_cli("measure", str(scheme_file), "-p", "2026-Q3", "--memory-limit", "1MB")
    assert (result.exit_code, result.stderr) == (1, OUT_OF_MEMORY.format(limit="1MB"))


def test_the_memory_limit_can_come_from_the_environment(run_cli, scheme_file, tmp_path):
    result = run_cli("run", str(scheme_file), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--no-report",
                     env={"APPRAISAL_MEMORY_LIMIT": "1MB"})
    assert (result.exit_code, result.stderr) == (1, OUT_OF_MEMORY.format(limit="1MB"))
    assert not (tmp_path / "q3").exists()


def test_a_raised_memory_limit_lets_the_same_run_finish(run_cli, scheme_file):
    result = run_cli("measure", str(scheme_file), "-p", "2026-Q3", "--memory-limit", "500MB", "--json")
    assert result.exit_code == 0, result.stderr


def test_a_memory_limit_that_is_not_a_size_is_refused(run_cli, scheme_file):
    result = run_cli("measure", str(scheme_file), "-p", "2026-Q3", "--memory-limit", "lots")
    assert (result.exit_code, result.stderr) == (
        1, "memory limit 'lots' is not a size: give a number and a unit, such"
           " as 4GB, 500MB or 2GiB (--memory-limit or APPRAISAL_MEMORY_LIMIT)\n")


def test_a_spill_folder_that_does_not_exist_is_refused(run_cli, scheme_file, tmp_path):
    missing = tmp_path / "nowhere"
    result = run_cli("measure", str(scheme_file), "-p", "2026-Q3", "--spill-dir", str(missing))
    assert (result.exit_code, result.stderr) == (1, f"spill folder {missing} is not a folder (--spill-dir or"
                                                    " APPRAISAL_SPILL_DIR)\n")


def test_the_engine_spills_into_a_private_folder_inside_the_spill_folder_and_removes_it(scheme_file, tmp_path):
    spill = tmp_path / "spill"
    spill.mkdir()
    with configured("200MB", spill), open_engine(load_scheme(scheme_file), extensions().sources) as engine:
        assert engine.spill is not None and engine.spill.parent == spill
    assert list(spill.iterdir()) == []


@pytest.mark.parametrize(("limit", "engine_share"), [("300MB", 200_000_000), ("1GB", 666_666_667),
                                                     ("8GB", 7_616_000_000)])
def test_the_limit_bounds_the_process_duckdb_gets_it_less_a_reserve_for_the_rest(
    scheme_file: Path, limit: str, engine_share: int
) -> None:
    """A third of the limit, at most 384 MB, is kept for the Python program and DuckDB's memory
    outside its buffer pool."""
    with configured(limit), open_engine(load_scheme(scheme_file), extensions().sources) as engine:
        assert engine.memory_limit == engine_share
        [(held,)] = engine.connection.execute("SELECT current_setting('memory_limit')").fetchall()
    number, unit = held.split()  # as DuckDB shows it: MiB or GiB, one decimal
    scale = {"MiB": 1024**2, "GiB": 1024**3}[unit]
    assert float(number) == pytest.approx(engine_share / scale, abs=0.1)


def test_duckdb_gives_freed_memory_back_to_the_system_early(scheme_file: Path) -> None:
    with open_engine(load_scheme(scheme_file), extensions().sources) as engine:
        [(threshold, background)] = engine.connection.execute(
            "SELECT current_setting('allocator_flush_threshold'), current_setting('allocator_background_threads')"
        ).fetchall()
    assert (parse_size(threshold), background) == (16 * 1024**2, True)


def test_settings_made_for_a_run_are_undone_after_it():
    with configured("2GB"):
        pass
    with configured(None):
        from appraisal.engines.memory import memory_limit

        assert memory_limit() == "1GB"


@pytest.mark.parametrize(("text", "size"), [("4GB", 4_000_000_000), ("500MB", 500_000_000), ("2GiB", 2 * 1024**3),
                                            ("1.5 gb", 1_500_000_000)])
def test_sizes_are_read_as_duckdb_reads_them(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "4", "GB", "-1GB", "0MB", "4 parsecs"])
def test_a_size_without_a_positive_number_and_a_unit_is_refused(text):
    with pytest.raises(AppraisalError, match="is not a size"):
        parse_size(text)


def test_an_error_whose_text_says_out_of_memory_is_the_engines_out_of_memory():
    assert is_out_of_memory(duckdb.OutOfMemoryException("failed to allocate"))
    assert is_out_of_memory(duckdb.IOException("Out of Memory Error: could not allocate block of size 256 KiB"))
    assert not is_out_of_memory(duckdb.IOException("No space left on device"))


def test_an_out_of_memory_error_that_reaches_the_command_line_is_a_user_error_not_a_bug(capsys):
    assert _report(RuntimeError("Out of Memory Error: failed to allocate data of size 8.0 MiB")) == 1
    assert capsys.readouterr().err == OUT_OF_MEMORY.format(limit="1GB")


def test_the_run_keeps_its_engine_tables_in_the_spill_folder_and_removes_them(scheme_file, tmp_path):
    from appraisal.cli.run_cmd import copied_tables

    spill = tmp_path / "spill"
    spill.mkdir()
    with configured(None, spill), copied_tables() as tables:
        assert tables.parent == spill
    assert list(spill.iterdir()) == []
