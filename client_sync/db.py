"""One SQLite connection for the device database, with transactions that nest.

* WAL with ``synchronous=FULL``: a commit is on disk when it returns, so kill -9 loses nothing that
  a caller was told is saved.
* Explicit transactions (``isolation_level=None``) through ``atomic()``: the outermost level is
  ``BEGIN IMMEDIATE`` (two processes never deadlock upgrading a read lock), inner levels are
  savepoints, in the manner of sqlite-utils/Django. One re-entrant lock serialises threads. A
  COMMIT that fails is rolled back, so the connection is never left inside a broken transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["Database", "utcnow_iso"]


def utcnow_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class Database:
    """The connection, its lock and the migration step; the stores build on it."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self.migrate()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """A transaction (outermost: ``BEGIN IMMEDIATE``) or a nested savepoint; rolls back on error."""
        with self._lock:
            conn = self._conn
            depth = self._depth
            name = f"sp{depth}"
            conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield conn
            except BaseException:
                self._depth -= 1
                if depth == 0:
                    if conn.in_transaction:  # SQLite may have rolled back already (e.g. after SQLITE_FULL)
                        conn.execute("ROLLBACK")
                else:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                raise
            self._depth -= 1
            if depth:
                conn.execute(f"RELEASE {name}")
                return
            try:
                conn.execute("COMMIT")
            except BaseException:
                # a failed COMMIT (a deferred foreign key, a full disk) leaves the transaction open; without
                # this ROLLBACK every later BEGIN on the connection would fail (as sqlite-utils' atomic() does)
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def migrate(self) -> int:
        """Bring the schema to ``SCHEMA_VERSION``; refuse a file written by a newer client."""
        with self._lock:
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"Basis data lokal berversi {version}, lebih baru dari aplikasi ini ({SCHEMA_VERSION});"
                    " perbarui aplikasi."
                )
            for number in range(version + 1, SCHEMA_VERSION + 1):
                with self.atomic() as conn:
                    for statement in MIGRATIONS[number - 1]:
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number}")
            return SCHEMA_VERSION

    @property
    def user_version(self) -> int:
        return int(self._query("PRAGMA user_version")[0][0])
