"""The industry packs `manufacturing` and `it`: their schemes, demo data and `appraisal demo`.

As in `test_role_schemes.py`, the expected values are computed here from the raw CSV rows with
plain Python, following each scheme's rules as an HR author would on paper, and compared with
what `appraisal` computed in DuckDB. The demo data are generated afresh (seed 2026, 2026-Q3).
"""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from appraisal.demo.builtin import generate as generate_builtin
from appraisal.demo.industry import generate
from appraisal.errors import DataError
from appraisal.periods import parse_period
from appraisal.pipeline import load_scheme, run
from handcalc import assert_deterministic, assert_role_page, linear, rows

ROOT = Path(__file__).resolve().parent.parent
SCHEMES = {"manufacturing": ROOT / "schemes" / "manufacturing" / "service-engineer.yaml",
           "it": ROOT / "schemes" / "it" / "support-engineer.yaml"}
ROLE = {"manufacturing": "service-engineer", "it": "support-engineer"}
# The indicators source 000 lists for each industry, as this pack names them.
SOURCE_INDICATORS = {
    "manufacturing": {"repair_response_h", "tech_support_quality", "repair_cost_saving", "spare_part_on_time",
                      "repurchase_rate"},
    "it": {"resolution_on_time", "solution_accuracy", "feedback_score", "online_response_min"},
}
START, END = datetime(2026, 7, 1), datetime(2026, 10, 1)  # 2026-Q3, local time in Asia/Shanghai
GRADES = (("S", 110), ("A", 95), ("B", 80), ("C", 60), ("D", 0))


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    out = {}
    for pack, scheme in SCHEMES.items():
        folder = tmp_path_factory.mktemp(pack)
        (folder / scheme.name).write_bytes(scheme.read_bytes())
        files = generate(folder / "data" / ROLE[pack], role=ROLE[pack])
        out[pack] = (files, run(load_scheme(folder / scheme.name), parse_period("2026-Q3")))
    return out




def in_period(text: str) -> bool:
    return START <= datetime.fromisoformat(text) < END


def elapsed(later: str, earlier: str, unit: int) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds() / unit




def bought_again(orders: list[datetime], repaired_at: str, days: int = 90) -> bool:
    """Whether the customer's first order strictly after the repair came at most `days` later."""
    repaired = datetime.fromisoformat(repaired_at)
    later = [at for at in orders if at > repaired]
    return bool(later) and (min(later) - repaired).total_seconds() <= days * 86400


def manufacturing(folder: Path, who: str) -> tuple[dict[str, tuple[float, float | None, float]], bool]:
    """(value, score, weight) by indicator, and whether the gate caps the total."""
    out: dict[str, tuple[float, float | None, float]] = {}
    every = rows(folder / "work_orders.csv", "order_id")
    mine = [r for r in every if r["engineer_id"] == who and in_period(r["reported_at"]) and r["kind"] != "recall"]
    waits = [elapsed(r["arrived_at"], r["reported_at"], 3600) for r in mine if r["arrived_at"]]
    if len(waits) >= 10:
        value = statistics.median(waits)
        out["repair_response_h"] = (value, linear(value, 72, 24, 8, 120), 25)
    ratings = [int(r["rating"]) for r in rows(folder / "ratings.csv")
               if r["appraisee"] == who and r["rater"] != who and 1 <= int(r["rating"]) <= 5]
    quality = statistics.fmean(ratings) if ratings else None
    if quality is not None:
        out["tech_support_quality"] = (quality, linear(quality, 1, 4, 5, 120), 20)
    cost = sum(float(r["labour_cny"]) + float(r["parts_cny"]) + float(r["travel_cny"]) for r in mine)
    budget = sum(float(r["budget_cny"]) for r in rows(folder / "budgets.csv", "budget_id")
                 if r["engineer_id"] == who and in_period(r["month"]))
    out["repair_cost"], out["repair_budget"] = (cost, None, 0), (budget, None, 0)
    saving = (budget - cost) / budget
    out["repair_cost_saving"] = (saving, linear(saving, -0.10, 0, 0.05, 120), 20)
    recall = {r["order_id"] for r in every if r["kind"] == "recall"}
    owner = {r["order_id"]: r["engineer_id"] for r in every}
    parts = [r for r in rows(folder / "part_requests.csv", "request_id")
             if owner.get(r["order_id"]) == who and r["order_id"] not in recall and in_period(r["requested_at"])]
    if len(parts) >= 5:
        value = sum(bool(r["delivered_at"]) and r["delivered_at"] <= r["needed_by"] for r in parts) / len(parts)
        out["spare_part_on_time"] = (value, linear(value, 0.75, 0.95, 1.0, 120), 15)
    repaired = [r for r in mine if r["status"] == "repaired"]
    if len(repaired) >= 10:
        served = {r["customer_id"] for r in repaired}
        ordered: dict[str, list[datetime]] = {}
        for order in rows(folder / "orders.csv", "order_id"):
            ordered.setdefault(order["customer_id"], []).append(datetime.fromisoformat(order["ordered_at"]))
        again = {r["customer_id"] for r in repaired
                 if bought_again(ordered.get(r["customer_id"], []), r["repaired_at"])}
        out["customers_served"], out["customers_repurchased"] = (len(served), None, 0), (len(again), None, 0)
        value = len(again) / len(served)
        out["repurchase_rate"] = (value, linear(value, 0.15, 0.40, 0.60, 120), 20)
    return out, quality is not None and quality < 2.5


