"""Source plugins: every built-in format loads the same rows; the registry and the hook."""

from __future__ import annotations

import json
import re
import sqlite3
import textwrap
from pathlib import Path

import duckdb
import pytest

from appraisal import hookspecs, plugins
from appraisal.engines.duckdb_engine import open_engine
from appraisal.engines.sources import SourceReader, SourceRegistry, collect_sources
from appraisal.errors import DataError, PluginError
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions
from appraisal.scheme.model import Source

HEADER = ["工号", "created_at", "status"]
ROWS = [("A01", "2026-07-01 09:00:00", "resolved"), ("A02", "2026-07-02 10:30:00", "open")]
EXPECTED = [
    ("A01", "2026-07-01 09:00:00", "resolved"),
    ("A02", "2026-07-02 10:30:00", "open"),
]


def write_scheme(folder: Path, source: str, path: str, options: dict | None = None) -> Path:
    """A minimal scheme whose one dataset is `path`, read by `source`."""
    opts = f"\n    options: {json.dumps(options, ensure_ascii=False)}" if options else ""
    path += "@OPTIONS@"
    text = f"""\
        scheme: sources
        version: 1
        title: Sources
        period: month
        datasets:
          tickets:
            source: {source}
            path: {path}
            appraisee: 工号
            period_by: created_at
            columns: {{工号: text, created_at: timestamp, status: text}}
        indicators:
          - id: resolved
            title: Resolved
            measure: {{dataset: tickets, agg: count, where: "status == 'resolved'"}}
            target: 10
            score: {{curve: linear, worst: 0, best: 20}}
            weight: 100
        grades: {{A: 90, B: 0}}
    """
    scheme = folder / "scheme.yaml"
    scheme.write_text(textwrap.dedent(text).replace("@OPTIONS@", opts), encoding="utf-8")
    return scheme


def loaded_rows(scheme_path: Path) -> list[tuple]:
    with open_engine(load_scheme(scheme_path), extensions().sources) as engine:
        return engine.connection.execute(
            'SELECT "工号", CAST(created_at AS VARCHAR), status FROM tickets ORDER BY 1'
        ).fetchall()


def csv_text() -> str:
    return "\n".join(",".join(r) for r in [HEADER, *ROWS]) + "\n"


def records() -> list[dict[str, str]]:
    return [dict(zip(HEADER, row, strict=True)) for row in ROWS]


