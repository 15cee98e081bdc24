"""A stored run measured again: its stored scheme text on the files it read, checked first.

Shared by `appraisal runs verify` (is the run reproduced?) and `appraisal appeal decide --accept`
with a correction (the run again, corrected, as a new version): both must refuse data that is not
what the run read, rather than compute something else under the run's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from appraisal.plugins import Extensions
    from appraisal.scheme.model import Scheme
    from appraisal.store.runs import RunStore, StoredRun


@contextmanager
def stored_scheme(runs: RunStore, run: StoredRun, extensions: Extensions, verb: str) -> Iterator[Scheme]:
    """The run's scheme, loaded from its stored text, once every data file it read is checked
    against the SHA-256 it recorded; `verb` says what cannot be done otherwise ("verify")."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    import json

    from appraisal.errors import AppraisalError
    from appraisal.results.fingerprint import data_fingerprint
    from appraisal.scheme.validation import load_scheme
    from appraisal.store.verifying import changed_files

    recorded = json.loads(runs.file(run.id, "result.json"))
    if not run.data_sha256:
        raise AppraisalError(f"cannot {verb} {run.id}: its rows live in a database, whose tables the run named "
                             "but could not hash; a run again would read today's rows")
    if changed := changed_files(recorded["provenance"]):
        raise AppraisalError(f"cannot {verb} {run.id}: its data changed since it ran: {'; '.join(changed)}")
    with _scheme_file(run, runs.scheme_text(run), verb) as path:
        scheme = load_scheme(path, extensions)
        if scheme.digest != run.scheme_sha256:  # its own text is the stored one: a base it extends changed
            raise AppraisalError(f"cannot {verb} {run.id}: a scheme it extends changed since it ran (the scheme's "
                                 "SHA-256 with its bases is no longer the recorded one)")
        if data_fingerprint(scheme) != run.data_sha256:  # a run stored before each file's hash was kept
            raise AppraisalError(f"cannot {verb} {run.id}: its data changed since it ran")
        yield scheme


def recorded_groups(recorded: dict[str, Any]) -> tuple[str, ...]:
    """The group rows (`--groups`) a stored run's result.json has, in its order."""
    return tuple(dict.fromkeys(str(g["by"]) for g in recorded.get("groups") or []))


@contextmanager
def _scheme_file(run: StoredRun, text: str, verb: str) -> Iterator[Path]:
    """The run's scheme as a file where the run read it (its data paths are relative to it): the
    file itself when unchanged, else the stored text in a hidden file beside it, removed after."""
    # When the command runs, not when the CLI starts (see appraisal.cli):
    import hashlib
    import os
    import tempfile

    from appraisal import interrupts
    from appraisal.errors import AppraisalError

    path = Path(run.scheme_file)
    if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == run.scheme_sha256:
        yield path
        return
    if not path.parent.is_dir():
        raise AppraisalError(f"cannot {verb} {run.id}: the scheme's folder {path.parent} is gone, and its data with it")
    with interrupts.deferred():
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}-stored-", suffix=path.suffix, dir=path.parent)
        interrupts.register_path(Path(name))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as written:
            written.write(text)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
        interrupts.unregister_path(Path(name))
