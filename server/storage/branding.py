"""SQL of the cooperative's branding (one row) and its logo; every save is published to the feed."""

from __future__ import annotations

import sqlite3

import msgspec

from server.domain.branding import DEFAULT_BRANDING, Branding

from .database import Connection
from .feed import PUBLIC, record_change

__all__ = ["load_branding", "save_branding", "save_logo", "load_logo", "publish_reference"]

_FIELDS = "name, short_name, theme_color, logo_sha256, logo_type, updated_at"


def load_branding(conn: sqlite3.Connection) -> Branding:
    row = conn.execute(f"SELECT {_FIELDS} FROM branding WHERE id = 1").fetchone()
    return DEFAULT_BRANDING if row is None else msgspec.convert(dict(row), Branding)


def _publish(conn: Connection) -> Branding:
    branding = load_branding(conn)
    record_change(conn, "branding", 1, branding, PUBLIC)
    return branding


def save_branding(
    conn: Connection, name: str, short_name: str, theme_color: str, user_id: int | None, now: str
) -> Branding:
    conn.execute(
        "INSERT INTO branding (id, name, short_name, theme_color, updated_at, updated_by) VALUES (1, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, short_name = excluded.short_name,"
        " theme_color = excluded.theme_color, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        (name, short_name, theme_color, now, user_id),
    )
    return _publish(conn)


def save_logo(conn: Connection, data: bytes, content_type: str, sha256: str, user_id: int | None, now: str) -> Branding:
    d = DEFAULT_BRANDING
    conn.execute(
        "INSERT INTO branding (id, name, short_name, theme_color, logo, logo_type, logo_sha256, updated_at, updated_by)"
        " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET logo = excluded.logo,"
        " logo_type = excluded.logo_type, logo_sha256 = excluded.logo_sha256, updated_at = excluded.updated_at,"
        " updated_by = excluded.updated_by",
        (d.name, d.short_name, d.theme_color, data, content_type, sha256, now, user_id),
    )
    return _publish(conn)


def load_logo(conn: sqlite3.Connection) -> tuple[bytes, str, str] | None:
    """(bytes, content type, sha256) of the logo, or None when none is set."""
    row = conn.execute("SELECT logo, logo_type, logo_sha256 FROM branding WHERE id = 1 AND logo IS NOT NULL").fetchone()
    return None if row is None else (bytes(row[0]), str(row[1]), str(row[2]))


def publish_reference(conn: Connection, entity: str, value: msgspec.Struct) -> bool:
    """Put a piece of reference data in the feed (audience all) once per change, keyed in ``meta``.

    Used at start-up for what devices need offline: the QR verification key (``qr_key``) and the
    fee settings (``fee_settings``).
    """
    encoded = msgspec.json.encode(value).decode()
    key = f"published:{entity}"
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    if row is not None and row[0] == encoded:
        return False
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, encoded),
    )
    record_change(conn, entity, "current", value, PUBLIC)
    return True
