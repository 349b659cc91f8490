"""SQL of attachments (transfer proofs): the stored files, who uploaded each, and who may read one.

A file is stored once by its content hash, but every user who uploads it is recorded in
``attachment_uploads``: a mutation may name only an attachment its own user uploaded, and a download
answers only to an uploader or to someone the access policy lets see a deposit naming the file.
"""

from __future__ import annotations

import sqlite3
from typing import Literal

from server.access import Reach

from .database import Connection
from .reads import transaction_condition

__all__ = ["record_upload", "ownership", "readable_type", "uploads_since"]


def record_upload(conn: Connection, sha256: str, size: int, content_type: str, *, user_id: int, now: str) -> bool:
    """Record that ``user_id`` uploaded this file; True if the file itself is new to the server."""
    created = (
        conn.execute(
            "INSERT INTO attachments (sha256, size, content_type, uploaded_by, uploaded_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (sha256) DO NOTHING",
            (sha256, size, content_type, user_id, now),
        ).rowcount
        == 1
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
