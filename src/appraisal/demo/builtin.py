"""The built-in pack's demo data: one generator per shipped role, chosen by the scheme's stem.

`agent` is `agent.generate`, `manager` the agents' demo plus the team's complaints, staff, cost
and 360 (`manager.generate_manager`), and the other shipped roles (warehouse, designer,
purchaser) `roles.generate_role`. The choice lives here, above the generators, because the
manager's demo is built from the agents'.
"""

from __future__ import annotations

from pathlib import Path

from appraisal.demo.agent import DemoFiles
from appraisal.demo.agent import generate as generate_agent
from appraisal.demo.manager import generate_manager
from appraisal.demo.roles import RoleDemoFiles, generate_role


def generate(
    folder: Path, *, role: str = "agent", seed: int = 2026, period: str = "2026-Q3", tickets: int | None = None
) -> DemoFiles | RoleDemoFiles:
    """Write the demo data of `role` for `period` into `folder`; the same seed gives the same bytes."""
    if role == "agent":
        return generate_agent(folder, seed=seed, period=period, tickets=tickets)
    if role == "manager":
        return generate_manager(folder, seed=seed, period=period)
    return generate_role(folder, role=role, seed=seed, period=period)
