"""`appraisal review`: per indicator over the stored periods, how well it separates people.

The store holds the agent scheme on its demo data for 2026-Q2 and Q3 (module fixture); figures
are checked against the stored cells computed again here in Python.
"""

from __future__ import annotations

import io
import json
import statistics
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from appraisal.demo.builtin import generate
from appraisal.shipped import shipped_scheme
from appraisal.store.review import THRESHOLDS, verdicts
from appraisal.store.runs import RunStore
from stored_runs import cli

SCHEME = "after-sales-agent"


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("review")
    (folder / "agent.yaml").write_bytes(shipped_scheme("agent").read_bytes())
    generate(folder / "data" / "agent", role="agent")
    for period in ("2026-Q2", "2026-Q3"):
        done = cli("run", "agent.yaml", "-p", period, "-o", period, "--no-report", "--store", "runs.sqlite",
                   cwd=folder)
        assert done.returncode == 0, done.stderr
    return folder


def reviewed(folder: Path, *more: str) -> dict:  # type: ignore[type-arg]
    done = cli("review", SCHEME, "--json", "--store", "runs.sqlite", *more, cwd=folder)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_each_indicators_spread_and_shares_are_those_of_the_stored_scores(stored: Path) -> None:
    found = reviewed(stored, "-p", "2026-Q3")
    with RunStore(stored / "runs.sqlite") as runs:
        run_id = f"{SCHEME}-2026-Q3-v1"
        table = pq.read_table(io.BytesIO(runs.file(run_id, "appraisees.parquet")), use_threads=False).to_pylist()
        ids = [i["id"] for i in json.loads(runs.file(run_id, "result.json"))["scheme"]["indicators"]]
    for n, indicator in enumerate(ids):
        [figures] = [i for i in found["indicators"] if i["indicator"] == indicator]
        scores = [row[f"score_{n}"] for row in table if row[f"score_{n}"] is not None]
        caps = [json.loads(row[f"parts_{n}"]).get("cap") for row in table if row.get(f"parts_{n}")]
        cap = max((c for c in caps if c is not None), default=max(scores))
        q1, _, q3 = statistics.quantiles(scores, n=4, method="inclusive")
        assert figures["scored"] == len(scores)
        assert figures["sd"] == pytest.approx(statistics.pstdev(scores), abs=1e-5)
        assert figures["iqr"] == pytest.approx(q3 - q1, abs=1e-5)
        assert figures["at_cap"] == pytest.approx(sum(s >= cap - 1e-9 for s in scores) / len(scores), abs=1e-5)
        assert figures["at_zero"] == pytest.approx(sum(s <= 0 for s in scores) / len(scores), abs=1e-5)
        missing = sum(row[f"value_{n}"] is None for row in table) / len(table)
        assert figures["insufficient"] == pytest.approx(missing, abs=1e-5)


