"""The device's SQLite file as one typed object: profiles and meta here, outbox and replica mixed in.

Why profiles: one file per device, one *profile* per user who logged in on it. A profile owns a client
id, its tokens, its cursor, its replica rows and its outbox, so a shared officer device never sends one
user's queue under another user's token (DESIGN rule 7) and never shows one officer another's scope.
"""

from __future__ import annotations

import sqlite3

import msgspec

from server.protocol import UserInfo, encode

from .db import utcnow_iso
from .outbox import RETAIN_DAYS, RETAIN_ITEMS, OutboxStore, ResultsOutcome, StoredAttachment
from .replica import PageOutcome, ReplicaStore
from .schema import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "RETAIN_ITEMS",
    "RETAIN_DAYS",
    "Profile",
    "StoredAttachment",
    "PageOutcome",
    "ResultsOutcome",
    "Store",
    "utcnow_iso",
]


class Profile(msgspec.Struct, frozen=True):
    """One user's footprint on this device (see the module docstring)."""

    client_id: str
    username: str
    user_id: int | None
    user: UserInfo | None
    access_token: str | None
    refresh_token: str | None
    access_expires_at: float | None
    cursor: str
    position: int
    server_last_mutation_id: int | None
    next_mutation_id: int
    last_sync_at: str | None
    last_error_code: str | None
    last_error_message: str | None
    last_error_retryable: bool


_user_decoder = msgspec.json.Decoder(UserInfo)


class Store(OutboxStore, ReplicaStore):
    """Typed access to the device database; every write is one short transaction."""

    # --- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str | None) -> None:
        with self.atomic() as conn:
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    # --- profiles -----------------------------------------------------------------------------

    @staticmethod
    def _profile(row: sqlite3.Row) -> Profile:
        info = row["user_info"]
        return Profile(
            client_id=row["client_id"],
            username=row["username"],
            user_id=row["user_id"],
            user=_user_decoder.decode(info) if info else None,
            access_token=row["access_token"],
            refresh_token=row["refresh_token"],
            access_expires_at=row["access_expires_at"],
            cursor=row["cursor"],
            position=row["position"],
            server_last_mutation_id=row["server_last_mutation_id"],
            next_mutation_id=row["next_mutation_id"],
            last_sync_at=row["last_sync_at"],
            last_error_code=row["last_error_code"],
            last_error_message=row["last_error_message"],
            last_error_retryable=bool(row["last_error_retryable"]),
        )

    def profile(self, client_id: str) -> Profile | None:
        rows = self._query("SELECT * FROM profiles WHERE client_id = ?", (client_id,))
        return self._profile(rows[0]) if rows else None

    def profiles(self) -> list[Profile]:
        return [self._profile(r) for r in self._query("SELECT * FROM profiles ORDER BY rowid")]

    def profile_for_username(self, username: str) -> Profile | None:
        """The newest profile of that username (a username whose client id was refused gets a new one)."""
        rows = self._query("SELECT * FROM profiles WHERE username = ? ORDER BY rowid DESC LIMIT 1", (username,))
        return self._profile(rows[0]) if rows else None

    def create_profile(self, client_id: str, username: str) -> Profile:
        with self.atomic() as conn:
            conn.execute(
                "INSERT INTO profiles (client_id, username, created_at) VALUES (?, ?, ?)",
                (client_id, username, utcnow_iso()),
            )
        profile = self.profile(client_id)
        assert profile is not None
        return profile

    def save_tokens(
        self, client_id: str, *, user: UserInfo, access_token: str, refresh_token: str, expires_at: float
    ) -> None:
        with self.atomic() as conn:
            conn.execute(
                "UPDATE profiles SET user_id = ?, username = ?, user_info = ?, access_token = ?, refresh_token = ?,"
                " access_expires_at = ? WHERE client_id = ?",
                (user.id, user.username, encode(user).decode(), access_token, refresh_token, expires_at, client_id),
            )

    def clear_tokens(self, client_id: str) -> None:
        with self.atomic() as conn:
            conn.execute(
                "UPDATE profiles SET access_token = NULL, refresh_token = NULL, access_expires_at = NULL"
                " WHERE client_id = ?",
                (client_id,),
            )

    def record_error(self, client_id: str, code: str | None, message: str | None, retryable: bool = False) -> None:
        with self.atomic() as conn:
            conn.execute(
                "UPDATE profiles SET last_error_code = ?, last_error_message = ?, last_error_retryable = ?"
                " WHERE client_id = ?",
                (code, message, int(retryable), client_id),
            )

    def record_success(self, client_id: str) -> None:
        with self.atomic() as conn:
            conn.execute(
                "UPDATE profiles SET last_sync_at = ?, last_error_code = NULL, last_error_message = NULL,"
                " last_error_retryable = 0 WHERE client_id = ?",
                (utcnow_iso(), client_id),
            )
