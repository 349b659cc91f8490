"""Backups and restores of the SQLite database.

A restore gives the database a new epoch: every client's cursor names the old one, so each client
is told to rebuild its replica (never its outbox), and its counter "from the future" is answered
with a gap so it resends what the restored database lost (DESIGN rule 10).
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
from pathlib import Path

__all__ = ["backup", "restore"]


def backup(db_path: str | Path, destination: str | Path) -> Path:
    """A consistent copy of a live database (SQLite's online backup API; writers may keep going)."""
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(db_path)
    target = sqlite3.connect(destination)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return destination


def restore(backup_path: str | Path, db_path: str | Path) -> str:
    """Replace the database with a backup (server stopped) and give it a new epoch; returns the epoch.

    The backup is copied and checked first; only then is the live database (with its WAL folded in)
    replaced, so a failed restore leaves the live data exactly as it was.
    """
    db_path = Path(db_path)
    tmp = db_path.with_suffix(".restoring")
    shutil.copyfile(backup_path, tmp)
    epoch = secrets.token_hex(8)
    conn = sqlite3.connect(tmp)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise ValueError(f"{backup_path} is not a sound SQLite database")
        with conn:
            if conn.execute("UPDATE meta SET value = ? WHERE key = 'epoch'", (epoch,)).rowcount != 1:
                raise ValueError(f"{backup_path} is not a Lumbung database (no epoch)")
        conn.execute("PRAGMA journal_mode=DELETE")  # a self-contained file: no WAL travels with it
    except (sqlite3.Error, ValueError):
        conn.close()
        tmp.unlink(missing_ok=True)
        raise
    conn.close()
    if db_path.exists():  # fold the live WAL in, so nothing committed is lost if anything below fails
        live = sqlite3.connect(db_path)
        try:
            live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            live.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    tmp.replace(db_path)
    return epoch
