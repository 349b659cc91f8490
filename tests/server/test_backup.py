"""A restored backup is a new epoch: clients notice and resynchronise instead of trusting old cursors."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from server.cli import main
from server.storage.migrate import upgrade


def _epoch(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()[0]


def test_backup_then_restore_brings_back_the_data_under_a_new_epoch(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = data / "lumbung.sqlite3"
    upgrade(db)
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO locations (id, name) VALUES (1, 'Kantor Pusat')")
    original_epoch = _epoch(db)
    assert main(["--data-dir", str(data), "backup", str(tmp_path / "backup.sqlite3")]) == 0
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO locations (id, name) VALUES (2, 'Pabrik')")
    assert main(["--data-dir", str(data), "restore", str(tmp_path / "backup.sqlite3")]) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id FROM locations ORDER BY id").fetchall() == [(1,)]
    assert _epoch(db) != original_epoch


def test_failed_restore_leaves_the_live_database_untouched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = data / "lumbung.sqlite3"
    upgrade(db)
    keeper = sqlite3.connect(db)  # keeps the WAL alive, as a server killed with kill -9 would
    keeper.execute("INSERT INTO locations (id, name) VALUES (1, 'Kantor Pusat')")
    keeper.commit()
    try:
        with contextlib.suppress(FileNotFoundError):
            main(["--data-dir", str(data), "restore", str(tmp_path / "no-such-backup.sqlite3")])
        not_lumbung = tmp_path / "other.sqlite3"
        sqlite3.connect(not_lumbung).execute("CREATE TABLE t (x)").connection.close()
        with contextlib.suppress(sqlite3.OperationalError):
            main(["--data-dir", str(data), "restore", str(not_lumbung)])
    finally:
        keeper.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM locations").fetchall() == [("Kantor Pusat",)]
