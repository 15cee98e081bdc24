"""A real Spark session for the tests: local mode in this process's JVM, one for the whole run.

It is configured by `appraisal.engines.spark_engine.session`, as a run's own would be. Missing
Java or PySpark skips the test that asked for it, naming what is missing, and fails it under
APPRAISAL_REQUIRE_ALL=1 (`outside.py`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from outside import missing


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Spark session for the whole test session (two cores, small shuffles); the tables
    tests/warehouse.py creates go to a temporary warehouse, not `spark-warehouse/` where pytest runs."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing("Java (a Java 17 or later runtime; Debian: apt-get install default-jre-headless)")
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing("pyspark (pip install 'appraisal[spark]')")
    from appraisal.engines.spark_engine import session

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    started = session({"master": "local[2]", "spark.sql.shuffle.partitions": "2",
                       "spark.sql.warehouse.dir": str(warehouse)})
    yield started
    started.stop()
