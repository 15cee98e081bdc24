"""Ordinary I/O failures are the user's to fix: one clear message and exit 1, never an internal error.

A full disk and a read-only folder are real ones: a tmpfs of a few kilobytes, or one mounted
read-only, in a user and mount namespace of the test's own (`unshare -Urm`, no root needed), with
the command run inside it; what is left on that disk afterwards is listed before it goes. A closed
or broken stdout ends the command quietly, as Unix tools do; a broken stderr only silences the
progress bar. Of two runs into one folder the first wins and the second says the folder exists.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from appraisal.errors import AppraisalError
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from appraisal.results.storing import write_run
from outside import require_user_namespaces

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "measuring"
SCHEME = DATA / "agent.yaml"  # four appraisees: a result.json of about 27 kB


def on_disk(disk: Path, mount: str, *args: str) -> tuple[int, list[str], str]:
    """`python -m appraisal ARGS` with a fresh tmpfs mounted (options `mount`) on `disk`: the exit
    code, what the disk holds afterwards, and stderr."""
    unshare = require_user_namespaces()
    disk.mkdir(exist_ok=True)
    script = ('mount -t tmpfs -o "$1" tmpfs "$2" || exit 99; disk="$2"; shift 2; "$@" >/dev/null; code=$?; '
              'ls -A "$disk"; exit $code')
    proc = subprocess.run([unshare, "-Urm", "sh", "-c", script, "sh", mount, str(disk), sys.executable, "-m",
                           "appraisal", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 99, f"cannot mount a tmpfs: {proc.stderr}"
    return proc.returncode, proc.stdout.split(), proc.stderr


def test_a_full_disk_under_run_says_so_and_keeps_nothing(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    code, remains, err = on_disk(disk, "size=8k", "run", str(SCHEME), "-p", "2026-Q3", "-o", str(disk / "q3"))
    assert (code, err) == (1, f"cannot write {disk}/q3: No space left on device; nothing was kept\n")
    assert remains == []  # no partial folder


def test_a_read_only_output_folder_under_run_says_so(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    code, _, err = on_disk(disk, "ro", "run", str(SCHEME), "-p", "2026-Q3", "-o", str(disk / "q3"))
    assert (code, err) == (1, f"cannot write {disk}/q3: Read-only file system\n")


def test_a_full_disk_under_measure_csv_says_so_and_keeps_no_half_file(tmp_path: Path) -> None:
    disk = tmp_path / "disk"  # one page: the values fit, the data-quality counts do not
    code, remains, err = on_disk(disk, "size=4k", "measure", str(SCHEME), "-p", "2026-Q3",
                                 "--csv", str(disk / "values.csv"), "--quality-csv", str(disk / "quality.csv"))
    assert (code, err) == (1, f"cannot write {disk}/quality.csv: No space left on device\n")
    assert remains == ["values.csv"]


def test_a_read_only_folder_under_render_says_so(run_cli, tmp_path: Path) -> None:
    assert run_cli("run", str(SCHEME), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--no-report").exit_code == 0
    disk = tmp_path / "disk"
    code, _, err = on_disk(disk, "ro", "render", str(tmp_path / "q3"), "-o", str(disk / "report"), "-q")
    assert (code, err) == (1, f"cannot write {disk}/report: Read-only file system; nothing was kept\n")


def test_a_full_disk_under_render_says_so_and_keeps_nothing(run_cli, tmp_path: Path) -> None:
    assert run_cli("run", str(SCHEME), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--no-report").exit_code == 0
    disk = tmp_path / "disk"
    code, remains, err = on_disk(disk, "size=16k", "render", str(tmp_path / "q3"), "-o", str(disk / "report"), "-q")
    assert (code, err) == (1, f"cannot write {disk}/report: No space left on device; nothing was kept\n")
    assert remains == []


def test_a_full_disk_under_demo_says_so(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    code, _, err = on_disk(disk, "size=256k", "demo", "-o", str(disk / "demo"))
    assert (code, err) == (1, f"cannot write the demo data into {disk}/demo/data/agent: No space left on device\n")


def test_a_full_disk_on_stdout_says_so(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:  # every write fails with ENOSPC
        proc = subprocess.run([sys.executable, "-m", "appraisal", "measure", str(SCHEME), "-p", "2026-Q3"],
                              cwd=ROOT, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert (proc.returncode, proc.stderr) == (1, "cannot write the output: No space left on device\n")


def test_a_full_disk_simulated_in_process_says_so_and_keeps_nothing(
    run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same as the real full disk, where no namespace can be made: the first write fails."""
    from appraisal.results import storing

    def full(path: Path, data: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(storing, "_write_json", full)
    result = run_cli("run", str(SCHEME), "-p", "2026-Q3", "-o", str(tmp_path / "q3"))
    assert (result.exit_code, result.stderr) == (
        1, f"cannot write {tmp_path}/q3: No space left on device; nothing was kept\n")
    assert list(tmp_path.iterdir()) == []


def _closed_pipe(*args: str, stream: str = "stdout") -> tuple[int, str]:
    """Run with `stream` a pipe whose reader has left before the first write; exit code and the other stream."""
    proc = subprocess.Popen([sys.executable, "-m", "appraisal", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    getattr(proc, stream).close()
    other = proc.stderr if stream == "stdout" else proc.stdout
    assert other is not None
    text = other.read()
    return proc.wait(timeout=120), text


@pytest.mark.parametrize("args", [("measure", str(SCHEME), "-p", "2026-Q3"), ("schemes", "list"),
                                  ("validate", str(SCHEME), "--json")], ids=lambda a: a[0])
def test_a_closed_pipe_on_stdout_ends_quietly(args: tuple[str, ...]) -> None:
    code, err = _closed_pipe(*args)
    assert (code, err) == (1, "")


def test_explain_into_a_closed_pipe_ends_quietly(run_cli, tmp_path: Path) -> None:
    assert run_cli("run", str(SCHEME), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--no-report").exit_code == 0
    code, err = _closed_pipe("explain", str(tmp_path / "q3"), "-a", "a1")
    assert (code, err) == (1, "")


def test_a_closed_stdout_descriptor_is_no_failure(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "appraisal", "run", str(SCHEME), "-p", "2026-Q3", "-o",
                           str(tmp_path / "q3")], cwd=ROOT, stderr=subprocess.PIPE, text=True, timeout=120,
                          preexec_fn=lambda: os.close(1))  # `appraisal ... >&-`
    assert (proc.returncode, proc.stderr) == (0, "")
    assert (tmp_path / "q3" / "result.json").is_file()


def test_a_broken_stderr_silences_the_progress_bar_not_the_render(run_cli, tmp_path: Path) -> None:
    assert run_cli("run", str(SCHEME), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--no-report").exit_code == 0
    code, out = _closed_pipe("render", str(tmp_path / "q3"), "-o", str(tmp_path / "report"), stream="stderr")
    assert code == 0, out
    assert (tmp_path / "report" / "index.html").is_file()


def test_a_closed_stderr_descriptor_silences_the_progress_bar(run_cli, tmp_path: Path) -> None:
    assert run_cli("run", str(SCHEME), "-p", "2026-Q3", "-o", str(tmp_path / "q3"), "--no-report").exit_code == 0
    proc = subprocess.run([sys.executable, "-m", "appraisal", "render", str(tmp_path / "q3"), "-o",
                           str(tmp_path / "report")], cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=120,
                          preexec_fn=lambda: os.close(2))  # `appraisal ... 2>&-`
    assert proc.returncode == 0
    assert (tmp_path / "report" / "index.html").is_file()


# --- two runs into one folder ------------------------------------------------------------------

TAKEN = "{out} already exists; choose another --out or move it away (results are never overwritten)"


def test_of_two_runs_into_one_folder_the_first_wins_and_the_second_says_it_exists(tmp_path: Path) -> None:
    out = tmp_path / "q3"
    command = [sys.executable, "-m", "appraisal", "run", str(SCHEME), "-p", "2026-Q3", "-o", str(out)]
    procs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    finished = sorted((p.wait(timeout=120), p.communicate()[1]) for p in procs)
    assert finished == [(0, ""), (1, TAKEN.format(out=out) + "\n")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q3"]  # no partial folder of the loser


def test_a_folder_taken_while_the_run_was_written_is_left_to_its_owner(tmp_path: Path) -> None:
    out = tmp_path / "q3"
    result = run(load_scheme(SCHEME), parse_period("2026-Q3"))

    def another_run_finishes_first(partial: Path) -> None:
        out.mkdir()
        (out / "result.json").write_text("the winner's", encoding="utf-8")

    with pytest.raises(AppraisalError) as raised:
        write_run(result, out, extra=another_run_finishes_first)
    assert str(raised.value) == TAKEN.format(out=out)
    assert (out / "result.json").read_text(encoding="utf-8") == "the winner's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q3"]
