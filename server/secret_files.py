"""Key files in the data folder, written owner-only from their first byte."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_owner_only"]


def write_owner_only(path: Path, data: bytes) -> None:
    """Write ``data`` with mode 0600 through a temporary file and an atomic rename: no window in which
    the key is world-readable, and no half-written key after a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:  # the rename itself survives a power cut only once the folder is on disk
        os.fsync(directory)
    finally:
        os.close(directory)
