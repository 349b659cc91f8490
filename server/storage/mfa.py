"""SQL of the TOTP second factor: secrets, the last accepted time step, recovery codes."""

from __future__ import annotations

import sqlite3

from msgspec import Struct

from .database import Connection

__all__ = [
    "TotpRow",
    "totp_of",
    "start_enrolment",
    "confirm_enrolment",
    "accept_step",
    "remove",
    "store_recovery_codes",
    "use_recovery_code",
    "recovery_codes_left",
    "enrolled",
    "stored_secrets",
    "replace_secret",
]


class TotpRow(Struct, frozen=True):
    user_id: int
    secret: str
    confirmed: bool
    last_step: int


def totp_of(conn: sqlite3.Connection, user_id: int) -> TotpRow | None:
    row = conn.execute(
        "SELECT user_id, secret, confirmed_at IS NOT NULL, last_step FROM mfa_totp WHERE user_id = ?", (user_id,)
    ).fetchone()
    return None if row is None else TotpRow(int(row[0]), str(row[1]), bool(row[2]), int(row[3]))


def enrolled(conn: sqlite3.Connection, user_id: int) -> bool:
    return (
        conn.execute("SELECT 1 FROM mfa_totp WHERE user_id = ? AND confirmed_at IS NOT NULL", (user_id,)).fetchone()
        is not None
    )


def start_enrolment(conn: Connection, user_id: int, secret: str, now: str) -> None:
    """A new unconfirmed secret (replacing an earlier unconfirmed one)."""
    conn.execute(
        "INSERT INTO mfa_totp (user_id, secret, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at,"
        " confirmed_at = NULL, last_step = 0",
        (user_id, secret, now),
    )


def confirm_enrolment(conn: Connection, user_id: int, step: int, now: str) -> None:
    conn.execute("UPDATE mfa_totp SET confirmed_at = ?, last_step = ? WHERE user_id = ?", (now, step, user_id))


def accept_step(conn: Connection, user_id: int, step: int) -> bool:
    """Remember ``step`` as used; False when an equal or later one was accepted meanwhile."""
    cur = conn.execute("UPDATE mfa_totp SET last_step = ? WHERE user_id = ? AND last_step < ?", (step, user_id, step))
    return cur.rowcount == 1


def remove(conn: Connection, user_id: int) -> bool:
    conn.execute("DELETE FROM mfa_recovery_codes WHERE user_id = ?", (user_id,))
    return conn.execute("DELETE FROM mfa_totp WHERE user_id = ?", (user_id,)).rowcount == 1


def store_recovery_codes(conn: Connection, user_id: int, hashes: list[str]) -> None:
    """Replace the user's recovery codes (earlier ones stop working)."""
    conn.execute("DELETE FROM mfa_recovery_codes WHERE user_id = ?", (user_id,))
    conn.executemany(
        "INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES (?, ?)", [(user_id, h) for h in hashes]
    )


def use_recovery_code(conn: Connection, user_id: int, code_hash: str, now: str) -> bool:
    """Spend one unused code; False if it is unknown or already spent."""
    cur = conn.execute(
        "UPDATE mfa_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
        (now, user_id, code_hash),
    )
    return cur.rowcount == 1


def recovery_codes_left(conn: sqlite3.Connection, user_id: int) -> int:
    row = conn.execute("SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL", (user_id,))
    return int(row.fetchone()[0])


def stored_secrets(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """Every user's stored secret as it is in the table (sealed or, from before sealing, clear)."""
    return [(int(r[0]), str(r[1])) for r in conn.execute("SELECT user_id, secret FROM mfa_totp ORDER BY user_id")]


def replace_secret(conn: Connection, user_id: int, stored: str) -> None:
    """Store the same secret in another form (sealed); its enrolment state and last step stay."""
    conn.execute("UPDATE mfa_totp SET secret = ? WHERE user_id = ?", (stored, user_id))
