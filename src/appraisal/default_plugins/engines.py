"""The built-in engines beyond the embedded DuckDB: PostgreSQL (docs/engines.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from appraisal.engines.remote import EngineKind
from appraisal.hookspecs import hookimpl

if TYPE_CHECKING:
    from appraisal.engines.remote import RemoteSession


def _postgres(settings: Mapping[str, str]) -> RemoteSession:
    from appraisal.engines.postgres_engine import connect  # psycopg only when the engine is chosen

    return connect(settings)


@hookimpl
def register_engines(register: Callable[[EngineKind], None]) -> None:
    register(EngineKind("postgres", _postgres, "PostgreSQL 12 or later, over libpq (psycopg)",
                        needs="pip install 'appraisal[postgres]'"))
