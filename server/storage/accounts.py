"""SQL of user accounts, officer locations, login sessions and login throttling state."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from msgspec import Struct

from server.domain.models import Role

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
    "reactivate_member_users",
    "change_role",
    "active_admin_count",
    "user_by_id",
    "set_password",
    "demo_accounts_with_shared_password",
    "active_admin_exists",
    "next_user_id",
    "AttemptRow",
    "login_attempts",
    "save_login_attempt",
    "clear_login_attempts",
    "blocked_login_attempts",
]


class UserRecord(Struct, frozen=True):
    id: int
    username: str
    name: str
    role: Role
    member_id: int | None
    active: bool
    scope_gen: int
    location_ids: tuple[int, ...]
    password_hash: str = ""
    demo: bool = False
    password_change_required: bool = False


def _locations(conn: sqlite3.Connection, user_id: int) -> tuple[int, ...]:
    rows = conn.execute("SELECT location_id FROM officer_locations WHERE user_id = ? ORDER BY location_id", (user_id,))
    return tuple(int(r[0]) for r in rows)


def _record(
    conn: sqlite3.Connection, row: sqlite3.Row | None, locations: tuple[int, ...] | None = None
) -> UserRecord | None:
    if row is None:
        return None
    return UserRecord(
        id=row["id"],
        username=row["username"],
        name=row["name"],
        role=row["role"],
        member_id=row["member_id"],
        active=bool(row["active"]),
        scope_gen=row["scope_gen"],
        location_ids=_locations(conn, row["id"]) if locations is None else locations,
        password_hash=row["password_hash"],
        demo=bool(row["demo"]),
        password_change_required=bool(row["password_change_required"]),
    )


def insert_user(
    conn: Connection,
    *,
    user_id: int,
    username: str,
    name: str,
    password_hash: str,
    role: str,
    member_id: int | None = None,
    demo: bool = False,
    change_required: bool = False,
    now: str | None = None,
) -> None:
    """A new login. ``now`` is when its password was set (None only for demo accounts' shared one)."""
    conn.execute(
        "INSERT INTO users (id, username, name, password_hash, role, member_id, demo, password_change_required,"
        " password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (user_id, username, name, password_hash, role, member_id, int(demo), int(change_required), now),
    )


def next_user_id(conn: sqlite3.Connection) -> int:
    """Ids above the demo's numbering (members 1-99, staff 101-199), so a later demo never collides."""
    return int(conn.execute("SELECT max(coalesce(max(id), 0) + 1, 1000) FROM users").fetchone()[0])


def user_by_id(conn: sqlite3.Connection, user_id: int) -> UserRecord | None:
    return _record(conn, conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())


def set_password(conn: Connection, user_id: int, password_hash: str, *, change_required: bool, now: str) -> bool:
    """Store a new password hash; the user's sessions end (a reset means the old holder is out)."""
    updated = conn.execute(
        "UPDATE users SET password_hash = ?, password_change_required = ?, password_changed_at = ? WHERE id = ?",
        (password_hash, int(change_required), now, user_id),
    ).rowcount
    if updated:
        revoke_user_sessions(conn, user_id, now)
    return bool(updated)


def demo_accounts_with_shared_password(conn: sqlite3.Connection) -> list[str]:
    """Active demo accounts whose password is still the one the demo loader set (never changed)."""
    rows = conn.execute(
        "SELECT username FROM users WHERE demo = 1 AND active = 1 AND password_changed_at IS NULL ORDER BY username"
    )
    return [str(r[0]) for r in rows]


def active_admin_exists(conn: sqlite3.Connection, *, include_demo: bool = False) -> bool:
    sql = "SELECT 1 FROM users WHERE role = 'admin' AND active = 1" + ("" if include_demo else " AND demo = 0")
    return conn.execute(sql + " LIMIT 1").fetchone() is not None


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
    # one statement, the officer's locations included: every authenticated request runs this
    row = conn.execute(
        "SELECT u.*, (SELECT group_concat(location_id) FROM (SELECT location_id FROM officer_locations"
        " WHERE user_id = u.id ORDER BY location_id)) AS location_list FROM users u JOIN sessions s ON s.user_id = u.id"
        " WHERE u.id = ? AND s.id = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND u.active = 1",
        (user_id, session_id, now),
    ).fetchone()
    if row is None:
        return None
    listed = row["location_list"]
    return _record(conn, row, tuple(sorted(int(x) for x in listed.split(","))) if listed else ())


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


def reactivate_member_users(conn: Connection, member_id: int) -> list[int]:
    """The member's inactive logins work again (with the password they had; every session stays ended)."""
    users = [int(r[0]) for r in conn.execute("SELECT id FROM users WHERE member_id = ? AND active = 0", (member_id,))]
    conn.executemany("UPDATE users SET active = 1 WHERE id = ?", [(u,) for u in users])
    return users


def active_admin_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM users WHERE role = 'admin' AND active = 1").fetchone()[0])


def change_role(
    conn: Connection, user_id: int, role: str, member_id: int | None, location_ids: tuple[int, ...], now: str
) -> None:
    """Give a user another role (with the member link and locations it allows). What the user may see
    changes, so every session ends and ``scope_gen`` is bumped: a device that logs in again gets
    ``reset: scope_changed`` and rebuilds its replica for the new role."""
    conn.execute("UPDATE users SET role = ?, member_id = ? WHERE id = ?", (role, member_id, user_id))
    assign_locations(conn, user_id, list(location_ids))  # also bumps scope_gen and pokes the devices
    revoke_user_sessions(conn, user_id, now)


def revoke_user_sessions(conn: Connection, user_id: int, now: str) -> int:
    push.remove_for_user(conn, user_id, "sessions_revoked", now)  # also on deactivation: no device notified
    return conn.execute(
        "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", (now, user_id)
    ).rowcount


def all_users_exist(db_path: str | Path, usernames: list[str]) -> bool:
    """True if every username exists, read from the file without taking part in any write (read-only)."""
    conn = sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True)
    try:
        marks = ",".join("?" for _ in usernames)
        found = conn.execute(f"SELECT count(*) FROM users WHERE username IN ({marks})", usernames).fetchone()[0]
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return int(found) == len(usernames)


