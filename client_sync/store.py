"""The device's SQLite file: replica, outbox, attachments, profiles and meta.

Why it looks like this:

* One file per device, one *profile* per user who logged in on it. A profile owns a client id, its
  tokens, its cursor, its replica rows and its outbox, so a shared officer device never sends one
  user's queue under another user's token (DESIGN rule 7) and never shows one officer another's scope.
* WAL with ``synchronous=FULL``: a commit is on disk when ``queue`` returns, so kill -9 loses nothing.
* Explicit transactions (``isolation_level=None``) through ``atomic()``: the outermost level is
  ``BEGIN IMMEDIATE`` (so two processes never deadlock upgrading a read lock), inner levels are
  savepoints, in the manner of sqlite-utils/Django.
* Schema changes are numbered migrations recorded in ``PRAGMA user_version``, each in one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from server.protocol import MutationOp, PullResponse, PushResponse, UserInfo, decode_mutation_op, encode

from .models import ItemState, QueuedItem

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

RETAIN_ITEMS = 1000
"""Settled outbox items kept as history at least (the newest ones), for gap recovery and display."""
RETAIN_DAYS = 30
"""…and any settled item younger than this is kept too."""

_MIGRATIONS: list[list[str]] = [
    [  # 1: initial schema
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE profiles (
            client_id TEXT PRIMARY KEY,
            username TEXT NOT NULL COLLATE NOCASE,
            user_id INTEGER,
            user_info TEXT,
            access_token TEXT,
            refresh_token TEXT,
            access_expires_at REAL,
            cursor TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL DEFAULT 0,
            server_last_mutation_id INTEGER,
            next_mutation_id INTEGER NOT NULL DEFAULT 1 CHECK (next_mutation_id >= 1),
            last_sync_at TEXT,
            last_error_code TEXT,
            last_error_message TEXT,
            last_error_retryable INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX profiles_username ON profiles (username)",
        """CREATE TABLE rows (
            client_id TEXT NOT NULL,
            entity TEXT NOT NULL,
            id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (client_id, entity, id)
        ) WITHOUT ROWID""",
        """CREATE TABLE outbox (
            client_id TEXT NOT NULL REFERENCES profiles (client_id),
            id INTEGER NOT NULL,
            uuid TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            op TEXT NOT NULL,
            device_time TEXT,
            queued_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'applied', 'rejected')),
            code TEXT,
            message TEXT,
            visible_at INTEGER,
            settled_at TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (client_id, id)
        )""",
        "CREATE INDEX outbox_state ON outbox (client_id, state, settled_at)",
        """CREATE TABLE attachments (
            mutation_uuid TEXT NOT NULL REFERENCES outbox (uuid) ON DELETE CASCADE,
            sha256 TEXT NOT NULL,
            path TEXT,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            content BLOB NOT NULL,
            uploaded_at TEXT,
            PRIMARY KEY (mutation_uuid, sha256)
        )""",
    ],
]
SCHEMA_VERSION = len(_MIGRATIONS)


def utcnow_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


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


class StoredAttachment(msgspec.Struct, frozen=True):
    mutation_uuid: str
    sha256: str
    content_type: str
    size: int
    path: str | None
    uploaded: bool


class ResultsOutcome(msgspec.Struct):
    """What recording one push response changed."""

    applied: list[QueuedItem] = msgspec.field(default_factory=list)
    rejected: list[QueuedItem] = msgspec.field(default_factory=list)
    retry: QueuedItem | None = None
    retry_code: str | None = None
    retry_message: str | None = None
    collision_at: int | None = None
    answered: int = 0


class PageOutcome(msgspec.Struct):
    """What applying one pulled page changed."""

    changes: int = 0
    settled_by_feed: list[QueuedItem] = msgspec.field(default_factory=list)
    rejected_by_feed: list[QueuedItem] = msgspec.field(default_factory=list)


_user_decoder = msgspec.json.Decoder(UserInfo)
_json_decoder = msgspec.json.Decoder()


class Store:
    """Typed access to the device database; every write is one short transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self.migrate()

    # --- plumbing -----------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def atomic(self) -> Iterator[sqlite3.Connection]:
        """A transaction (outermost: ``BEGIN IMMEDIATE``) or a nested savepoint; rolls back on error."""
        with self._lock:
            conn = self._conn
            depth = self._depth
            name = f"sp{depth}"
            conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield conn
            except BaseException:
                self._depth -= 1
                if depth == 0:
                    conn.execute("ROLLBACK")
                else:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                raise
            else:
                self._depth -= 1
                conn.execute("COMMIT" if depth == 0 else f"RELEASE {name}")

    def _query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def migrate(self) -> int:
        """Bring the schema to ``SCHEMA_VERSION``; refuse a file written by a newer client."""
        with self._lock:
            version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"Basis data lokal berversi {version}, lebih baru dari aplikasi ini ({SCHEMA_VERSION}); perbarui aplikasi."
                )
            for number in range(version + 1, SCHEMA_VERSION + 1):
                with self.atomic() as conn:
                    for statement in _MIGRATIONS[number - 1]:
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number}")
            return SCHEMA_VERSION

    @property
    def user_version(self) -> int:
        return int(self._query("PRAGMA user_version")[0][0])

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
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
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

    # --- outbox -------------------------------------------------------------------------------

    _ITEM_COLUMNS = (
        "id, uuid, user_id, name, op, queued_at, device_time, state, code, message, visible_at, settled_at,"
        " (SELECT group_concat(sha256, ' ') FROM attachments a WHERE a.mutation_uuid = outbox.uuid) AS shas"
    )

    @staticmethod
    def _item(row: sqlite3.Row) -> QueuedItem:
        shas = row["shas"]
        return QueuedItem(
            id=row["id"],
            uuid=row["uuid"],
            user_id=row["user_id"],
            name=row["name"],
            op=decode_mutation_op(row["op"]),
            queued_at=row["queued_at"],
            device_time=row["device_time"],
            state=row["state"],
            code=row["code"],
            message=row["message"],
            visible_at=row["visible_at"],
            settled=row["settled_at"] is not None,
            attachments=tuple(sorted(shas.split(" "))) if shas else (),
        )

    def enqueue(
        self,
        client_id: str,
        *,
        uuid: str,
        user_id: int,
        op: MutationOp,
        device_time: str | None,
        attachments: Sequence[tuple[str, str, str | None, bytes]] = (),
    ) -> QueuedItem:
        """Append a mutation with the next id, durably. ``attachments``: (sha256, content_type, path, bytes).

        The counter lives in the profile and only grows, so an id is never handed out twice even after
        history is pruned; the id, the item and its attachments commit together.
        """
        with self.atomic() as conn:
            row = conn.execute("SELECT next_mutation_id FROM profiles WHERE client_id = ?", (client_id,)).fetchone()
            if row is None:
                raise KeyError(client_id)
            number = int(row[0])
            conn.execute(
                "INSERT INTO outbox (client_id, id, uuid, user_id, name, op, device_time, queued_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    client_id, number, uuid, user_id, type(op).__struct_config__.tag, encode(op).decode(),
                    device_time, utcnow_iso(),
                ),
            )
            for sha, content_type, path, content in attachments:
                conn.execute(
                    "INSERT INTO attachments (mutation_uuid, sha256, path, content_type, size, content)"
                    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (uuid, sha, path, content_type, len(content), content),
                )
            conn.execute("UPDATE profiles SET next_mutation_id = ? WHERE client_id = ?", (number + 1, client_id))
            item = conn.execute(
                f"SELECT {self._ITEM_COLUMNS} FROM outbox WHERE client_id = ? AND id = ?", (client_id, number)
            ).fetchone()
        return self._item(item)

    def items(
        self,
        client_id: str,
        *,
        states: Sequence[ItemState] | None = None,
        settled: bool | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[QueuedItem]:
        sql = f"SELECT {self._ITEM_COLUMNS} FROM outbox WHERE client_id = ?"
        params: list[Any] = [client_id]
        if states is not None:
            sql += f" AND state IN ({','.join('?' for _ in states)})"
            params.extend(states)
        if settled is not None:
            sql += " AND settled_at IS NOT NULL" if settled else " AND settled_at IS NULL"
        sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [self._item(r) for r in self._query(sql, params)]

    def item_by_uuid(self, uuid: str) -> QueuedItem | None:
        rows = self._query(f"SELECT {self._ITEM_COLUMNS} FROM outbox WHERE uuid = ?", (uuid,))
        return self._item(rows[0]) if rows else None

    def overlay_items(self, client_id: str) -> list[QueuedItem]:
        """Items the view must still draw on top of the replica: unanswered, or applied but not yet pulled."""
        return [
            i for i in self.items(client_id, settled=False) if i.state == "pending" or i.state == "applied"
        ]

    def count_items(self, client_id: str | None = None, *, exclude: str | None = None) -> dict[str, int]:
        """Counts of unsettled pending/applied items, unsent items and rejected items."""
        where, params = ("client_id = ?", [client_id]) if client_id else ("client_id != ?", [exclude or ""])
        row = self._query(
            "SELECT"
            " COALESCE(SUM(state = 'pending'), 0) AS unsent,"
            " COALESCE(SUM(state != 'rejected' AND settled_at IS NULL), 0) AS pending,"
            " COALESCE(SUM(state = 'rejected'), 0) AS rejected"
            f" FROM outbox WHERE {where}",
            params,
        )[0]
        return {"unsent": row["unsent"], "pending": row["pending"], "rejected": row["rejected"]}

    def record_results(self, client_id: str, sent: Sequence[QueuedItem], response: PushResponse) -> ResultsOutcome:
        """Record a push response in one transaction; stop at a ``retry`` or at an id collision.

        A ``mutation_id_reused`` rejection means the server holds a *different* mutation under that id
        (this device's counter went backwards, e.g. restored from a backup): it is not a verdict on our
        mutation, so it is reported as a collision and the item stays pending for renumbering.
        """
        by_id = {item.id: item for item in sent}
        outcome = ResultsOutcome(answered=len(response.results))
        with self.atomic() as conn:
            conn.execute(
                "UPDATE profiles SET server_last_mutation_id = ? WHERE client_id = ?",
                (response.last_mutation_id, client_id),
            )
            for result in response.results:
                item = by_id.get(result.id)
                if item is None or item.uuid != result.uuid:
                    continue
                conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1 WHERE client_id = ? AND uuid = ?", (client_id, item.uuid)
                )
                if result.status == "retry":
                    outcome.retry, outcome.retry_code, outcome.retry_message = item, result.code, result.message
                    if result.code == "attachment_missing":
                        conn.execute("UPDATE attachments SET uploaded_at = NULL WHERE mutation_uuid = ?", (item.uuid,))
                    break
                if result.status == "rejected" and result.code == "mutation_id_reused":
                    outcome.collision_at = item.id
                    break
                cur = conn.execute(
                    "UPDATE outbox SET state = ?, code = ?, message = ?, visible_at = ?"
                    " WHERE client_id = ? AND uuid = ? AND state = 'pending'",
                    (result.status, result.code, result.message, result.visible_at, client_id, item.uuid),
                )
                if cur.rowcount:
                    done = msgspec.structs.replace(
                        item, state=result.status, code=result.code, message=result.message, visible_at=result.visible_at
                    )
                    (outcome.applied if result.status == "applied" else outcome.rejected).append(done)
        return outcome

    def resequence(self, client_id: str, start: int) -> int:
        """Make the items to (re)send exactly ``start, start+1, …`` in their original order.

        Used when the server's counter disagrees with ours: a ``mutation_gap`` (the server expects
        ``start``; it lost what we sent after that, e.g. restored from a backup) or an id collision. Every
        item with an id >= ``start`` becomes pending again (the server no longer has it; it dedupes by
        uuid anyway) and, with the items still pending, is renumbered from ``start`` without holes. The
        server has processed nothing at or after ``start`` for this client, so no id the server knows is
        ever given to a different mutation. Returns how many items are now pending.
        """
        if start < 1:
            raise ValueError("start must be >= 1")
        with self.atomic() as conn:
            rows = conn.execute(
                "SELECT id FROM outbox WHERE client_id = ? AND (state = 'pending' OR id >= ?) ORDER BY id",
                (client_id, start),
            ).fetchall()
            ids = [r[0] for r in rows]
            conn.execute(
                "UPDATE outbox SET state = 'pending', code = NULL, message = NULL, visible_at = NULL, settled_at = NULL,"
                " id = -id WHERE client_id = ? AND (state = 'pending' OR id >= ?)",
                (client_id, start),
            )
            for offset, old in enumerate(ids):
                conn.execute(
                    "UPDATE outbox SET id = ? WHERE client_id = ? AND id = ?", (start + offset, client_id, -old)
                )
            highest = conn.execute("SELECT MAX(id) FROM outbox WHERE client_id = ?", (client_id,)).fetchone()[0]
            next_id = max(start + len(ids), (highest or 0) + 1)
            conn.execute("UPDATE profiles SET next_mutation_id = ? WHERE client_id = ?", (next_id, client_id))
            conn.execute("UPDATE attachments SET uploaded_at = NULL WHERE mutation_uuid IN"
                         " (SELECT uuid FROM outbox WHERE client_id = ? AND state = 'pending')", (client_id,))
        return len(ids)

    def highest_answered_id(self, client_id: str) -> int:
        row = self._query("SELECT MAX(id) FROM outbox WHERE client_id = ? AND state != 'pending'", (client_id,))
        return int(row[0][0] or 0)

    def prune(self, client_id: str, *, keep: int = RETAIN_ITEMS, days: int = RETAIN_DAYS) -> int:
        """Forget settled history beyond the newest ``keep`` items that is older than ``days``."""
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).isoformat(timespec="milliseconds")
        with self.atomic() as conn:
            cur = conn.execute(
                "DELETE FROM outbox WHERE client_id = ? AND settled_at IS NOT NULL AND settled_at < ? AND id NOT IN"
                " (SELECT id FROM outbox WHERE client_id = ? ORDER BY id DESC LIMIT ?)",
                (client_id, cutoff, client_id, keep),
            )
            return cur.rowcount

    # --- attachments --------------------------------------------------------------------------

    def attachments_to_upload(self, uuids: Sequence[str]) -> list[StoredAttachment]:
        if not uuids:
            return []
        marks = ",".join("?" for _ in uuids)
        rows = self._query(
            "SELECT mutation_uuid, sha256, content_type, size, path, uploaded_at FROM attachments"
            f" WHERE uploaded_at IS NULL AND mutation_uuid IN ({marks}) ORDER BY rowid",
            list(uuids),
        )
        return [
            StoredAttachment(r["mutation_uuid"], r["sha256"], r["content_type"], r["size"], r["path"], False)
            for r in rows
        ]

    def attachment_content(self, sha256: str) -> bytes | None:
        rows = self._query("SELECT content FROM attachments WHERE sha256 = ? LIMIT 1", (sha256,))
        return bytes(rows[0][0]) if rows else None

    def has_attachment(self, sha256: str) -> bool:
        return bool(self._query("SELECT 1 FROM attachments WHERE sha256 = ? LIMIT 1", (sha256,)))

    def mark_uploaded(self, sha256: str) -> None:
        with self.atomic() as conn:
            conn.execute("UPDATE attachments SET uploaded_at = ? WHERE sha256 = ?", (utcnow_iso(), sha256))

    # --- replica ------------------------------------------------------------------------------

    def reset_replica(self, client_id: str) -> None:
        """Drop the replica and the cursor (never the outbox): the next pull starts from scratch."""
        with self.atomic() as conn:
            conn.execute("DELETE FROM rows WHERE client_id = ?", (client_id,))
            conn.execute("UPDATE profiles SET cursor = '', position = 0 WHERE client_id = ?", (client_id,))

    def apply_page(self, client_id: str, page: PullResponse, now: str | None = None) -> PageOutcome:
        """Apply one pulled page and its cursor in one transaction; settle outbox items it covers.

        Applying the same page twice is harmless: rows are upserts/deletes by (entity, id), results are
        only recorded on items still pending, and settling only moves forward.
        """
        outcome = PageOutcome(changes=len(page.changes))
        now = now or utcnow_iso()
        with self.atomic() as conn:
            for change in page.changes:
                if change.op == "delete" or change.data is None:
                    conn.execute(
                        "DELETE FROM rows WHERE client_id = ? AND entity = ? AND id = ?",
                        (client_id, change.entity, change.id),
                    )
                    continue
                raw = bytes(change.data)
                conn.execute(
                    "INSERT INTO rows (client_id, entity, id, seq, data) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (client_id, entity, id) DO UPDATE SET seq = excluded.seq, data = excluded.data",
                    (client_id, change.entity, change.id, change.seq, raw.decode()),
                )
                if change.entity == "mutation":
                    self._settle_from_feed(conn, client_id, change.seq, raw, outcome)
            conn.execute(
                "UPDATE profiles SET cursor = ?, position = ?, server_last_mutation_id = ? WHERE client_id = ?",
                (page.cursor, page.position, page.last_mutation_id, client_id),
            )
            conn.execute(
                "UPDATE outbox SET settled_at = ? WHERE client_id = ? AND state != 'pending' AND settled_at IS NULL"
                " AND COALESCE(visible_at, 0) <= ?",
                (now, client_id, page.position),
            )
        return outcome

    def _settle_from_feed(
        self, conn: sqlite3.Connection, client_id: str, seq: int, raw: bytes, outcome: PageOutcome
    ) -> None:
        """A ``mutation`` row carries the server's verdict: record it even if the push answer was lost."""
        data = _json_decoder.decode(raw)
        if not isinstance(data, dict) or data.get("status") not in ("applied", "rejected"):
            return
        uuid = data.get("uuid") or ""
        visible_at = data.get("visible_at") or seq
        row = conn.execute(
            f"SELECT {self._ITEM_COLUMNS} FROM outbox WHERE client_id = ? AND uuid = ?", (client_id, uuid)
        ).fetchone()
        if row is None:
            return
        item = self._item(row)
        if item.state == "pending":
            conn.execute(
                "UPDATE outbox SET state = ?, code = ?, message = ?, visible_at = ? WHERE client_id = ? AND uuid = ?",
                (data["status"], data.get("code"), data.get("message"), visible_at, client_id, uuid),
            )
            done = msgspec.structs.replace(
                item, state=data["status"], code=data.get("code"), message=data.get("message"), visible_at=visible_at
            )
            outcome.settled_by_feed.append(done)
            if done.state == "rejected":
                outcome.rejected_by_feed.append(done)
        elif item.visible_at != visible_at:  # the feed's position is the truth of the current epoch
            conn.execute("UPDATE outbox SET visible_at = ? WHERE client_id = ? AND uuid = ?", (visible_at, client_id, uuid))

    def replica(self, client_id: str, entity: str) -> list[dict[str, Any]]:
        rows = self._query(
            "SELECT data FROM rows WHERE client_id = ? AND entity = ? ORDER BY seq", (client_id, entity)
        )
        return [_json_decoder.decode(r[0]) for r in rows]

    def replica_row(self, client_id: str, entity: str, row_id: str) -> dict[str, Any] | None:
        rows = self._query(
            "SELECT data FROM rows WHERE client_id = ? AND entity = ? AND id = ?", (client_id, entity, row_id)
        )
        return _json_decoder.decode(rows[0][0]) if rows else None

    def replica_where(self, client_id: str, entity: str, field: str, value: Any) -> list[dict[str, Any]]:
        """Rows whose JSON ``field`` equals ``value`` (a json_extract filter, so large replicas stay quick)."""
        if not field.isidentifier():
            raise ValueError(field)
        rows = self._query(
            f"SELECT data FROM rows WHERE client_id = ? AND entity = ? AND json_extract(data, '$.{field}') = ?"
            " ORDER BY seq",
            (client_id, entity, value),
        )
        return [_json_decoder.decode(r[0]) for r in rows]

    def count_rows(self, client_id: str, entity: str | None = None) -> int:
        if entity is None:
            return int(self._query("SELECT COUNT(*) FROM rows WHERE client_id = ?", (client_id,))[0][0])
        return int(
            self._query("SELECT COUNT(*) FROM rows WHERE client_id = ? AND entity = ?", (client_id, entity))[0][0]
        )