def test_correlations_pair_each_appraisees_scores_within_a_period(stored: Path) -> None:
    found = reviewed(stored, "-p", "2026-Q3")
    with RunStore(stored / "runs.sqlite") as runs:
        table = pq.read_table(io.BytesIO(runs.file(f"{SCHEME}-2026-Q3-v1", "appraisees.parquet")),
                              use_threads=False).to_pylist()
    pairs = [(row["score_0"], row["score_4"]) for row in table if None not in (row["score_0"], row["score_4"])]
    expected = statistics.correlation([a for a, _ in pairs], [b for _, b in pairs])
    [first] = [i for i in found["indicators"] if i["indicator"] == "first_response_h"]
    assert first["correlated"]["fcr"] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(("figures", "correlated", "said"), [
    ({"scored": 10, "sd": 1.0, "iqr": 20.0, "at_cap": 0.6, "at_zero": 0.0, "insufficient": 0.0}, {},
     ["too easy: half or more score the cap"]),
    ({"scored": 10, "sd": 1.0, "iqr": 20.0, "at_cap": 0.0, "at_zero": 0.5, "insufficient": 0.0}, {},
     ["too hard: half or more score zero"]),
    ({"scored": 10, "sd": 1.0, "iqr": 2.5, "at_cap": 0.1, "at_zero": 0.1, "insufficient": 0.0}, {},
     ["separates little: the middle half of the scores lie within 2.5 points"]),
    ({"scored": 10, "sd": 9.0, "iqr": 20.0, "at_cap": 0.1, "at_zero": 0.1, "insufficient": 0.25}, {"fcr": -0.95},
     ["moves with fcr (correlation -0.95): one may be enough", "often without data: 25% of the cells"]),
    ({"scored": 10, "sd": 9.0, "iqr": 20.0, "at_cap": 0.1, "at_zero": 0.1, "insufficient": 0.0}, {"fcr": 0.5}, []),
], ids=["too easy", "too hard", "separates little", "moves with another, without data", "fine"])
def test_verdicts_name_what_hr_should_look_at_by_the_documented_thresholds(
    figures: dict, correlated: dict, said: list[str]  # type: ignore[type-arg]
) -> None:
    assert verdicts(figures, correlated) == said
    assert THRESHOLDS == {"at_cap": 0.5, "at_zero": 0.5, "iqr": 5.0, "correlation": 0.9, "insufficient": 0.2}


def test_every_period_is_reviewed_and_the_text_report_says_what_to_look_at(stored: Path) -> None:
    found = reviewed(stored)
    assert found["periods"] == ["2026-Q2", "2026-Q3"] and found["other_versions"] == []
    assert all({p["period"] for p in i["periods"]} == {"2026-Q2", "2026-Q3"} for i in found["indicators"])
    text = cli("review", SCHEME, "--store", "runs.sqlite", cwd=stored).stdout
    assert text.startswith(f"{SCHEME} over 2026-Q2, 2026-Q3 (2 stored runs)\nINDICATOR")
    assert "to look at:" in text or "every indicator separates people" in text


def test_the_markdown_report_is_written_and_never_overwritten(stored: Path, tmp_path: Path) -> None:
    out = tmp_path / "review.md"
    assert cli("review", SCHEME, "-o", str(out), "--store", "runs.sqlite", cwd=stored).returncode == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith(f"# Review of {SCHEME}") and "## 2026-Q2" in page and "## 2026-Q3" in page
    again = cli("review", SCHEME, "-o", str(out), "--store", "runs.sqlite", cwd=stored)
    assert again.returncode == 1 and "never overwritten" in again.stderr


def test_runs_of_another_scheme_version_are_reviewed_with_a_warning(stored: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"  # a copy: the module's store stays as the other tests expect it
    assert cli("store", "backup", str(store), "--store", "runs.sqlite", cwd=stored).returncode == 0
    text = (stored / "agent.yaml").read_text(encoding="utf-8")
    (stored / "agent-v2.yaml").write_text(text.replace("version: 1\n", "version: 2\n", 1), encoding="utf-8")
    done = cli("run", "agent-v2.yaml", "-p", "2026-Q4", "-o", str(tmp_path / "q4"), "--no-report", "--store",
               str(store), cwd=stored)
    assert done.returncode == 0, done.stderr
    said = cli("review", SCHEME, "--store", str(store), cwd=stored).stdout
    assert ("warning: runs of another scheme version are compared (their numbers were computed by other rules): "
            "2026-Q2 (v1), 2026-Q3 (v1)") in said


@pytest.mark.parametrize(("args", "message"), [
    (["after-sales-agnet"], "no stored run of the scheme 'after-sales-agnet' in runs.sqlite; did you mean "
                            "'after-sales-agent'?"),
    ([SCHEME, "-p", "2025-Q1"], f"no stored run of {SCHEME} for 2025-Q1; stored: "),
], ids=["unknown scheme", "unknown period"])
def test_a_scheme_or_period_not_stored_is_named(stored: Path, args: list[str], message: str) -> None:
    done = cli("review", *args, "--store", "runs.sqlite", cwd=stored)
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr
