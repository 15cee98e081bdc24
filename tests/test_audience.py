"""Pages for their audience: `render --for employee|manager|hr` and whom a render shows.

One run of the agent scheme on its demo data (2026-Q3, 50 agents under managers M01..M05) for
the module, rendered into a folder per test.
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pytest

from appraisal.demo.builtin import generate
from appraisal.results.storing import load_run
from appraisal.shipped import shipped_scheme
from outside import require_chromium
from stored_runs import cli


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("audience")
    (folder / "agent.yaml").write_bytes(shipped_scheme("agent").read_bytes())
    generate(folder / "data" / "agent", role="agent")
    done = cli("run", "agent.yaml", "-p", "2026-Q3", "-o", "q3", "--no-report", "--no-store", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder / "q3"


def render(run: Path, out: Path, *args: str) -> Path:
    done = cli("render", str(run), "-o", str(out), "-q", *args, cwd=run.parent)
    assert done.returncode == 0, done.stderr
    return out


def test_an_employee_page_shows_no_one_elses_id_no_path_and_no_command(run: Path, tmp_path: Path) -> None:
    out = render(run, tmp_path / "employees", "--for", "employee", "-f", "html,md")
    people = load_run(run).appraisee_ids()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["scorecards"]  # no summary
    for page in sorted((out / "scorecards").iterdir()):
        text = page.read_text(encoding="utf-8")
        mine = page.stem
        assert mine in text
        assert [other for other in people if other != mine and other in text] == [], page.name
        assert str(run.parent) not in text and not re.search(r"(?<![\w.])/(tmp|home|root|work)/", text), page.name
        assert "appraisal " not in text and "explain" not in text, page.name
        lowered = re.sub(r"<style>.*?</style>", "", text, flags=re.S).lower()  # what the page says, not its CSS
        # the agent scheme does not let employees see pay: no amount, no step saying one
        assert "incentives" not in lowered and "bonus" not in lowered and "commission" not in lowered, page.name


def test_an_employee_sees_pay_only_when_the_scheme_allows_it(run: Path, tmp_path: Path) -> None:
    scheme = run.parent / "agent-pay.yaml"
    text = (run.parent / "agent.yaml").read_text(encoding="utf-8")
    scheme.write_text(text.replace("incentives:\n", "incentives:\n  employees_see_pay: true\n", 1), encoding="utf-8")
    done = cli("run", str(scheme), "-p", "2026-Q3", "-o", str(tmp_path / "paid"), "--no-report", "--no-store",
               cwd=run.parent)
    assert done.returncode == 0, done.stderr
    out = render(tmp_path / "paid", tmp_path / "pages", "--for", "employee", "-a", "CS001", "-f", "md")
    assert "## Incentives" in (out / "scorecards" / "CS001.md").read_text(encoding="utf-8")


def test_a_managers_pages_list_their_people_alone_without_operator_detail(run: Path, tmp_path: Path) -> None:
    result = load_run(run)
    theirs = sorted(a.id for a in result.appraisees if a.manager == "M01")
    out = render(run, tmp_path / "m01", "--for", "manager", "--manager", "M01", "-f", "html,md")
    assert sorted(p.stem for p in (out / "scorecards").glob("*.md")) == theirs
    summary = (out / "index.md").read_text(encoding="utf-8")
    others = [a.id for a in result.appraisees if a.manager != "M01"]
    for page in (summary, (out / "team.md").read_text(encoding="utf-8")):
        assert [other for other in others if other in page] == []
        assert "appraisal explain" not in page and "Scheme file" not in page and "DuckDB" not in page
    assert f"Appraisees {len(theirs)}" in summary


def test_hr_gets_everything_as_before(run: Path, tmp_path: Path) -> None:
    out = render(run, tmp_path / "hr", "-f", "md")
    assert (out / "index.md").is_file() and (out / "team.md").is_file()
    assert "appraisal explain" in (out / "scorecards" / "CS001.md").read_text(encoding="utf-8")


def test_a_team_is_rendered_alone(run: Path, tmp_path: Path) -> None:
    result = load_run(run)
    team = sorted({a.team for a in result.appraisees if a.team})[0]
    out = render(run, tmp_path / "team", "--team", team, "-f", "md")
    assert sorted(p.stem for p in (out / "scorecards").glob("*.md")) == sorted(
        a.id for a in result.appraisees if a.team == team)


@pytest.mark.parametrize(("args", "message"), [
    (["--for", "employee", "-f", "xlsx"], "pages for an employee are html, md, pdf; xlsx would hand over"),
    (["--for", "boss"], "unknown audience 'boss': choose one of hr, manager, employee"),
    (["-a", "CS0O1"], "no appraisee 'CS0O1' in this run; did you mean 'CS"),
    (["--manager", "M9"], "no manager 'M9' in this run"),
], ids=["employee xlsx", "unknown audience", "unknown appraisee", "unknown manager"])
def test_what_cannot_be_rendered_for_an_audience_is_refused(run: Path, tmp_path: Path, args: list[str],
                                                             message: str) -> None:
    done = cli("render", str(run), "-o", str(tmp_path / "out"), *args, cwd=run.parent)
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_each_manager_gets_one_booklet_of_their_peoples_scorecards(run: Path, tmp_path: Path) -> None:
    require_chromium()
    out = render(run, tmp_path / "managers", "--for", "manager", "--manager", "M01", "--manager", "M02", "-f", "pdf")
    result = load_run(run)
    for manager in ("M01", "M02"):
        theirs = sorted(a.id for a in result.appraisees if a.manager == manager)
        pages = 0
        for someone in theirs:
            with pikepdf.open(out / "pdf" / "scorecards" / f"{someone}.pdf") as card:
                pages += len(card.pages)
        with pikepdf.open(out / "pdf" / "managers" / f"{manager}.pdf") as booklet:
            assert len(booklet.pages) == pages
    assert sorted(p.stem for p in (out / "pdf" / "managers").iterdir()) == ["M01", "M02"]


def test_the_examples_of_the_templates_guide_run_as_shown(run: Path, tmp_path: Path) -> None:
    require_chromium()
    guide = (Path(__file__).resolve().parent.parent / "docs" / "templates.md").read_text(encoding="utf-8")
    section = guide[guide.index("**Who the pages are for.**"):]
    [example] = re.findall(r"```sh\n(.*?)```", section, flags=re.S)[:1]
    (tmp_path / "q3").symlink_to(run, target_is_directory=True)  # the run as the guide names it
    for line in example.strip().splitlines():
        done = cli(*line.split()[1:], cwd=tmp_path)
        assert done.returncode == 0, (line, done.stderr)
    assert (tmp_path / "for-li" / "pdf" / "scorecards" / "CS012.pdf").is_file()
    assert (tmp_path / "for-managers" / "pdf" / "managers" / "M02.pdf").is_file()