def test_csv_utf8_loads(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(csv_text(), encoding="utf-8")
    assert loaded_rows(write_scheme(tmp_path, "csv", "t.csv")) == EXPECTED


def test_csv_utf8_with_bom_loads(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(csv_text(), encoding="utf-8-sig")
    assert loaded_rows(write_scheme(tmp_path, "csv", "t.csv")) == EXPECTED


def test_csv_gb18030_with_chinese_headers_loads(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_bytes(csv_text().replace("open", "处理中").encode("gb18030"))
    rows = loaded_rows(write_scheme(tmp_path, "csv", "t.csv", {"encoding": "gb18030"}))
    assert rows == [EXPECTED[0], ("A02", "2026-07-02 10:30:00", "处理中")]


def test_csv_in_the_wrong_encoding_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_bytes(b"\xff\xfe\xfa,x\n")
    with pytest.raises(DataError, match=re.escape("dataset 'tickets': cannot read t.csv as csv")):
        open_engine(load_scheme(write_scheme(tmp_path, "csv", "t.csv", {"encoding": "gb18030"})), extensions().sources)


def test_parquet_loads(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text(csv_text(), encoding="utf-8")
    duckdb.execute(
        f"COPY (SELECT * FROM read_csv('{tmp_path / 't.csv'}', all_varchar=true)) "
        f"TO '{tmp_path / 't.parquet'}' (FORMAT parquet)"
    ).fetchall()
    assert loaded_rows(write_scheme(tmp_path, "parquet", "t.parquet")) == EXPECTED


def test_json_array_loads(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps(records(), ensure_ascii=False), encoding="utf-8")
    assert loaded_rows(write_scheme(tmp_path, "json", "t.json")) == EXPECTED


def test_ndjson_loads(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in records())
    (tmp_path / "t.ndjson").write_text(lines + "\n", encoding="utf-8")
    scheme = write_scheme(tmp_path, "json", "t.ndjson", {"format": "ndjson"})
    assert loaded_rows(scheme) == EXPECTED


def test_xlsx_loads_the_named_sheet(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["other"])
    sheet = book.create_sheet("工单")
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(list(row))
    book.save(tmp_path / "t.xlsx")
    scheme = write_scheme(tmp_path, "xlsx", "t.xlsx", {"sheet": "工单"})
    assert loaded_rows(scheme) == EXPECTED


def test_xlsx_date_cells_load_as_timestamps(tmp_path: Path) -> None:
    from datetime import datetime

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for agent, stamp, status in ROWS:
        book.active.append([agent, datetime.fromisoformat(stamp), status])
    book.save(tmp_path / "t.xlsx")
    assert loaded_rows(write_scheme(tmp_path, "xlsx", "t.xlsx")) == EXPECTED


def test_sqlite_table_loads(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute('CREATE TABLE tickets ("工号" TEXT, created_at TEXT, status TEXT)')
        db.executemany("INSERT INTO tickets VALUES (?, ?, ?)", ROWS)
    db.close()
    assert loaded_rows(write_scheme(tmp_path, "sqlite", "t.db", {"table": "tickets"})) == EXPECTED


def test_sqlite_query_loads(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute('CREATE TABLE t (agent TEXT, at TEXT, status TEXT, n INTEGER)')
        db.executemany("INSERT INTO t VALUES (?, ?, ?, 1)", ROWS)
    db.close()
    query = 'SELECT agent AS "工号", at AS created_at, status FROM t'
    assert loaded_rows(write_scheme(tmp_path, "sqlite", "t.db", {"query": query})) == EXPECTED


def test_unknown_source_suggests_the_nearest_name() -> None:
    # `validate` reports it first (tests/negative/schemes/unknown-source.yaml); this is the engine's own guard.
    with pytest.raises(DataError, match="unknown source 'cvs'; did you mean 'csv'\\?"):
        plugins.extensions().sources.get("cvs")


def test_a_source_registered_twice_names_both_plugins() -> None:
    registry = SourceRegistry()
    registry.register(SourceReader("csv", lambda **_: None), plugin="one")
    with pytest.raises(PluginError, match="by plugin 'one' and by plugin 'two'"):
        registry.register(SourceReader("csv", lambda **_: None), plugin="two")


def test_builtin_sources_are_registered() -> None:
    registry = collect_sources(plugins.get_plugin_manager())
    assert registry.names() == ["csv", "json", "parquet", "sqlite", "xlsx"]


class MemoryPlugin:
    """A third-party source: rows from the file's lines, `agent|at|status`."""

    @hookspecs.hookimpl
    def register_sources(self, register):  # type: ignore[no-untyped-def]
        def load(connection: duckdb.DuckDBPyConnection, table: str, source: Source) -> None:
            import pyarrow as pa

            rows = [line.split("|") for line in source.path.read_text(encoding="utf-8").split()]
            columns = list(zip(*rows, strict=True))
            arrow = pa.table({name: list(col) for name, col in zip(HEADER, columns, strict=True)})
            connection.register("memory_rows", arrow)
            connection.execute(f'CREATE TABLE "{table}" AS SELECT * FROM memory_rows').fetchall()
            connection.unregister("memory_rows")

        register(SourceReader("pipes", load, (".txt",)))


def test_hook_register_sources(tmp_path: Path) -> None:
    plugins.get_plugin_manager().register(MemoryPlugin(), name="pipes")
    (tmp_path / "t.txt").write_text(
        "\n".join("|".join(r).replace(" ", "T") for r in ROWS), encoding="utf-8"
    )
    assert loaded_rows(write_scheme(tmp_path, "pipes", "t.txt")) == EXPECTED