# --- login throttling --------------------------------------------------------------------------


class AttemptRow(Struct, frozen=True):
    """Failed logins counted under one key (an account or a client address)."""

    key: str
    failures: int
    first_failure_at: float
    last_failure_at: float
    blocked_until: float


def login_attempts(conn: sqlite3.Connection, keys: list[str]) -> dict[str, AttemptRow]:
    marks = ",".join("?" * len(keys))
    rows = conn.execute(
        f"SELECT key, failures, first_failure_at, last_failure_at, blocked_until FROM login_attempts WHERE key IN ({marks})",
        keys,
    )
    return {r[0]: AttemptRow(r[0], r[1], r[2], r[3], r[4]) for r in rows}


def save_login_attempt(conn: Connection, row: AttemptRow, *, forget_before: float) -> None:
    """Record a key's new count; keys idle since ``forget_before`` and not blocked are dropped (the table
    stays small however many usernames an attacker tries)."""
    conn.execute(
        "INSERT INTO login_attempts (key, failures, first_failure_at, last_failure_at, blocked_until)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,"
        " first_failure_at = excluded.first_failure_at, last_failure_at = excluded.last_failure_at,"
        " blocked_until = excluded.blocked_until",
        (row.key, row.failures, row.first_failure_at, row.last_failure_at, row.blocked_until),
    )
    conn.execute(
        "DELETE FROM login_attempts WHERE last_failure_at < ? AND blocked_until < ?",
        (forget_before, row.last_failure_at),
    )


def clear_login_attempts(conn: Connection, keys: list[str]) -> int:
    marks = ",".join("?" * len(keys))
    return conn.execute(f"DELETE FROM login_attempts WHERE key IN ({marks})", keys).rowcount


def blocked_login_attempts(conn: sqlite3.Connection, now: float) -> list[AttemptRow]:
    rows = conn.execute(
        "SELECT key, failures, first_failure_at, last_failure_at, blocked_until FROM login_attempts"
        " WHERE blocked_until > ? ORDER BY key",
        (now,),
    )
    return [AttemptRow(r[0], r[1], r[2], r[3], r[4]) for r in rows]
