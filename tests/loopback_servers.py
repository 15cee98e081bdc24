"""What the tests' real servers (PostgreSQL, Spark Connect) share: a free loopback port, and, when
the tests run as root (CI), an unprivileged system user to run them as.

`initdb` refuses to run as root, and a server running as another user cannot read this process's
private folders, as a server on another machine could not. Debian's PostgreSQL package makes the
`postgres` system user; the servers' programs run as it through `runuser`, in a folder given to it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

from outside import missing

SYSTEM_USER = "postgres"  # who runs the servers when the tests run as root


def free_port() -> int:
    """A loopback TCP port nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class RunAs:
    """How to start a server's programs: `prefix` before each command (empty when not root), and
    `give` to hand the server the folders it writes."""

    prefix: tuple[str, ...] = ()
    owner: pwd.struct_passwd | None = None

    def give(self, *paths: Path) -> None:
        if self.owner is not None:
            for path in paths:
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)


def unprivileged(server: str) -> RunAs:
    """As root, run `server` (named in the skip's reason) as SYSTEM_USER; otherwise as ourselves.
    A missing system user skips the test (fails it under APPRAISAL_REQUIRE_ALL=1)."""
    if os.geteuid() != 0:
        return RunAs()
    try:
        owner = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        missing(f"the '{SYSTEM_USER}' system user {server} runs as when the tests run as root")
    return RunAs((shutil.which("runuser") or "runuser", "-u", SYSTEM_USER, "--"), owner)