def it(folder: Path, who: str) -> tuple[dict[str, tuple[float, float | None, float]], bool]:
    """(value, score, weight) by indicator, and whether the gate caps the total."""
    out: dict[str, tuple[float, float | None, float]] = {}
    every = rows(folder / "incidents.csv", "incident_id")
    mine = [r for r in every
            if r["engineer_id"] == who and in_period(r["opened_at"]) and r["cause"] != "platform_outage"]
    deadline = {"P1": 4, "P2": 24, "P3": 48}
    if len(mine) >= 20:
        value = sum(r["status"] == "resolved"
                    and elapsed(r["resolved_at"], r["opened_at"], 3600) <= deadline[r["priority"]]
                    for r in mine) / len(mine)
        out["resolution_on_time"] = (value, linear(value, 0.60, 0.90, 1.0, 120), 30)
    resolved = [r for r in mine if r["status"] == "resolved"]
    accuracy = None
    if len(resolved) >= 20:
        accuracy = sum(r["reopened"] == "N" for r in resolved) / len(resolved)
        out["solution_accuracy"] = (accuracy, linear(accuracy, 0.80, 0.95, 1.0, 120), 25)
    owner = {r["incident_id"]: r["engineer_id"] for r in every if r["cause"] != "platform_outage"}
    scores = [int(r["score"]) for r in rows(folder / "feedback.csv", "feedback_id")
              if owner.get(r["incident_id"]) == who and in_period(r["answered_at"])]
    if len(scores) >= 10:
        value = statistics.fmean(scores)
        out["feedback_score"] = (value, linear(value, 3, 4.5, 5, 120), 30)
    waits = [elapsed(r["first_reply_at"], r["opened_at"], 60) for r in mine if r["channel"] in ("chat", "web")]
    if len(waits) >= 20:
        value = statistics.median(waits)
        out["online_response_min"] = (value, linear(value, 60, 10, 2, 120), 15)
    return out, accuracy is not None and accuracy < 0.8


BY_HAND = {"manufacturing": manufacturing, "it": it}


def total_and_grade(cells: dict[str, tuple[float, float | None, float]], capped: bool) -> tuple[float, str]:
    """Weighted mean of the scored indicators (those without a value re-weighted away), the gate, the grade."""
    scored = [(score, weight) for _, score, weight in cells.values() if weight and score is not None]
    total = sum(s * w for s, w in scored) / sum(w for _, w in scored)
    if capped:
        total = min(total, 60)
    return total, next(g for g, low in GRADES if total >= low)


def picked(result, which: str) -> str:
    graded = sorted((a for a in result.appraisees if a.total is not None), key=lambda a: a.total)
    return (graded[-1] if which == "best" else graded[0]).id


@pytest.mark.parametrize("which", ["best", "worst"])
@pytest.mark.parametrize("pack", SCHEMES)
def test_values_and_scores_match_a_hand_computation(demos, pack, which):
    files, result = demos[pack]
    who = picked(result, which)
    cells, _capped = BY_HAND[pack](files.folder, who)
    computed = result.appraisee(who)
    assert {c.indicator for c in computed.cells if c.value is not None} == set(cells)
    for indicator, (value, score, _weight) in cells.items():
        cell = computed.cell(indicator)
        assert cell.value == pytest.approx(value, rel=1e-9), indicator
        assert cell.score == (None if score is None else pytest.approx(score, rel=1e-9)), indicator


