"""A run scored in the engine is stored as appraisal-result/2: result.json a small header and
appraisees.parquet a row per appraisee, copied out of the engine. Read back, it is the
reference's appraisal on every shipped scheme; a file changed after the run is refused."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import duckdb
import pytest

from appraisal.errors import AppraisalError
from appraisal.pipeline import load_scheme, run
from appraisal.results.storing import load_run, write_run
from appraisal.scheme.model import Scheme
from contract import undeclared
from tests.test_scoring_in_engine import DEMOS, PERIOD, demo_scheme

# Adjustments within limits: no shipped scheme has them, so the agent demo gets these.
ADJUSTMENTS = """
adjustments:
  - {when: "resolution_rate >= 0.9", points: 8, reason: {en: Strong resolution, zh: 解决率高}}
  - {when: "first_response_h <= 2", points: 5, reason: Fast first response}
  - {when: "resolution_rate < 0.87", points: -15, reason: Poor resolution}
adjustment_limits: {max_bonus: 10, max_penalty: 10}
"""


def _adjusted(tmp_path: Path) -> Scheme:
    """The agent demo with `ADJUSTMENTS` added."""
    scheme = demo_scheme(tmp_path, "agent")
    path = Path(scheme.source)
    path.write_text(path.read_text(encoding="utf-8").replace("\ngates:", f"{ADJUSTMENTS}\ngates:", 1),
                    encoding="utf-8")
    return load_scheme(path)


def _stored(tmp_path: Path, name: str = "agent", scheme: Scheme | None = None) -> Path:
    """The demo of `name` (or `scheme`) run as `appraisal run` runs it (scored in the engine), stored."""
    scheme = scheme or demo_scheme(tmp_path, name)
    (tables := tmp_path / "tables").mkdir()
    return write_run(run(scheme, PERIOD, tables=tables), tmp_path / "run", tables=tables)


def _without_provenance(data: dict) -> dict:
    return {key: value for key, value in data.items() if key != "provenance"}


def _rewrite(folder: Path, select: str) -> None:
    """Replace appraisees.parquet by `select` over it (`t`), and record the new file's SHA-256
    in result.json, as a careful forger would."""
    parquet = folder / "appraisees.parquet"
    changed = folder / "changed.parquet"
    duckdb.sql(f"COPY ({select.format(t=f'read_parquet({str(parquet)!r})')}) TO '{changed}' (FORMAT PARQUET)")
    changed.replace(parquet)
    header = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    header["appraisees"]["sha256"] = hashlib.sha256(parquet.read_bytes()).hexdigest()
    (folder / "result.json").write_text(json.dumps(header), encoding="utf-8")


@pytest.mark.parametrize("name", list(DEMOS))
def test_a_run_scored_in_the_engine_reads_back_as_the_reference_appraisal(tmp_path: Path, name: str) -> None:
    scheme = demo_scheme(tmp_path, name)
    folder = _stored(tmp_path, scheme=scheme)
    reference = run(scheme, PERIOD)
    assert _without_provenance(load_run(folder).as_dict()) == _without_provenance(reference.as_dict())


def test_adjustments_within_their_limits_read_back_as_the_reference_concludes_them(tmp_path: Path) -> None:
    scheme = _adjusted(tmp_path)
    folder = _stored(tmp_path, scheme=scheme)
    reference = run(scheme, PERIOD)
    applied = {e.when for a in reference.appraisees for e in a.effects if e.kind == "adjustment" and e.applied}
    assert len(applied) == 3, "every adjustment must apply to someone for this test to mean anything"
    assert any(p["key"] in ("bonus_limited", "penalty_limited") for a in reference.appraisees for p in a.step_parts)
    assert _without_provenance(load_run(folder).as_dict()) == _without_provenance(reference.as_dict())


def test_every_key_of_a_stored_runs_header_is_declared_in_the_contract(tmp_path: Path) -> None:
    data = json.loads((_stored(tmp_path, scheme=_adjusted(tmp_path)) / "result.json").read_text(encoding="utf-8"))
    rules = data["appraisees"]["rules"]
    assert rules["adjustments"] and rules["gates"] and rules["incentives"]
    assert undeclared(data) == []


def test_result_json_of_a_stored_run_holds_no_appraisee(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    header = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    assert header["format"] == "appraisal-result/2"
    assert header["appraisees"]["file"] == "appraisees.parquet"
    assert header["appraisees"]["count"] == 50
    assert '"cells"' not in (folder / "result.json").read_text(encoding="utf-8")


def test_the_appraisees_file_has_a_row_per_appraisee_in_roster_order(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    ids = [row[0] for row in duckdb.sql(f"SELECT appraisee FROM '{folder / 'appraisees.parquet'}'").fetchall()]
    assert ids == sorted(ids) and len(set(ids)) == 50


def _flip_a_byte(folder: Path) -> None:
    """Change one byte in the middle of the run's appraisees.parquet (its hash left as it was)."""
    parquet = folder / "appraisees.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))


