"""Scorecards written by worker processes: the same files, in the same order, with the same bytes
as when one process writes them all (appraisal.rendering.workers)."""

from __future__ import annotations

import gc
import multiprocessing
import os
from pathlib import Path

import pytest

from appraisal.errors import AppraisalError
from appraisal.rendering import workers
from appraisal.rendering.pages import render_result
from appraisal.rendering.reports import render_report
from sample_results import make_result, person


@pytest.fixture
def many():
    """37 appraisees, with names and teams and scores that differ."""
    return make_result(person(f"a{i:02d}", 40.0 + i, f"team {i % 3}", scores=(60.0 + i, 0.5 + i / 100))
                       for i in range(37))


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 5, so that 37 pages are shared out between the workers."""
    monkeypatch.setattr(workers, "BATCH", 5)


@pytest.fixture
def forkable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers are forked even where an earlier test left a native thread behind (a thread pool
    of Arrow's or DuckDB's lives as long as the test process): these tests' workers never touch
    one, and a test that fell back to one process would compare that process with itself."""
    monkeypatch.setattr(workers, "fork_is_safe", lambda: True)


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_scorecards_written_by_two_workers_are_the_files_and_bytes_one_process_writes(many, tmp_path,
                                                                                     forkable) -> None:
    alone = render_result(many, tmp_path / "alone", workers=1)
    assert workers.worker_count(37, 2) == 2
    shared = render_result(many, tmp_path / "shared", workers=2)
    assert [p.relative_to(tmp_path / "shared") for p in shared] == [p.relative_to(tmp_path / "alone") for p in alone]
    assert files(tmp_path / "shared") == files(tmp_path / "alone")
    assert len(alone) == 2 * (1 + 37)


def test_the_report_written_by_two_workers_is_the_report_one_process_writes(many, tmp_path, forkable) -> None:
    counted: list[int] = []
    alone = render_report(many, tmp_path / "alone", workers=1, language="zh")
    shared = render_report(many, tmp_path / "shared", workers=2, language="zh",
                           progress=lambda done, total: counted.append(done))
    assert [p.relative_to(tmp_path / "shared") for p in shared] == [p.relative_to(tmp_path / "alone") for p in alone]
    assert files(tmp_path / "shared") == files(tmp_path / "alone")
    assert counted == list(range(1, len(shared) + 1))


def test_both_workers_write_pages(tmp_path, forkable) -> None:
    """Each worker takes batches: with a page that waits for the other worker to have started,
    neither could finish alone."""
    context = multiprocessing.get_context("fork")
    started = context.Barrier(2, timeout=20)

    def page(i: int) -> Path:
        if i in (0, 5):  # the first page of each of the first two batches
            started.wait()
        (path := tmp_path / f"{i}.txt").write_text(str(i), encoding="utf-8")
        return path

    written = workers.write_pages(12, page, workers=2)
    assert written == [tmp_path / f"{i}.txt" for i in range(12)]


def test_a_template_mistake_in_a_worker_is_the_message_one_process_gives(many, tmp_path, forkable) -> None:
    (templates := tmp_path / "templates").mkdir()
    (templates / "scorecard.html.j2").write_text('{% extends "default:scorecard.html.j2" %}\n'
                                                 '{% block chart %}{{ appraisee.nonexistent }}{% endblock %}',
                                                 encoding="utf-8")
    messages = []
    for count in (1, 2):
        with pytest.raises(AppraisalError) as raised:
            render_result(many, tmp_path / f"out{count}", formats=("html",), user_dir=templates, workers=count)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert "scorecard.html.j2:2" in messages[0] and "nonexistent" in messages[0]


def test_when_this_process_stops_its_workers_are_ended(tmp_path, forkable) -> None:
    def page(i: int) -> Path:
        return tmp_path / f"{i}"

    def stop(_path: Path) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        workers.write_pages(40, page, workers=2, progress=stop)
    assert multiprocessing.active_children() == []


def test_a_worker_that_dies_is_a_clear_error(tmp_path, forkable) -> None:
    def page(i: int) -> Path:
        if i == 7:
            os._exit(3)
        return tmp_path / f"{i}"

    with pytest.raises(AppraisalError, match="a worker process writing pages stopped unexpectedly"):
        workers.write_pages(40, page, workers=2)


def test_few_pages_are_written_by_this_process_alone(forkable) -> None:
    assert workers.worker_count(workers.MIN_PAGES - 1) == 1
    assert workers.worker_count(10_000) == min(workers.usable_cpus(), workers.MAX_WORKERS)


def test_no_worker_is_forked_beside_a_thread_python_does_not_know() -> None:
    """A DuckDB connection runs native threads (its scheduler's), which may hold locks at a fork."""
    import duckdb

    connection = duckdb.connect(config={"threads": 2})
    try:
        connection.execute("select sum(range) from range(1000)").fetchall()
        assert not workers.fork_is_safe()
        assert workers.worker_count(10_000) == 1
    finally:
        connection.close()


def test_frozen_blocks_nest_and_only_the_outermost_thaws() -> None:
    """`frozen` keeps what exists out of the collector's passes; an inner block (the workers'
    fork inside a render) ending does not thaw what the outer one froze."""
    assert gc.get_freeze_count() == 0
    with workers.frozen():
        outer = gc.get_freeze_count()
        assert outer > 0
        with workers.frozen():
            pass
        assert gc.get_freeze_count() >= outer
    assert gc.get_freeze_count() == 0