@pytest.mark.parametrize("which", ["best", "worst"])
@pytest.mark.parametrize("pack", SCHEMES)
def test_total_and_grade_match_a_hand_computation(demos, pack, which):
    files, result = demos[pack]
    who = picked(result, which)
    total, grade = total_and_grade(*BY_HAND[pack](files.folder, who))
    computed = result.appraisee(who)
    assert computed.total == pytest.approx(total, rel=1e-9)
    assert computed.grade == grade


@pytest.mark.parametrize("pack", SCHEMES)
def test_everyone_is_graded_and_the_grades_spread(demos, pack):
    files, result = demos[pack]
    assert 15 <= len(result.appraisees) <= 20
    assert all(a.grade for a in result.appraisees)
    assert len({a.grade for a in result.appraisees}) >= 3
    assert files.unknown_appraisee not in {a.id for a in result.appraisees}


@pytest.mark.parametrize("pack", SCHEMES)
def test_the_planted_defects_are_counted(demos, pack):
    files, result = demos[pack]
    main = "work_orders" if pack == "manufacturing" else "incidents"
    causes = {(q["dataset"], q["cause"]): q["count"] for q in result.quality}
    assert causes[main, "unknown appraisee"] == causes[main, "duplicate key"] == causes[main, "outside period"] == 1
    if pack == "manufacturing":
        assert causes["ratings", "rating outside scale"] == files.defects["rating_out_of_scale"] == 1


@pytest.mark.parametrize("pack", SCHEMES)
def test_the_excluded_rows_are_counted_as_by_hand(demos, pack):
    files, result = demos[pack]
    main, key, period_by, column, kind = {
        "manufacturing": ("work_orders", "order_id", "reported_at", "kind", "recall"),
        "it": ("incidents", "incident_id", "opened_at", "cause", "platform_outage"),
    }[pack]
    by_hand = sum(r[column] == kind and in_period(r[period_by]) for r in rows(files.files[main], key))
    [counted] = [q["count"] for q in result.quality if q["dataset"] == main and q["cause"].startswith("excluded")]
    assert by_hand > 0 and counted == by_hand


@pytest.mark.parametrize("pack", SCHEMES)
def test_the_scheme_validates(run_cli, pack):
    outcome = run_cli("validate", str(SCHEMES[pack]))
    assert outcome.exit_code == 0, outcome.stderr
    assert outcome.stdout.startswith("ok:")


@pytest.mark.parametrize("pack", SCHEMES)
def test_every_indicator_the_source_lists_is_weighted(pack):
    scheme = load_scheme(SCHEMES[pack])
    weighted = {i.id for i in scheme.indicators if i.weight > 0}
    assert weighted == SOURCE_INDICATORS[pack]
    assert sum(i.weight for i in scheme.indicators) == 100


@pytest.mark.parametrize("pack", SCHEMES)
def test_every_indicator_is_explained_in_english_and_chinese(pack):
    scheme = load_scheme(SCHEMES[pack])
    assert {"en", "zh"} <= set(scheme.title)
    for indicator in scheme.indicators:
        assert {"en", "zh"} <= set(indicator.title) and {"en", "zh"} <= set(indicator.definition), indicator.id
        assert indicator.unit, indicator.id
        if indicator.weight:
            assert indicator.target is not None and indicator.score is not None, indicator.id
    assert scheme.calibration and scheme.role == ROLE[pack]


def test_schemes_list_shows_both_packs_by_pack_role_and_version(run_cli):
    result = run_cli("schemes", "list", "--json")
    assert result.exit_code == 0, result.stderr
    listed = {row["name"]: row for row in json.loads(result.stdout)}
    for pack, role in ROLE.items():
        row = listed[f"{pack}:{role}"]
        assert (row["pack"], row["id"], row["role"], row["version"]) == (pack, role, role, 1)
    assert listed["agent"]["pack"] == "builtin"


