"""Outside programs the tests need (Chromium, poppler, LibreOffice, unshare, PostgreSQL): skip when absent, fail in CI.

`.ci/run` installs them first and sets `APPRAISAL_REQUIRE_ALL=1`; there a missing program is a
failure, so a skip can never hide a broken CI machine. Nowhere else does a test skip.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest


def missing(what: str) -> NoReturn:
    """Skip the test because `what` is not installed (fail it under APPRAISAL_REQUIRE_ALL=1)."""
    if os.environ.get("APPRAISAL_REQUIRE_ALL") == "1":
        pytest.fail(f"{what} is not installed, and APPRAISAL_REQUIRE_ALL=1 requires it")
    pytest.skip(f"{what} is not installed")


def require_program(name: str) -> str:
    """The path of program `name`; skip the test (or fail, under APPRAISAL_REQUIRE_ALL=1) without it."""
    if found := shutil.which(name):
        return found
    missing(name)


def require_chromium() -> str:
    """The browser `appraisal.rendering.pdf` would use (`$APPRAISAL_CHROMIUM`, else chromium and its aliases)."""
    from appraisal.rendering.pdf import NAMES

    configured = os.environ.get("APPRAISAL_CHROMIUM")
    for name in [configured] if configured else NAMES:
        if found := shutil.which(name):
            return found
    return require_program(configured or NAMES[0])


def require_user_namespaces() -> str:
    """`unshare`, able to make a user and mount namespace without root (`unshare -Urm`), where a
    test mounts a tiny or read-only tmpfs of its own: a real full disk, a real read-only folder."""
    import subprocess

    unshare = require_program("unshare")
    probe = subprocess.run([unshare, "-Urm", "true"], capture_output=True, text=True, timeout=30)
    if probe.returncode == 0:
        return unshare
    if os.environ.get("APPRAISAL_REQUIRE_ALL") == "1":
        pytest.fail(f"unshare -Urm does not work here ({probe.stderr.strip()}), "
                    "and APPRAISAL_REQUIRE_ALL=1 requires it")
    pytest.skip(f"unshare -Urm does not work here: {probe.stderr.strip()}")
