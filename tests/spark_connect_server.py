"""A real Spark Connect server for the tests: a separate JVM on a loopback port, one for the whole run.

The server is started from the Spark that PySpark carries (`bin/spark-submit` with the Connect
server's class, its jar in `jars/`), in local mode with two cores, in a temporary folder, and
stopped after. As root (CI) it runs as the unprivileged system user PostgreSQL's test server
runs as: it then cannot read this process's private folders (the spill folder, pytest's), as a
server on another machine could not, so a run that handed it a local file would fail here.
Missing Java, PySpark or the Connect client skips the test that asked for it, naming what is
missing, and fails it under APPRAISAL_REQUIRE_ALL=1 (`outside.py`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopback_servers import free_port, unprivileged
from outside import missing

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
STARTUP_SECONDS = 180


def _spark_home() -> Path:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing("Java (a Java 17 or later runtime; Debian: apt-get install default-jre-headless)")
    try:
        import pyspark
    except ImportError:
        missing("pyspark (pip install 'appraisal[spark]')")
    try:
        import grpc  # noqa: F401
        import zstandard  # noqa: F401
        from google.rpc import status_pb2  # noqa: F401
    except ImportError as exc:
        missing(f"the Spark Connect client, {exc.name} (pip install 'appraisal[spark-connect]')")
    return Path(pyspark.__file__).parent


def _answers(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def spark_connect_server() -> Iterator[str]:
    """A started server for the block; yields its URL (`sc://127.0.0.1:PORT`)."""
    home = _spark_home()
    run_as = unprivileged("the Spark Connect server")
    with tempfile.TemporaryDirectory(prefix="appraisal-spark-connect-") as tmp:
        folder = Path(tmp)
        (folder / "local").mkdir()
        run_as.give(folder, folder / "local")
        port = free_port()
        settings = {
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(port),
            "spark.ui.enabled": "false",
            "spark.local.dir": str(folder / "local"),
            "spark.sql.warehouse.dir": str(folder / "warehouse"),
            "spark.sql.shuffle.partitions": "2",
            "spark.driver.memory": "1g",
            "spark.driver.extraJavaOptions": f"-Djava.io.tmpdir={folder / 'local'} -Dderby.system.home={folder}",
        }
        command = [*run_as.prefix, str(home / "bin" / "spark-submit"), "--class", SERVER_CLASS,
                   "--name", "appraisal-tests", "--master", "local[2]"]
        for key, value in settings.items():
            command += ["--conf", f"{key}={value}"]
        log = (folder / "server.log").open("wb")
        server = subprocess.Popen([*command, "spark-internal"], cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, "SPARK_HOME": str(home)}, start_new_session=True)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while not _answers(port):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    text = (folder / "server.log").read_text(errors="replace")[-4000:]
                    raise RuntimeError(f"the Spark Connect server did not start on port {port}:\n{text}")
                time.sleep(0.5)
            yield f"sc://127.0.0.1:{port}"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
                server.wait()
            log.close()


@pytest.fixture(scope="session")
def spark_connect() -> Iterator[str]:
    """The URL of one Spark Connect server for the whole test session."""
    with spark_connect_server() as url:
        yield url
