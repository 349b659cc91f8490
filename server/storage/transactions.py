"""Transaction scopes the rest of the server asks storage for, instead of writing BEGIN or SAVEPOINT.

``savepoint`` nests a unit inside the caller's write transaction: it is kept if the block ends
normally and undone (only it) if the block raises. ``snapshot`` gives a reader one consistent view
across several queries (WAL: it never blocks the writer).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["savepoint", "snapshot"]

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@contextmanager
def savepoint(conn: sqlite3.Connection, name: str) -> Iterator[None]:
    """Run the block in ``SAVEPOINT name``: released on success, rolled back (and the error re-raised) on failure."""
    if not _NAME.match(name):
        raise ValueError(f"not a savepoint name: {name!r}")
    conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        conn.execute(f"ROLLBACK TO {name}")
        conn.execute(f"RELEASE {name}")
        raise
    conn.execute(f"RELEASE {name}")


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """Read the block's queries from one snapshot of the database."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")
