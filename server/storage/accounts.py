"""SQL of user accounts, officer locations and login sessions."""

from __future__ import annotations

import sqlite3

from msgspec import Struct

from . import push
from .database import Connection

__all__ = [
    "UserRecord",
    "insert_user",
    "user_by_username",
    "user_with_session",
    "assign_locations",
    "insert_session",
    "session_by_refresh",
    "revoke_session",
    "revoke_user_sessions",
    "deactivate_member_users",
]


class UserRecord(Struct, frozen=True):
    id: int
    username: str
    name: str
    role: str
    member_id: int | None
    active: bool
    scope_gen: int
    location_ids: tuple[int, ...]
    password_hash: str = ""


def _locations(conn: sqlite3.Connection, user_id: int) -> tuple[int, ...]:
    rows = conn.execute("SELECT location_id FROM officer_locations WHERE user_id = ? ORDER BY location_id", (user_id,))
    return tuple(int(r[0]) for r in rows)


def _record(conn: sqlite3.Connection, row: sqlite3.Row | None) -> UserRecord | None:
    if row is None:
        return None
    return UserRecord(
        id=row["id"], username=row["username"], name=row["name"], role=row["role"], member_id=row["member_id"],
        active=bool(row["active"]), scope_gen=row["scope_gen"], location_ids=_locations(conn, row["id"]),
        password_hash=row["password_hash"],
    )


def insert_user(
    conn: Connection, *, user_id: int, username: str, name: str, password_hash: str, role: str,
    member_id: int | None = None,
) -> None:
    conn.execute(
        "INSERT INTO users (id, username, name, password_hash, role, member_id) VALUES (?, ?, ?, ?, ?, ?)",
        (user_id, username, name, password_hash, role, member_id),
    )


def assign_locations(conn: Connection, user_id: int, location_ids: list[int]) -> None:
    """Replace an officer's locations; bumping ``scope_gen`` makes their devices rebuild their replica."""
    conn.execute("DELETE FROM officer_locations WHERE user_id = ?", (user_id,))
    conn.executemany(
        "INSERT INTO officer_locations (user_id, location_id) VALUES (?, ?)",
        [(user_id, loc) for loc in sorted(set(location_ids))],
    )
    conn.execute("UPDATE users SET scope_gen = scope_gen + 1 WHERE id = ?", (user_id,))
    conn.touched.add(("user", user_id))  # poke their connected devices: pull, get the reset, rebuild


def user_by_username(conn: sqlite3.Connection, username: str) -> UserRecord | None:
    return _record(conn, conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone())


def user_with_session(conn: sqlite3.Connection, user_id: int, session_id: str, now: str) -> UserRecord | None:
    """The user behind a live (unrevoked, unexpired) session, or None."""
    row = conn.execute(
        "SELECT u.* FROM users u JOIN sessions s ON s.user_id = u.id"
        " WHERE u.id = ? AND s.id = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND u.active = 1",
        (user_id, session_id, now),
    ).fetchone()
    return _record(conn, row)


def insert_session(
    conn: Connection, *, session_id: str, user_id: int, client_id: str, refresh_hash: str, now: str, expires_at: str
) -> None:
    conn.execute(
        "INSERT INTO sessions (id, user_id, client_id, refresh_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (session_id, user_id, client_id, refresh_hash, now, expires_at),
    )


def session_by_refresh(conn: sqlite3.Connection, refresh_hash: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT id, user_id, client_id, expires_at, revoked_at FROM sessions WHERE refresh_hash = ?", (refresh_hash,)
    ).fetchone()


def revoke_session(conn: Connection, session_id: str, now: str) -> None:
    conn.execute("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now, session_id))
    push.remove_for_session(conn, session_id, "logout", now)  # the device's push subscriptions end with it


def deactivate_member_users(conn: Connection, member_id: int, now: str) -> list[int]:
    """The member's own logins stop working: inactive, every session revoked, their devices poked."""
    users = [int(r[0]) for r in conn.execute("SELECT id FROM users WHERE member_id = ?", (member_id,))]
    for user_id in users:
        conn.execute("UPDATE users SET active = 0, scope_gen = scope_gen + 1 WHERE id = ?", (user_id,))
        revoke_user_sessions(conn, user_id, now)
        conn.touched.add(("user", user_id))
    return users


def revoke_user_sessions(conn: Connection, user_id: int, now: str) -> int:
    push.remove_for_user(conn, user_id, "sessions_revoked", now)  # also on deactivation: no device notified
    return conn.execute(
        "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", (now, user_id)
    ).rowcount
