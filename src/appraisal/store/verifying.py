"""Whether a stored run is reproduced: its data unchanged, and a fresh run equal to it, bit for bit.

`appraisal runs verify RUN` runs the stored scheme text again on the files the run read, after
checking each file against the SHA-256 the run recorded (a changed or missing file is named and
never used). This module holds the two checks; the command line runs the pipeline between them.
The comparison is of what a run decides: every column of every appraisee's row (values, rows,
flags, targets, scores, weights, contributions, rules, totals, grades, pay) compared exactly
(IS DISTINCT FROM: a different bit of a double is a difference, NULL equals NULL), the
data-quality counts, grade distribution, group rows and the scheme summary of result.json, and
the bytes of totals.csv, quality.csv and groups.csv.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from appraisal.results.stored import sha256
from appraisal.store.runs import RunStore, StoredRun

COMPARED_KEYS = ("format", "scheme", "period", "quality", "grades", "calibration", "groups")
COMPARED_FILES = ("totals.csv", "quality.csv", "groups.csv")


def changed_files(recorded: dict[str, Any]) -> list[str]:
    """The data files of a run's provenance whose bytes are no longer the recorded ones (or that
    are gone), each as a sentence; empty when every file is as the run read it."""
    found = []
    for entry in recorded.get("data_files", []):
        path = Path(entry["file"])
        try:
            digest = sha256(path)
        except FileNotFoundError:
            found.append(f"{path} is gone")
            continue
        except OSError as exc:
            found.append(f"{path} cannot be read ({exc.strerror})")
            continue
        if digest != entry["sha256"]:
            found.append(f"{path} changed (SHA-256 {entry['sha256'][:12]}... when stored, {digest[:12]}... now)")
    return found


def differences(store: RunStore, run: StoredRun, fresh: Path) -> list[str]:
    """How the run folder `fresh` (the same scheme run again) differs from stored `run`."""
    found = []
    stored = json.loads(store.file(run.id, "result.json"))
    again = json.loads((fresh / "result.json").read_text(encoding="utf-8"))
    found += [f"result.json: {key} differs" for key in COMPARED_KEYS if stored.get(key) != again.get(key)]
    kept = set(store.files(run.id))
    for name in COMPARED_FILES:
        here = (fresh / name).read_bytes() if (fresh / name).exists() else None
        if (store.file(run.id, name) if name in kept else None) != here:
            found.append(f"{name} differs")
    found += _cells(store.file(run.id, "appraisees.parquet"), fresh / "appraisees.parquet")
    return found


def _cells(stored: bytes, fresh: Path) -> list[str]:
    """Per column, how many appraisees' cells differ (and who is in one run only)."""
    with tempfile.TemporaryDirectory(prefix="appraisal-verify-") as tmp, duckdb.connect() as con:
        (Path(tmp) / "stored.parquet").write_bytes(stored)
        con.execute("CREATE TABLE a AS SELECT * FROM read_parquet($p)", {"p": str(Path(tmp) / "stored.parquet")})
        con.execute("CREATE TABLE b AS SELECT * FROM read_parquet($p)", {"p": str(fresh)})
        columns_a = [row[0] for row in con.execute("DESCRIBE a").fetchall()]
        columns_b = [row[0] for row in con.execute("DESCRIBE b").fetchall()]
        if columns_a != columns_b:
            return ["appraisees.parquet: the columns differ"]
        found = []
        [(only_a, only_b)] = con.execute(
            "SELECT (SELECT count(*) FROM a ANTI JOIN b USING (appraisee)),"
            " (SELECT count(*) FROM b ANTI JOIN a USING (appraisee))").fetchall()
        if only_a or only_b:
            found.append(f"appraisees: {only_a} only in the stored run, {only_b} only in the run again")
        quoted = {c: '"' + c.replace('"', '""') + '"' for c in columns_a}
        checks = ", ".join(f"count(*) FILTER (WHERE a.{quoted[c]} IS DISTINCT FROM b.{quoted[c]})"
                           for c in columns_a if c != "appraisee")
        counts = con.execute(f"SELECT count(*), {checks} FROM a JOIN b USING (appraisee)").fetchone() or (0,)
        cells = [c for c in columns_a if c != "appraisee"]
        found += [f"{column}: differs for {count} of {counts[0]} appraisees"
                  for column, count in zip(cells, counts[1:], strict=True) if count]
        return found

