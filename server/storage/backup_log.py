"""SQL of the daily backups: checking a backup file on its own, and the log of backups taken."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
from msgspec import Struct

from .database import Connection
from .savings import check_ledger

__all__ = [
    "BackupCheck",
    "BackupRow",
    "verify_file",
    "record_backup",
    "recent_backups",
    "last_good",
    "mark_removed",
    "unremoved_before",
]


class BackupCheck(Struct, frozen=True):
    ok: bool
    ledger_entries: int | None
    detail: str


class BackupRow(Struct, frozen=True):
    id: int
    file: str
    trigger: str
    started_at: str
    finished_at: str
    size_bytes: int
    ok: bool
    ledger_entries: int | None
    detail: str
    removed_at: str | None


def verify_file(path: str | Path) -> BackupCheck:
    """Open the backup read-only, check it is a sound Lumbung database and that its ledger verifies
    (hash chain and every balance), the same check as ``lumbung-server verify-ledger``."""
    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return BackupCheck(False, None, f"cannot open: {exc}")
    conn.row_factory = sqlite3.Row
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            return BackupCheck(False, None, f"integrity_check: {integrity}"[:500])
        if conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone() is None:
            return BackupCheck(False, None, "not a Lumbung database (no epoch)")
        result = check_ledger(conn)
        if not result.ok:
            return BackupCheck(
                False,
                result.entries,
                f"ledger broken: first bad entry {result.first_bad_seq}, mismatched {result.mismatched_accounts[:10]}",
            )
        return BackupCheck(True, result.entries, "")
    except (sqlite3.Error, ValueError, TypeError, msgspec.ValidationError) as exc:  # a copy unlike ours
        return BackupCheck(False, None, f"unreadable: {exc}"[:500])
    finally:
        conn.close()


def record_backup(
    conn: Connection, *, file: str, trigger: str, started_at: str, finished_at: str, size_bytes: int, check: BackupCheck
) -> BackupRow:
    cur = conn.execute(
        "INSERT INTO backups (file, trigger, started_at, finished_at, size_bytes, ok, ledger_entries, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (file) DO UPDATE SET finished_at = excluded.finished_at,"
        " size_bytes = excluded.size_bytes, ok = excluded.ok, ledger_entries = excluded.ledger_entries,"
        " detail = excluded.detail RETURNING id",
        (file, trigger, started_at, finished_at, size_bytes, int(check.ok), check.ledger_entries, check.detail),
    )
    backup_id = int(cur.fetchone()[0])
    return BackupRow(
        backup_id,
        file,
        trigger,
        started_at,
        finished_at,
        size_bytes,
        check.ok,
        check.ledger_entries,
        check.detail,
        None,
    )


_COLUMNS = "id, file, trigger, started_at, finished_at, size_bytes, ok, ledger_entries, detail, removed_at"


def _row(row: tuple) -> BackupRow:
    return msgspec.convert(dict(zip(_COLUMNS.split(", "), row, strict=True)), BackupRow, strict=False)


def recent_backups(conn: sqlite3.Connection, limit: int = 50) -> list[BackupRow]:
    rows = conn.execute(f"SELECT {_COLUMNS} FROM backups ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [_row(tuple(r)) for r in rows]


def last_good(conn: sqlite3.Connection) -> BackupRow | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM backups WHERE ok = 1 AND removed_at IS NULL ORDER BY finished_at DESC LIMIT 1"
    ).fetchone()
    return None if row is None else _row(tuple(row))


def unremoved_before(conn: sqlite3.Connection, cutoff: str) -> list[str]:
    rows = conn.execute("SELECT file FROM backups WHERE removed_at IS NULL AND started_at < ?", (cutoff,))
    return [str(r[0]) for r in rows]


def mark_removed(conn: Connection, files: list[str], now: str) -> None:
    conn.executemany(
        "UPDATE backups SET removed_at = ? WHERE file = ? AND removed_at IS NULL", [(now, f) for f in files]
    )
