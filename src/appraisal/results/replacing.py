"""A file written whole or not at all: written beside its place under a temporary name, then
renamed over it, so a killed program or a full disk never leaves half a file."""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from appraisal.errors import AppraisalError


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file in `path`'s folder for the caller to fill; on success it becomes `path`.

    Any failure removes it; a failure of the file system (`OSError`) becomes a message naming
    `path`."""
    target = path.resolve()
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise AppraisalError(f"cannot write {path}: {exc.strerror}") from None
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.replace(temp, target)
    except OSError as exc:  # a full disk: nothing half-written is left
        temp.unlink(missing_ok=True)
        raise AppraisalError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def io_reason(message: str) -> str:
    """The system's words for a DuckDB I/O error (which carries the errno), else its first line."""
    found = re.search(r'"errno"\s*:\s*"?(\d+)', message)
    if found and int(found.group(1)) in errno.errorcode:
        return os.strerror(int(found.group(1)))
    return message.splitlines()[0] if message else "input/output error"
