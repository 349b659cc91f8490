"""SQL of bug reports (*Laporkan Masalah*): stored by the ``report.create`` handler, listed for the admin."""

from __future__ import annotations

import json
import sqlite3

from msgspec import Struct

from .database import Connection

__all__ = ["ReportRow", "report_exists", "insert_report", "list_reports"]


class ReportRow(Struct, frozen=True):
    id: str
    user_id: int
    username: str
    role: str
    description: str
    app_version: str
    pending: int
    rejected: int
    last_sync_at: str | None
    error_codes: list[str]
    device_time: str | None
    created_at: str


def report_exists(conn: sqlite3.Connection, report_id: str) -> bool:
    return conn.execute("SELECT 1 FROM reports WHERE id = ?", (report_id,)).fetchone() is not None


def insert_report(
    conn: Connection,
    *,
    report_id: str,
    user_id: int,
    role: str,
    description: str,
    app_version: str,
    pending: int,
    rejected: int,
    last_sync_at: str | None,
    error_codes: list[str],
    device_time: str | None,
    created_at: str,
) -> None:
    state = json.dumps({"codes": error_codes, "rejected": rejected})
    conn.execute(
        "INSERT INTO reports (id, user_id, role, description, app_version, pending, last_sync_at, error_codes,"
        " device_time, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (report_id, user_id, role, description, app_version, pending, last_sync_at, state, device_time, created_at),
    )


def list_reports(conn: sqlite3.Connection, limit: int, before: str | None = None) -> list[ReportRow]:
    """Newest first; ``before`` (a ``created_at``) pages back."""
    rows = conn.execute(
        "SELECT r.id, r.user_id, u.username, r.role, r.description, r.app_version, r.pending, r.last_sync_at,"
        " r.error_codes, r.device_time, r.created_at FROM reports r JOIN users u ON u.id = r.user_id"
        " WHERE (? IS NULL OR r.created_at < ?) ORDER BY r.created_at DESC, r.id LIMIT ?",
        (before, before, limit),
    ).fetchall()
    out = []
    for r in rows:
        state = json.loads(r[8])
        out.append(
            ReportRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                int(state.get("rejected", 0)),
                r[7],
                list(state.get("codes", [])),
                r[9],
                r[10],
            )
        )
    return out
