"""The benchmark's generators and timer: same arguments, same bytes; a child's CPU time and failure seen.

bench/agent_generate.py writes the shipped agent scheme's files at benchmark scale (1M and 10M
tickets); bench/timing.py times whole processes for every benchmark. Checked here on a few
thousand rows and on tiny programs.
"""

from __future__ import annotations

import sys

import pytest

from bench_scripts import bench_script

agent_generate = bench_script("agent_generate")
timing = bench_script("timing")

TICKETS, AGENTS = 4_000, 100
FILES = ("roster.csv", "tickets.csv", "surveys.csv", "ratings.csv", "pay.csv", "sales.csv")


@pytest.fixture(scope="module")
def agent_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agent-bench")
    return folder, agent_generate.generate(folder, TICKETS, AGENTS, threads=2)


def test_the_agent_generator_writes_the_same_bytes_again(agent_data, tmp_path):
    folder, _ = agent_data
    agent_generate.generate(tmp_path, TICKETS, AGENTS, threads=1)
    for name in FILES:
        assert (tmp_path / "data" / "agent" / name).read_bytes() == (folder / "data" / "agent" / name).read_bytes()


def test_the_agent_generator_writes_the_demo_files_columns(agent_data, tmp_path):
    """The same six files with the same header lines as `appraisal.demo.agent.generate`'s."""
    from appraisal.demo.agent import generate

    demo = generate(tmp_path / "demo")
    folder, _ = agent_data
    for path in demo.paths:
        ours = folder / "data" / "agent" / path.name
        assert ours.read_text(encoding="utf-8").splitlines()[0] == path.read_text(encoding="utf-8").splitlines()[0]
    assert len((folder / "data" / "agent" / "tickets.csv").read_text(encoding="utf-8").splitlines()) == TICKETS + 1


def test_the_agent_scheme_measures_everyone_on_the_generated_data(agent_data, run_cli, tmp_path):
    _, scheme = agent_data
    values = tmp_path / "values.csv"
    result = run_cli("measure", str(scheme), "--period", "2026-Q3", "--csv", str(values))
    assert result.exit_code == 0, result.stderr
    lines = values.read_text(encoding="utf-8").splitlines()[1:]
    assert len(lines) == AGENTS * 10
    new_hire = [line for line in lines if line.startswith("CS000100,")]  # joined in September: no work yet
    assert len(new_hire) == 10 and all(",insufficient data," in line for line in new_hire)
    assert sum(",ok," in line for line in lines) > (AGENTS - 1) * 8


def test_the_agent_folder_records_its_recipe(agent_data):
    folder, _ = agent_data
    assert agent_generate.is_current(folder, TICKETS, AGENTS)
    assert not agent_generate.is_current(folder, TICKETS, AGENTS, seed=2)


def test_a_child_s_cpu_time_and_peak_memory_are_measured():
    sample = timing.run_once([sys.executable, "-c", "x = bytearray(64 << 20); sum(range(3_000_000))"])
    assert sample.cpu > 0.02
    assert sample.wall >= sample.cpu * 0.5
    assert sample.peak_mb > 64


def test_a_failing_program_is_reported_with_its_exit_status_and_stderr():
    with pytest.raises(timing.ProgramFailed, match=r"failed \(exit 3\):\nno such thing"):
        timing.run_once([sys.executable, "-c", "import sys; sys.stderr.write('no such thing'); sys.exit(3)"])


def test_a_missed_ratio_target_is_printed_missed_and_counted(capsys):
    timings = {"sql": timing.Timing(1.0, 1.0, 100, 3), "measure": timing.Timing(1.1, 1.3, 2000, 3)}
    verdicts = timing.Verdicts()
    verdicts.report([*timing.ratio_checks("measure", timings, "sql", 1.15), timing.peak_check("measure", timings)])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[-1] for line in lines] == ["ok", "MISSED", "MISSED"]
    assert verdicts.missed == ["measure / sql cpu", "measure peak memory"]
    assert verdicts.exit_code("x") == 1
