"""The built-in engines beyond the embedded DuckDB: PostgreSQL and Spark (docs/engines.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from appraisal.engines.remote import EngineKind
from appraisal.errors import DataError
from appraisal.hookspecs import hookimpl

if TYPE_CHECKING:
    from appraisal.engines.remote import RemoteSession


def _postgres(settings: Mapping[str, str]) -> RemoteSession:
    try:
        # psycopg (an extra) and the session load only when the engine is chosen
        from appraisal.engines.postgres_engine import connect
    except ImportError as exc:
        raise DataError(f"the postgres engine needs psycopg ({exc}): pip install 'appraisal[postgres]'") from None
    return connect(settings)


def _spark(settings: Mapping[str, str]) -> RemoteSession:
    try:
        # PySpark (an extra) and the session load only when the engine is chosen
        from appraisal.engines.spark_engine import connect
    except ImportError as exc:
        raise DataError(f"the spark engine needs PySpark ({exc}): pip install 'appraisal[spark]'") from None
    return connect(settings)


@hookimpl
def register_engines(register: Callable[[EngineKind], None]) -> None:
    register(EngineKind("postgres", _postgres, "PostgreSQL 14 or later, over libpq (psycopg)",
                        needs="pip install 'appraisal[postgres]'"))
    register(EngineKind("spark", _spark, "Apache Spark 4: local mode (Java 17+), a cluster or Spark Connect",
                        needs="pip install 'appraisal[spark]' (Spark Connect: 'appraisal[spark-connect]')"))
