"""Connection profiles: an engine and how to reach it, by name, kept outside the schemes.

A scheme travels between people (a consultant's pack, a review by HR), so it never holds a
host or a password: it may name a profile (`profile: warehouse`), and the profile lives in the
operator's own file, `$APPRAISAL_PROFILES`, else `$XDG_CONFIG_HOME/appraisal/profiles.yaml`
(`~/.config/appraisal/profiles.yaml`):

    profiles:
      warehouse:
        engine: postgres
        dsn: "host=db.example.com port=5432 dbname=hr user=appraisal"
        password_env: HR_DB_PASSWORD    # the password is read from this variable

Every key besides `engine` and `password_env` is a connection setting handed to the engine
(PostgreSQL: `dsn` and any libpq keyword, such as `host`, `sslmode`). Which engine a run uses:
`--profile`, else `--engine` (its settings from `APPRAISAL_<ENGINE>_DSN`), else the scheme's
`profile`, else the embedded DuckDB. A setting's value is never part of a message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from appraisal.engines.remote import EMBEDDED
from appraisal.errors import DataError
from appraisal.suggestions import suggest

PROFILES_ENV = "APPRAISAL_PROFILES"
_RESERVED = frozenset({"engine", "password_env"})


@dataclass(frozen=True)
class Choice:
    """The engine a run measures on, and its connection settings (not shown in its repr)."""

    engine: str = EMBEDDED
    settings: Mapping[str, str] = field(default_factory=dict, repr=False)
    profile: str | None = None


def profiles_file() -> Path:
    """Where the profiles are read from (see the module docstring)."""
    if named := os.environ.get(PROFILES_ENV):
        return Path(named).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "appraisal" / "profiles.yaml"


def load_profile(name: str, path: Path | None = None) -> Choice:
    """The profile `name` of the profiles file; a `DataError` that says what is wrong where."""
    path = path or profiles_file()
    entries = _read(path).get("profiles")
    if not isinstance(entries, dict):
        raise DataError(f"{path}: needs a 'profiles' mapping, each profile by name")
    found = entries.get(name)
    if found is None:
        near = suggest(name, entries)
        hint = f"did you mean '{near}'?" if near else f"profiles in it: {', '.join(sorted(entries)) or 'none'}"
        raise DataError(f"unknown profile '{name}' in {path}; {hint}")
    if not isinstance(found, dict) or not isinstance(found.get("engine"), str):
        raise DataError(f"{path}: profile '{name}' needs 'engine: NAME' (postgres, or a plugin's engine)")
    settings: dict[str, str] = {}
    for key, value in found.items():
        if key in _RESERVED:
            continue
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise DataError(f"{path}: profile '{name}': '{key}' must be a text or a number")
        if key in ("password", "dsn") and not isinstance(value, str):  # YAML reads 0123 as 83
            raise DataError(f"{path}: profile '{name}': write '{key}' in quotes, as a text")
        settings[str(key)] = str(value)
    if (variable := found.get("password_env")) is not None:
        password = os.environ.get(str(variable))
        if password is None:
            raise DataError(f"profile '{name}' reads its password from ${variable}, which is not set")
        settings["password"] = password
    return Choice(found["engine"], settings, name)


def choose(engine: str | None, profile: str | None, scheme_profile: str | None) -> Choice:
    """The engine of a run: `--profile`, else `--engine`, else the scheme's profile, else DuckDB."""
    if profile is not None:
        return load_profile(profile)
    if engine is not None:
        dsn = os.environ.get(f"APPRAISAL_{engine.upper()}_DSN")
        return Choice(engine, {"dsn": dsn} if dsn else {})
    if scheme_profile is not None:
        return load_profile(scheme_profile)
    return Choice()


def _read(path: Path) -> dict[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"no profiles file at {path} (set ${PROFILES_ENV} to use another file)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the profiles file {path}: {exc.__class__.__name__}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise DataError(f"{path}{where}: not valid YAML") from None
    if not isinstance(data, dict):
        raise DataError(f"{path}: needs a 'profiles' mapping, each profile by name")
    return data