def test_schemes_list_table_keeps_long_names_in_their_column(run_cli):
    result = run_cli("schemes", "list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    line = next(x for x in lines if x.startswith("manufacturing:service-engineer "))
    assert line.split()[:4] == ["manufacturing:service-engineer", "manufacturing", "service-engineer", "v1"]
    assert lines[0].split() == ["scheme", "pack", "role", "version", "title"]
    assert len({x.index(" v1 ") for x in lines[1:]}) == 1  # the version column lines up
    assert lines[0].index(" version ") + 1 == lines[1].index(" v1 ") + 1  # under its heading


def test_schemes_show_names_a_pack_scheme(run_cli):
    result = run_cli("schemes", "show", "manufacturing:service-engineer")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("After-sales service engineer (manufacturing) (service-engineer v1")
    assert "Customer repurchase rate [repurchase_rate]" in result.stdout


def test_the_built_in_pack_does_not_list_the_industry_schemes():
    from appraisal.plugins import extensions

    packs = extensions().packs
    assert "service-engineer.yaml" not in [p.name for p in packs["builtin"].scheme_files()]
    assert [p.name for p in packs["manufacturing"].scheme_files()] == ["service-engineer.yaml"]
    assert [p.name for p in packs["it"].scheme_files()] == ["support-engineer.yaml"]


def test_hook_register_packs_registers_the_industry_packs_with_demo_data():
    from appraisal.plugins import extensions

    packs = extensions().packs
    assert {"builtin", "manufacturing", "it"} <= set(packs.names())
    assert all(packs[name].demo is not None and packs[name].plugin == "appraisal.default_plugins.packs"
               for name in ("builtin", "manufacturing", "it"))


def test_the_built_in_pack_demo_is_the_shipped_generator(tmp_path):
    from appraisal.plugins import extensions

    through_pack = extensions().packs["builtin"].demo(tmp_path / "a", role="warehouse", seed=2026, period="2026-Q3")
    direct = generate_builtin(tmp_path / "b", role="warehouse")
    for a, b in zip(through_pack.paths, direct.paths, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


@pytest.mark.parametrize("pack", SCHEMES)
def test_the_demo_command_runs(run_cli, tmp_path, pack):
    role = ROLE[pack]
    outcome = run_cli("demo", "--role", f"{pack}:{role}", "--out", str(tmp_path / "demo"))
    assert outcome.exit_code == 0, outcome.stderr
    assert re.search(r"appraised with \S+ v1 for 2026-Q3: 1[68] graded", outcome.stdout)
    assert (tmp_path / "demo" / f"{role}.yaml").is_file()
    assert (tmp_path / "demo" / "data" / role / "roster.csv").is_file()
    assert (tmp_path / "demo" / "run-2026-Q3" / "report" / "index.html").is_file()


def test_a_pack_without_demo_data_says_so(run_cli, tmp_path):
    plugins = tmp_path / "plugins"
    (plugins / "schemes").mkdir(parents=True)
    (plugins / "schemes" / "support-engineer.yaml").write_bytes(SCHEMES["it"].read_bytes())
    (plugins / "nodemo.py").write_text(
        "from pathlib import Path\nfrom appraisal.hookspecs import hookimpl\n"
        "from appraisal.scheme.packs import Pack\n\n\n"
        "@hookimpl\ndef register_packs(register):\n"
        "    register(Pack('nodemo', Path(__file__).parent / 'schemes'))\n", encoding="utf-8")
    outcome = run_cli("--plugins-dir", str(plugins), "demo", "--role", "nodemo:support-engineer",
                      "--out", str(tmp_path / "demo"), env={"APPRAISAL_LOAD_PLUGINS": "nodemo"})
    assert outcome.exit_code == 1
    assert "pack 'nodemo' ships no demo data" in outcome.stderr
    assert not (tmp_path / "demo").exists()


def test_a_scheme_file_outside_every_pack_has_no_demo(run_cli, tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_bytes(SCHEMES["it"].read_bytes())
    outcome = run_cli("demo", "--role", str(mine), "--out", str(tmp_path / "demo"))
    assert outcome.exit_code == 1
    assert "is not a scheme of an installed pack" in outcome.stderr


@pytest.mark.parametrize("pack", SCHEMES)
def test_generation_is_deterministic(tmp_path, pack):
    assert_deterministic(generate, tmp_path, role=ROLE[pack])


def test_an_unknown_industry_role_has_no_demo(tmp_path):
    with pytest.raises(DataError, match="no industry demo data for role 'welder'"):
        generate(tmp_path, role="welder")


@pytest.mark.parametrize("pack", SCHEMES)
def test_the_role_page_yaml_excerpts_load(pack):
    assert_role_page(ROOT / "docs" / "roles" / f"{ROLE[pack]}.md", f"appraisal demo --role {pack}:{ROLE[pack]}")


def test_the_wheel_carries_the_industry_schemes(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path),
                            str(ROOT)],
                           capture_output=True, text=True, timeout=600, check=False)
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("appraisal-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"appraisal/shipped/schemes/manufacturing/service-engineer.yaml",
            "appraisal/shipped/schemes/it/support-engineer.yaml", "appraisal/demo/industry.py"} <= names
