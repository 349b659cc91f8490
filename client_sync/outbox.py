"""The outbox: numbered mutations, their server results, renumbering after a gap, history, attachments.

Why: the mutation id is the heart of exactly-once (DESIGN rule 2). The counter lives in the profile
and only grows; an item, its id and its attachments commit together; results are recorded in one
transaction per push answer; and when the server's counter disagrees (a gap, a collision) the items
to resend are renumbered without holes, order kept, uuids kept (the server dedupes by uuid).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any

import msgspec

from server.protocol import MutationOp, MutationResult, PushResponse, decode_mutation_op, encode

from .db import Database, utcnow_iso
from .models import ItemState, QueuedItem

__all__ = [
    "RETAIN_ITEMS",
    "RETAIN_DAYS",
    "ITEM_COLUMNS",
    "item_from_row",
    "StoredAttachment",
    "ResultsOutcome",
    "OutboxStore",
]

_json_encode = msgspec.json.Encoder().encode

RETAIN_ITEMS = 1000
"""Settled outbox items kept as history at least (the newest ones), for gap recovery and display."""
RETAIN_DAYS = 30
"""…and any settled item younger than this is kept too."""

ITEM_COLUMNS = (
    "id, uuid, user_id, name, op, queued_at, device_time, state, code, message, visible_at, settled_at,"
    " (SELECT group_concat(sha256, ' ') FROM attachments a WHERE a.mutation_uuid = outbox.uuid) AS shas"
)


def item_from_row(row: sqlite3.Row) -> QueuedItem:
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


class OutboxStore(Database):
    """Outbox and attachment tables (see the module docstring)."""

    # --- items -------------------------------------------------------------------------------

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
                    client_id,
                    number,
                    uuid,
                    user_id,
                    type(op).__struct_config__.tag,
                    encode(op).decode(),
                    device_time,
                    utcnow_iso(),
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
                f"SELECT {ITEM_COLUMNS} FROM outbox WHERE client_id = ? AND id = ?", (client_id, number)
            ).fetchone()
        return item_from_row(item)

    def items(
        self,
        client_id: str,
        *,
        states: Sequence[ItemState] | None = None,
        settled: bool | None = None,
        limit: int | None = None,
        newest_first: bool = False,
        after: int | None = None,
    ) -> list[QueuedItem]:
        """Items in id order (``after``: only ids above it, e.g. the batch after one still in flight)."""
        sql = f"SELECT {ITEM_COLUMNS} FROM outbox WHERE client_id = ?"
        params: list[Any] = [client_id]
        if after is not None:
            sql += " AND id > ?"
            params.append(after)
        if states is not None:
            sql += f" AND state IN ({','.join('?' for _ in states)})"
            params.extend(states)
        if settled is not None:
            sql += " AND settled_at IS NOT NULL" if settled else " AND settled_at IS NULL"
        sql += " ORDER BY id DESC" if newest_first else " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [item_from_row(r) for r in self._query(sql, params)]

    def item_by_uuid(self, uuid: str) -> QueuedItem | None:
        rows = self._query(f"SELECT {ITEM_COLUMNS} FROM outbox WHERE uuid = ?", (uuid,))
        return item_from_row(rows[0]) if rows else None

    def overlay_items(self, client_id: str) -> list[QueuedItem]:
        """Items the view must still draw on top of the replica: unanswered, or applied but not yet pulled."""
        return [i for i in self.items(client_id, settled=False) if i.state == "pending" or i.state == "applied"]

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
        answered: list[tuple[MutationResult, QueuedItem]] = []
        for result in response.results:
            item = by_id.get(result.id)
            if item is None or item.uuid != result.uuid:
                continue
            answered.append((result, item))
            if result.status == "retry" or (result.status == "rejected" and result.code == "mutation_id_reused"):
                break
        with self.atomic() as conn:
            conn.execute(
                "UPDATE profiles SET server_last_mutation_id = ? WHERE client_id = ?",
                (response.last_mutation_id, client_id),
            )
            if not answered:
                return outcome
            # one look-up and one statement per kind of write for the whole answer; an item given its
            # verdict has its attempt counted in the same statement
            pending = {
                row[0]
                for row in conn.execute(
                    "SELECT uuid FROM outbox WHERE client_id = ? AND state = 'pending' AND uuid IN"
                    " (SELECT value FROM json_each(?))",
                    (client_id, _json_encode([item.uuid for _, item in answered]).decode()),
                )
            }
            verdicts: list[tuple[str, str | None, str | None, int | None, str, str]] = []
            tried_only: list[tuple[str, str]] = []  # answered, no verdict recorded: the attempt is counted
            for result, item in answered:
                if result.status == "retry":
                    tried_only.append((client_id, item.uuid))
                    outcome.retry, outcome.retry_code, outcome.retry_message = item, result.code, result.message
                    if result.code == "attachment_missing":
                        conn.execute("UPDATE attachments SET uploaded_at = NULL WHERE mutation_uuid = ?", (item.uuid,))
                    break
                if result.status == "rejected" and result.code == "mutation_id_reused":
                    tried_only.append((client_id, item.uuid))
                    outcome.collision_at = item.id
                    break
                if item.uuid not in pending:
                    tried_only.append((client_id, item.uuid))
                    continue
                pending.discard(item.uuid)  # a uuid answered twice is recorded once, as before
                verdicts.append((result.status, result.code, result.message, result.visible_at, client_id, item.uuid))
                done = msgspec.structs.replace(
                    item,
                    state=result.status,
                    code=result.code,
                    message=result.message,
                    visible_at=result.visible_at,
                )
                (outcome.applied if result.status == "applied" else outcome.rejected).append(done)
            conn.executemany(
                "UPDATE outbox SET state = ?, code = ?, message = ?, visible_at = ?, attempts = attempts + 1"
                " WHERE client_id = ? AND uuid = ? AND state = 'pending'",
                verdicts,
            )
            conn.executemany("UPDATE outbox SET attempts = attempts + 1 WHERE client_id = ? AND uuid = ?", tried_only)
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
                "UPDATE outbox SET state = 'pending', code = NULL, message = NULL, visible_at = NULL,"
                " settled_at = NULL,"
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
            conn.execute(
                "UPDATE attachments SET uploaded_at = NULL WHERE mutation_uuid IN"
                " (SELECT uuid FROM outbox WHERE client_id = ? AND state = 'pending')",
                (client_id,),
            )
        return len(ids)

    def highest_answered_id(self, client_id: str) -> int:
        row = self._query("SELECT MAX(id) FROM outbox WHERE client_id = ? AND state != 'pending'", (client_id,))
        return int(row[0][0] or 0)

    def prune(self, client_id: str, *, keep: int = RETAIN_ITEMS, days: int = RETAIN_DAYS) -> int:
        """Forget settled history beyond the newest ``keep`` items that is older than ``days``."""
        cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat(timespec="milliseconds")
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
