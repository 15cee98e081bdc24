"""The pack's demo data: `appraisal demo --role retail:returns-agent` through the pack's hook.

The return handling time of two agents is computed here from the generated returns.csv with
plain Python (median hours from request to completion over the completed returns requested in
2026-Q3, local time) and compared with what appraisal computed. `run_cli` is appraisal.testing's.
"""

from __future__ import annotations

import csv
import statistics
from datetime import datetime
from pathlib import Path

import pytest
from appraisal_retail_pack.demo import demo as write_demo

from appraisal import load_run

pytestmark = pytest.mark.appraisal_plugins("retail")

START, END = datetime(2026, 7, 1), datetime(2026, 10, 1)


@pytest.fixture
def demo(tmp_path: Path, run_cli) -> tuple[Path, str]:
    out = tmp_path / "demo"
    result = run_cli("demo", "--role", "retail:returns-agent", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    return out, result.stdout


def test_the_demo_command_appraises_the_pack_scheme(demo) -> None:
    out, stdout = demo
    assert "appraised with returns-agent v1 for 2026-Q3" in stdout
    assert (out / "returns-agent.yaml").is_file()
    for name in ("agent/tickets.csv", "agent/surveys.csv", "retail/returns.csv", "retail/complaints.csv"):
        assert (out / "data" / name).is_file(), name
    assert (out / "run-2026-Q3" / "report" / "index.html").is_file()


def test_the_demo_return_handling_matches_a_hand_computation(demo) -> None:
    out, _stdout = demo
    with (out / "data" / "retail" / "returns.csv").open(encoding="utf-8") as handle:
        returns = list(csv.DictReader(handle))
    result = load_run(out / "run-2026-Q3").as_dict()
    values = {a["id"]: {c["indicator"]: c["value"] for c in a["cells"]} for a in result["appraisees"]}
    checked = 0
    for agent in sorted({r["agent_id"] for r in returns})[:2]:
        hours = [(datetime.fromisoformat(r["completed_at"]) - datetime.fromisoformat(r["requested_at"])).total_seconds()
                 / 3600 for r in returns if r["agent_id"] == agent and r["status"] == "completed"
                 and START <= datetime.fromisoformat(r["requested_at"]) < END]
        assert values[agent]["return_handling_h"] == pytest.approx(statistics.median(hours), rel=1e-9)
        checked += 1
    assert checked == 2


def test_the_demo_data_is_deterministic(tmp_path: Path) -> None:
    first = write_demo(tmp_path / "a" / "data" / "returns-agent", role="returns-agent")
    second = write_demo(tmp_path / "b" / "data" / "returns-agent", role="returns-agent")
    for name, path in first.files.items():
        assert path.read_bytes() == second.files[name].read_bytes(), name
