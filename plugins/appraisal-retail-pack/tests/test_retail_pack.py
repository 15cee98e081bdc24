"""The example retail pack: installed as a package, loaded through its entry point.

tests/returns-shop.yaml is a shop's scheme that `extends: retail:returns-agent` and reads the
small data beside it (data/agent/*.csv for the inherited indicators, data/retail/*.csv for the
pack's). By hand, for 2026-Q3 (Asia/Shanghai, inherited from the shipped agent scheme):

    return_handling_h (median hours over completed returns; target 48, worst 120, best 24 -> 120)
      r1: R-1 24 h, R-2 60 h, R-3 18 h, R-4 open         median 24 h -> 120 points
      r2: R-5 48 h, R-6 96 h (R-7 was requested in June)  median 72 h -> (120-72)/(120-48)*100 = 66.67
    complaint_handling (resolved within 24 h / all complaints; target 0.9, worst 0.5)
      r1: C-1 10 h yes, C-2 48 h no                       1/2 -> 0 points
      r2: C-3 3 h yes, C-4 open, C-5 12 h yes             2/3 -> (2/3-0.5)/0.4*100 = 41.67
    total r1: .15*120 + .10*120 + .30*80 (csat 0.9) + .10*100 (qa 4.5) + .20*120 + .15*0 = 88 -> B

The fixtures (`run_cli`, `appraisal_plugins`) come from `appraisal.testing`, which installing
appraisal gives to pytest; the marker loads this pack alone, so nothing else installed on the
machine changes the results.
"""

from __future__ import annotations

import json
from pathlib import Path

import appraisal_retail_pack
import pytest
import yaml

from appraisal import find_scheme, load_run, load_scheme, parse_period, render_result, run, template_environment

pytestmark = pytest.mark.appraisal_plugins("retail")

HERE = Path(__file__).parent
SHOP = HERE / "returns-shop.yaml"
BANNER = "Retail &amp; e-commerce pack · returns, exchanges and complaints"


def test_plugins_lists_the_pack_with_its_version_and_hook(run_cli) -> None:
    result = run_cli("plugins", "--json")
    assert result.exit_code == 0, result.stderr
    [mine] = [p for p in json.loads(result.stdout) if p["name"] == "retail"]
    assert mine == {"name": "retail", "version": "0.1.0", "hooks": ["register_packs"], "source": "entrypoint"}


