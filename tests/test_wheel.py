"""From a wheel: the shipped schemes and templates resolve inside site-packages, not the checkout.

Builds the wheel, installs it (without dependencies) into a fresh virtual environment whose
dependencies come from the test environment, and runs `appraisal demo` from an empty folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600,
                          check=False)


def test_the_demo_runs_from_an_installed_wheel(tmp_path):
    dist = tmp_path / "dist"
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, ROOT)
    assert built.returncode == 0, built.stderr
    [wheel] = dist.glob("appraisal-*.whl")

    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", "--without-pip", venv).returncode == 0
    python = venv / "bin" / "python"
    installed = run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", wheel)
    assert installed.returncode == 0, installed.stderr
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    # Dependencies from the test environment; a plain path line, so its own .pth files
    # (the editable install of the checkout) are not processed.
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    demo = run(venv / "bin" / "appraisal", "demo", cwd=empty, env=env)
    assert demo.returncode == 0, demo.stderr
    report = empty / "appraisal-demo" / "report" / "index.html"  # everything `render` writes (the team report too)
    assert report.is_file() and f"report: {report}" in demo.stdout
    assert (empty / "appraisal-demo" / "report" / "team.html").is_file()
    assert (empty / "appraisal-demo" / "run-2026-Q3" / "report" / "index.html").is_file()  # the run's own

    where = run(python, "-c", "import appraisal, appraisal.shipped as s; print(appraisal.__file__); "
                "print(s.schemes_dir()); print(s.templates_dir())", cwd=empty, env=env)
    package, schemes, templates = (Path(line) for line in where.stdout.split())
    for path in (package, schemes, templates):
        assert path.is_relative_to(site), path
    assert (schemes / "agent.yaml").is_file() and (templates / "scorecard.html.j2").is_file()
    # Plugin authors' type checkers read the public API's hints; their pytest gets appraisal.testing.
    assert (package.parent / "py.typed").is_file()
    [entry_points] = site.glob("appraisal-*.dist-info/entry_points.txt")
    assert "[pytest11]\nappraisal = appraisal.testing\n" in entry_points.read_text(encoding="utf-8")
