"""A real PostgreSQL server for the tests: started on a loopback port in a temporary folder, stopped after.

`initdb` refuses to run as root, and CI runs as root: there the server's folder belongs to the
`postgres` system user and the server's programs run as that user (`loopback_servers`). The
programs are found on PATH or in Debian's /usr/lib/postgresql/<version>/bin.
Missing PostgreSQL (or psycopg) skips the test that asked for it, naming what is missing, and
fails it under APPRAISAL_REQUIRE_ALL=1 (`outside.py`).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from loopback_servers import free_port, unprivileged
from outside import missing


@dataclass(frozen=True)
class Server:
    """A running server: connect with `dsn` (user `appraisal`, database `appraisal`, no password
    over loopback)."""

    host: str
    port: int
    user: str = "appraisal"
    database: str = "appraisal"

    @property
    def dsn(self) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={self.database}"

    def connect(self):  # type: ignore[no-untyped-def]
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True)


def _program(name: str) -> str | None:
    if found := shutil.which(name):
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True) \
        if Path("/usr/lib/postgresql").is_dir() else []
    return next((str(p / name) for p in versions if (p / name).is_file()), None)


@contextlib.contextmanager
def postgres_server(settings: dict[str, str] | None = None) -> Iterator[Server]:
    """A fresh server for the block, with `settings` (server parameters, e.g. work_mem) on top of
    the defaults; see the module docstring."""
    initdb, pg_ctl = _program("initdb"), _program("pg_ctl")
    if initdb is None or pg_ctl is None:
        missing("PostgreSQL (initdb, pg_ctl; Debian: apt-get install postgresql)")
    try:
        import psycopg
    except ImportError:
        missing("psycopg (pip install 'appraisal[postgres]')")
    run_as = unprivileged("PostgreSQL")
    as_user = list(run_as.prefix)
    with tempfile.TemporaryDirectory(prefix="appraisal-postgres-") as tmp:
        folder = Path(tmp)
        data, sockets, log = folder / "data", folder / "sockets", folder / "server.log"
        sockets.mkdir()
        run_as.give(folder, sockets)
        made = subprocess.run([*as_user, initdb, "-D", str(data), "-U", "appraisal", "--auth=trust", "-E", "UTF8",
                               "--locale=C.UTF-8", "--no-sync"], capture_output=True, text=True, timeout=120)
        if made.returncode != 0:  # e.g. a TMPDIR the server's user cannot enter
            raise RuntimeError(f"initdb failed in {folder}: {made.stderr}")
        port = free_port()
        options = f"-h 127.0.0.1 -p {port} -k {sockets} -F -c fsync=off -c full_page_writes=off"
        options += "".join(f" -c {key}={value}" for key, value in (settings or {}).items())
        try:
            started = subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t",
                                      "60", "start"], capture_output=True, text=True, timeout=120)
            if started.returncode != 0:
                text = log.read_text(errors="replace") if log.exists() else ""
                raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{text}")
            server = Server("127.0.0.1", port)
            import psycopg

            with psycopg.connect(f"host={server.host} port={port} user={server.user} dbname=postgres",
                                 autocommit=True) as connection:
                connection.execute("CREATE DATABASE appraisal")
            yield server
        finally:
            subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """One server for the whole test session."""
    with postgres_server() as server:
        yield server