def test_an_appraisees_file_changed_after_the_run_is_refused(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    _flip_a_byte(folder)
    with pytest.raises(AppraisalError, match="was changed after the run"):
        load_run(folder)


def test_a_missing_appraisees_file_is_refused(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    (folder / "appraisees.parquet").unlink()
    with pytest.raises(AppraisalError, match=r"appraisees\.parquet is missing"):
        load_run(folder)


def test_totals_that_do_not_follow_from_the_cells_are_refused_even_with_a_matching_hash(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    _rewrite(folder, "SELECT * REPLACE (CASE WHEN appraisee = 'CS001' THEN total + 1 ELSE total END AS total) FROM {t}")
    with pytest.raises(AppraisalError, match="does not add up: the totals stored for 'CS001'"):
        load_run(folder)


def test_a_grade_that_does_not_follow_from_the_total_is_refused(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    _rewrite(folder, "SELECT * REPLACE (CASE WHEN appraisee = 'CS002' THEN 'S' ELSE grade END AS grade) FROM {t}")
    with pytest.raises(AppraisalError, match="does not add up"):
        load_run(folder)


def test_a_parquet_file_of_other_columns_is_refused(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    _rewrite(folder, "SELECT appraisee, name FROM {t}")
    with pytest.raises(AppraisalError, match="is not a run's appraisees"):
        load_run(folder)


def test_a_column_of_another_type_is_refused(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    _rewrite(folder, "SELECT * REPLACE (CAST(value_0 AS VARCHAR) AS value_0) FROM {t}")
    with pytest.raises(AppraisalError, match="is not a run's appraisees"):
        load_run(folder)


def test_a_flag_that_is_not_a_text_is_refused(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    _rewrite(folder, "SELECT * REPLACE ([NULL]::VARCHAR[] AS flags) FROM {t}")
    with pytest.raises(AppraisalError, match="is damaged: a flag is not a text"):
        load_run(folder)


def test_one_appraisee_is_read_alone_as_the_whole_run_has_them(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    one = load_run(folder, appraisee="CS007")
    assert [a.id for a in one.appraisees] == ["CS007"]
    assert one.appraisees[0] == load_run(folder).appraisee("CS007")
    assert one.appraisee_ids() == [f"CS{n:03d}" for n in range(1, 51)]


def test_a_count_other_than_the_files_is_refused(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    _rewrite(folder, "SELECT * FROM {t} LIMIT 49")
    with pytest.raises(AppraisalError, match=r"holds 49 appraisees where result\.json records 50"):
        load_run(folder)


def test_a_file_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    parquet = folder / "appraisees.parquet"
    parquet.write_text("appraisee\nCS001\n", encoding="utf-8")
    header = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    header["appraisees"]["sha256"] = hashlib.sha256(parquet.read_bytes()).hexdigest()
    (folder / "result.json").write_text(json.dumps(header), encoding="utf-8")
    with pytest.raises(AppraisalError, match=r"cannot read .*appraisees\.parquet"):
        load_run(folder)


def test_damaged_rules_in_the_header_are_refused(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    header = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    header["appraisees"]["rules"]["grades"][0]["min"] = "high"
    (folder / "result.json").write_text(json.dumps(header), encoding="utf-8")
    where = re.escape("appraisees.rules.grades[0].min")
    with pytest.raises(AppraisalError, match=f"is damaged: {where}: expected a number or null"):
        load_run(folder)


def test_a_run_appraised_in_python_is_stored_in_format_1_and_reads_back(tmp_path: Path) -> None:
    result = run(demo_scheme(tmp_path, "agent"), PERIOD)
    folder = write_run(result, tmp_path / "run")
    assert json.loads((folder / "result.json").read_text(encoding="utf-8"))["format"] == "appraisal-result/1"
    assert not (folder / "appraisees.parquet").exists()
    assert load_run(folder).as_dict() == result.as_dict()


def test_render_json_of_a_stored_run_copies_its_appraisees_file_too(run_cli, tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    out = tmp_path / "out"
    assert run_cli("render", str(folder), "-f", "json", "--out", str(out), "-q").exit_code == 0
    assert (out / "appraisees.parquet").read_bytes() == (folder / "appraisees.parquet").read_bytes()
    assert load_run(out).as_dict() == load_run(folder).as_dict()


def test_an_appraisee_without_an_id_is_refused_by_explain_and_render(run_cli, tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    _rewrite(folder, "SELECT * REPLACE (nullif(appraisee, 'CS002') AS appraisee) FROM {t}")
    for args in (["explain", str(folder), "-a", "NOPE"],
                 ["render", str(folder), "-o", str(tmp_path / "out"), "-f", "html"]):
        done = run_cli(*args)
        assert (done.exit_code, "internal error" in done.stderr) == (1, False), (args, done.stderr)
        assert "is damaged: an appraisee has no id" in done.stderr


def test_a_run_read_for_one_appraisee_is_not_stored(tmp_path: Path) -> None:
    folder = _stored(tmp_path)
    with pytest.raises(AppraisalError, match="a run read for one appraisee"):
        write_run(load_run(folder, appraisee="CS001"), tmp_path / "again")
    assert not (tmp_path / "again").exists()


def test_a_write_that_fails_leaves_the_engines_tables_for_another_try(tmp_path: Path) -> None:
    scheme = demo_scheme(tmp_path, "agent")
    (tables := tmp_path / "tables").mkdir()
    result = run(scheme, PERIOD, tables=tables)

    def broken(_folder: Path) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(AppraisalError, match="No space left on device"):
        write_run(result, tmp_path / "run", extra=broken, tables=tables)
    assert not (tmp_path / "run").exists()
    folder = write_run(result, tmp_path / "run", tables=tables)
    assert load_run(folder).as_dict() == result.as_dict()