def test_schemes_list_shows_the_pack_scheme(run_cli) -> None:
    result = run_cli("schemes", "list", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["retail:returns-agent"] == {
        "name": "retail:returns-agent",
        "pack": "retail",
        "id": "returns-agent",
        "role": "agent",
        "version": 1,
        "title": "Returns and exchanges agent",
    }
    assert "agent" in rows  # the shipped schemes are still there, under their bare names


def test_without_the_plugin_the_pack_is_not_listed(appraisal_plugins, run_cli) -> None:
    appraisal_plugins.load()  # the built-ins alone
    result = run_cli("schemes", "list")
    assert result.exit_code == 0, result.stderr
    assert "retail:" not in result.stdout


def test_the_pack_registers_folders_inside_its_package(appraisal_plugins) -> None:
    pack = appraisal_plugins.packs.get("retail")
    package = Path(appraisal_retail_pack.__file__).parent
    assert pack is not None and pack.plugin == "retail"
    assert (pack.version, pack.title) == ("0.1.0", "Retail and e-commerce after-sales")
    assert pack.schemes == package / "schemes" and pack.templates == package / "templates"
    assert [p.name for p in pack.scheme_files()] == ["returns-agent.yaml"]


def test_the_scheme_validates(run_cli) -> None:
    path = find_scheme("retail:returns-agent")
    assert path is not None and path.name == "returns-agent.yaml"
    result = run_cli("validate", str(path))
    assert result.exit_code == 0, result.stderr
    assert "(scheme returns-agent, 6 indicators)" in result.stdout


def test_the_scheme_resolves_over_the_shipped_agent_scheme(run_cli) -> None:
    result = run_cli("schemes", "show", "retail:returns-agent", "--resolved")
    assert result.exit_code == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert "extends" not in resolved
    assert resolved["scheme"] == "returns-agent" and resolved["role"] == "agent"
    weights = {i["id"]: i["weight"] for i in resolved["indicators"]}
    assert weights == {  # inherited ones re-weighted, completion_h dropped, two added at the end
        "first_response_h": 15, "resolution_rate": 10, "csat": 30, "qa_review": 10,
        "return_handling_h": 20, "complaint_handling": 15,
    }
    assert sum(weights.values()) == 100
    assert set(resolved["datasets"]) == {"tickets", "surveys", "pay", "sales", "returns", "complaints"}
    csat = next(i for i in resolved["indicators"] if i["id"] == "csat")
    assert csat["measure"]["min_count"] == 10  # an override keeps the keys it does not give


def test_a_shop_scheme_measures_the_pack_indicators_by_hand(run_cli) -> None:
    result = run_cli("measure", str(SHOP), "--period", "2026-Q3", "--json")
    assert result.exit_code == 0, result.stderr
    measured = json.loads(result.stdout)
    values = {(v["appraisee"], v["indicator"]): (v["value"], v["rows"]) for v in measured["values"]}
    assert values["r1", "return_handling_h"] == (pytest.approx(24.0), 3)
    assert values["r2", "return_handling_h"] == (pytest.approx(72.0), 2)
    assert values["r1", "complaint_handling"] == (pytest.approx(0.5), 2)
    assert values["r2", "complaint_handling"] == (pytest.approx(2 / 3), 3)
    quality = {(q["dataset"], q["cause"]): q["count"] for q in measured["quality"]}
    assert quality == {("returns", "outside period"): 1}


def _run(run_cli, out: Path) -> dict:
    result = run_cli("run", str(SHOP), "--period", "2026-Q3", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    return load_run(out).as_dict()


def test_a_run_scores_and_grades_by_hand(tmp_path: Path, run_cli) -> None:
    data = _run(run_cli, tmp_path / "run")
    people = {a["id"]: a for a in data["appraisees"]}
    scores = {a: {c["indicator"]: c["score"] for c in p["cells"]} for a, p in people.items()}
    assert scores["r1"]["return_handling_h"] == pytest.approx(120)
    assert scores["r2"]["return_handling_h"] == pytest.approx(100 * 48 / 72)
    assert scores["r1"]["complaint_handling"] == pytest.approx(0)
    assert scores["r2"]["complaint_handling"] == pytest.approx(100 * (2 / 3 - 0.5) / 0.4)
    assert people["r1"]["total"] == pytest.approx(88)
    assert people["r1"]["grade"] == "B"


def test_the_pack_template_overrides_the_scorecard_header(tmp_path: Path) -> None:
    """Rendered with the installed packs' template folders, as the layered loader orders them."""
    result = run(load_scheme(SHOP), parse_period("2026-Q3"))
    render_result(result, tmp_path, formats=("html",))
    card = (tmp_path / "scorecards" / "r1.html").read_text(encoding="utf-8")
    assert BANNER in card
    assert card.index("<h1>Chen Jing</h1>") < card.index(BANNER)  # super(): the header is kept
    assert BANNER not in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_appraisal_run_renders_scorecards_with_the_pack_override(tmp_path: Path, run_cli) -> None:
    _run(run_cli, tmp_path / "run")
    card = (tmp_path / "run" / "report" / "scorecards" / "r1.html").read_text(encoding="utf-8")
    assert BANNER in card


def test_the_override_is_for_the_pack_scheme_only(appraisal_plugins) -> None:
    """Installing the pack does not restyle other schemes' scorecards: its override is named
    for its own scheme's id, so the shipped agent scheme still gets the default scorecard."""
    pack = appraisal_plugins.packs.get("retail")
    env = template_environment()
    mine = env.select_template(["scorecard-returns-agent.html.j2", "scorecard.html.j2"])
    theirs = env.select_template(["scorecard-after-sales-agent.html.j2", "scorecard.html.j2"])
    assert mine.filename is not None and theirs.filename is not None  # both read from files
    assert Path(mine.filename).parent == pack.templates
    assert Path(mine.filename).parent.parent.name == "appraisal_retail_pack"
    assert Path(theirs.filename).name == "scorecard.html.j2"
    assert pack.templates not in Path(theirs.filename).parents
