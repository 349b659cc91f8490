"""client_sync's ``atomic()``: a failed COMMIT is rolled back and the connection stays usable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from client_sync.db import Database


def _with_deferred_foreign_key(db: Database) -> None:
    with db.atomic() as conn:
        conn.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        conn.execute(
            "CREATE TABLE child (id INTEGER PRIMARY KEY,"
            " parent_id INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
        )


def test_a_commit_refused_by_a_deferred_foreign_key_raises_and_the_next_atomic_block_works(tmp_path: Path) -> None:
    db = Database(tmp_path / "device.sqlite3")
    _with_deferred_foreign_key(db)
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), db.atomic() as conn:
        conn.execute("INSERT INTO child (id, parent_id) VALUES (1, 99)")  # checked only at COMMIT
    assert not db._conn.in_transaction  # the failed commit was rolled back, not left open

    with db.atomic() as conn:  # the same connection: a new BEGIN IMMEDIATE succeeds
        conn.execute("INSERT INTO parent (id) VALUES (99)")
        conn.execute("INSERT INTO child (id, parent_id) VALUES (2, 99)")
    assert db._query("SELECT id FROM child") and [r[0] for r in db._query("SELECT id FROM child")] == [2]
    db.close()


def test_a_failed_commit_inside_nested_savepoints_leaves_nothing_behind(tmp_path: Path) -> None:
    db = Database(tmp_path / "device.sqlite3")
    _with_deferred_foreign_key(db)
    with pytest.raises(sqlite3.IntegrityError), db.atomic() as conn:
        conn.execute("INSERT INTO parent (id) VALUES (1)")
        with db.atomic() as inner:
            inner.execute("INSERT INTO child (id, parent_id) VALUES (1, 42)")
    assert db._query("SELECT COUNT(*) FROM parent")[0][0] == 0 and db._query("SELECT COUNT(*) FROM child")[0][0] == 0
    with db.atomic() as conn:
        conn.execute("INSERT INTO parent (id) VALUES (7)")
    assert [r[0] for r in db._query("SELECT id FROM parent")] == [7]
    db.close()
