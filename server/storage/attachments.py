"""SQL of attachments (transfer proofs): the stored files, who uploaded each, and who may read one.

A file is stored once by its content hash, but every user who uploads it is recorded in
``attachment_uploads``: a mutation may name only an attachment its own user uploaded, and a download
answers only to an uploader or to someone the access policy lets see a deposit naming the file.

``REFERENCING_COLUMNS`` lists every column that names a stored file; the orphan clean-up removes only
files none of them names (``orphans``), so a table that starts naming attachments is added there, once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Literal

from msgspec import Struct

from server.access import Reach

from .database import Connection
from .reads import transaction_condition

__all__ = [
    "REFERENCING_COLUMNS",
    "NOT_REFERENCES",
    "Orphan",
    "record_upload",
    "ownership",
    "readable_type",
    "uploads_since",
    "orphans",
    "forget",
    "recorded",
]

REFERENCING_COLUMNS: tuple[tuple[str, str], ...] = (("deposits", "attachment"),)
"""(table, column) of every column holding the SHA-256 of a file in the attachment store. A file that
any of them names is never removed, however old. A new table or column naming attachments goes here
(``tests/server/test_attachment_references.py`` scans the schema for columns that look like one)."""

NOT_REFERENCES: Mapping[tuple[str, str], str] = {
    ("attachments", "sha256"): "the store's own record of the file",
    ("attachment_uploads", "sha256"): "the store's own record of an uploader",
    ("branding", "logo"): "the logo's bytes, kept in the database row itself",
    ("branding", "logo_type"): "the logo's content type",
    ("branding", "logo_sha256"): "hash of the logo bytes in the same row (an ETag), not a stored file",
    ("backups", "file"): "the name of a database backup file in the backup folder",
}
"""Columns whose names look like attachment references but are not, each with the reason. (JSON copies
of a deposit, in ``changes.data`` and ``audit_log``, repeat its hash; the deposit row itself is never
deleted, so ``deposits.attachment`` covers them.)"""


class Orphan(Struct, frozen=True):
    """A stored file no row names, with its size and the time of its latest upload."""

    sha256: str
    size: int
    last_upload: str


def record_upload(conn: Connection, sha256: str, size: int, content_type: str, *, user_id: int, now: str) -> bool:
    """Record that ``user_id`` uploaded this file; True if the file itself is new to the server.

    Every upload, a repeated one too, restarts the file's grace before the orphan clean-up
    (``last_uploaded_at``); each uploader's own first upload time (the quota's) stays.
    """
    created = (
        conn.execute(
            "INSERT INTO attachments (sha256, size, content_type, uploaded_by, uploaded_at, last_uploaded_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
            (sha256, size, content_type, user_id, now, now),
        ).rowcount
        == 1
    )
    if not created:
        conn.execute(
            "UPDATE attachments SET last_uploaded_at = ? WHERE sha256 = ? AND last_uploaded_at < ?", (now, sha256, now)
        )
    conn.execute(
        "INSERT INTO attachment_uploads (sha256, user_id, uploaded_at) VALUES (?, ?, ?)"
        " ON CONFLICT (sha256, user_id) DO NOTHING",
        (sha256, user_id, now),
    )
    return created


def uploads_since(conn: sqlite3.Connection, user_id: int, since: str) -> tuple[int, int, str | None]:
    """(files, bytes, oldest upload time) this user uploaded after ``since`` (ISO time), for the quota."""
    row = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(a.size), 0), MIN(u.uploaded_at) FROM attachment_uploads u"
        " JOIN attachments a ON a.sha256 = u.sha256 WHERE u.user_id = ? AND u.uploaded_at > ?",
        (user_id, since),
    ).fetchone()
    return int(row[0]), int(row[1]), row[2]


def ownership(conn: sqlite3.Connection, sha256: str, user_id: int) -> Literal["missing", "mine", "foreign"]:
    """Whether the server holds the file and whether this user is one of its uploaders."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM attachment_uploads WHERE sha256 = a.sha256 AND user_id = ?)"
        " FROM attachments a WHERE a.sha256 = ?",
        (user_id, sha256),
    ).fetchone()
    if row is None:
        return "missing"
    return "mine" if row[0] else "foreign"


def readable_type(conn: sqlite3.Connection, sha256: str, reach: Reach) -> str | None:
    """The file's content type if this caller may download it (an uploader, or the policy lets them
    see a deposit naming it); None otherwise, the same answer as for a file that does not exist."""
    visible, params = transaction_condition(reach, "d")
    row = conn.execute(
        "SELECT a.content_type FROM attachments a WHERE a.sha256 = ? AND ("
        " EXISTS (SELECT 1 FROM attachment_uploads u WHERE u.sha256 = a.sha256 AND u.user_id = ?)"
        f" OR EXISTS (SELECT 1 FROM deposits d WHERE d.attachment = a.sha256 AND {visible}))",
        [sha256, reach.user_id, *params],
    ).fetchone()
    return None if row is None else str(row[0])


def _unreferenced(alias: str) -> str:
    """SQL condition: no column of ``REFERENCING_COLUMNS`` names ``<alias>.sha256``."""
    return " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM {table} WHERE {column} = {alias}.sha256)" for table, column in REFERENCING_COLUMNS
    )


def orphans(conn: sqlite3.Connection, uploaded_before: str, limit: int) -> list[Orphan]:
    """Files no row names whose last upload (by anyone, repeats too) is before ``uploaded_before`` (ISO).

    Run inside the write transaction that then ``forget``s them: a push naming one of them either
    committed before (it is named, so not listed) or runs after (it finds the file missing).
    """
    rows = conn.execute(  # max(): a row written without last_uploaded_at ('') counts from its first upload
        "SELECT a.sha256, a.size, max(a.uploaded_at, a.last_uploaded_at) AS last_upload FROM attachments a"
        f" WHERE last_upload < ? AND {_unreferenced('a')} ORDER BY last_upload, a.sha256 LIMIT ?",
        (uploaded_before, limit),
    ).fetchall()
    return [Orphan(str(r[0]), int(r[1]), str(r[2])) for r in rows]


def forget(conn: Connection, sha256s: Iterable[str]) -> int:
    """Delete these files' records (their uploaders, then the file's row); returns the files forgotten."""
    keys = [(sha,) for sha in sha256s]
    conn.executemany("DELETE FROM attachment_uploads WHERE sha256 = ?", keys)
    before = conn.total_changes
    conn.executemany("DELETE FROM attachments WHERE sha256 = ?", keys)
    return conn.total_changes - before


def recorded(conn: sqlite3.Connection, sha256s: Iterable[str]) -> set[str]:
    """Which of these hashes have a record in the store (a file on disk without one is a leftover)."""
    wanted = list(dict.fromkeys(sha256s))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):  # under SQLite's bound on parameters
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        found.update(r[0] for r in conn.execute(f"SELECT sha256 FROM attachments WHERE sha256 IN ({marks})", chunk))
    return found
