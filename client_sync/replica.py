"""The replica: server rows as last pulled, one page (and its cursor) per transaction.

Why: applying a page and moving the cursor together means kill -9 between pages loses nothing and a
repeated page is harmless (upserts and deletes by (entity, id)). A ``mutation`` row in the feed
carries the server's verdict on one of our items, so a result whose push answer was lost still
arrives; and items are settled (no longer drawn as pending) only once the pull has passed their
``visible_at`` (DESIGN rule 5).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from server.protocol import PullResponse

from .db import Database, utcnow_iso
from .models import QueuedItem
from .outbox import ITEM_COLUMNS, item_from_row

__all__ = ["PageOutcome", "ReplicaStore"]

_json_decoder = msgspec.json.Decoder()
_json_encode = msgspec.json.Encoder().encode

_UPSERT = (
    "INSERT INTO rows (client_id, entity, id, seq, data) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (client_id, entity, id) DO UPDATE SET seq = excluded.seq, data = excluded.data"
)
_DELETE = "DELETE FROM rows WHERE client_id = ? AND entity = ? AND id = ?"
_MOVE = "UPDATE outbox SET visible_at = ? WHERE client_id = ? AND uuid = ?"


class _FeedResult(msgspec.Struct, gc=False):
    """The fields of a pulled ``mutation`` row that settle an outbox item (other fields are ignored)."""

    uuid: str = ""
    status: str = ""
    code: str | None = None
    message: str | None = None
    visible_at: int | None = None


_result_decoder = msgspec.json.Decoder(_FeedResult)


def _feed_result(raw: bytes) -> _FeedResult | None:
    """The verdict a ``mutation`` row carries, or None if it carries none (or not in the expected shape)."""
    try:
        result = _result_decoder.decode(raw)
    except msgspec.MsgspecError:
        return None
    return result if result.status in ("applied", "rejected") else None


class PageOutcome(msgspec.Struct):
    """What applying one pulled page changed."""

    changes: int = 0
    settled_by_feed: list[QueuedItem] = msgspec.field(default_factory=list)
    rejected_by_feed: list[QueuedItem] = msgspec.field(default_factory=list)


class ReplicaStore(Database):
    """Replica rows and the pull position of each profile."""

    # --- rows ------------------------------------------------------------------------------

    def reset_replica(self, client_id: str) -> None:
        """Drop the replica and the cursor (never the outbox): the next pull starts from scratch."""
        with self.atomic() as conn:
            conn.execute("DELETE FROM rows WHERE client_id = ?", (client_id,))
            conn.execute("UPDATE profiles SET cursor = '', position = 0 WHERE client_id = ?", (client_id,))

    def apply_page(self, client_id: str, page: PullResponse, now: str | None = None) -> PageOutcome:
        """Apply one pulled page and its cursor in one transaction; settle outbox items it covers.

        Applying the same page twice is harmless: rows are upserts/deletes by (entity, id), results are
        only recorded on items still pending, and settling only moves forward. The rows go in with
        ``executemany`` (flushed before a delete, so the page's order holds) and the page's mutation
        results are matched to the outbox with one look-up, not one per result.
        """
        outcome = PageOutcome(changes=len(page.changes))
        now = now or utcnow_iso()
        with self.atomic() as conn:
            puts: list[tuple[str, str, str, int, str]] = []
            results: list[tuple[int, _FeedResult]] = []
            for change in page.changes:
                if change.op == "delete":
                    if puts:  # keep the page's order: earlier puts land before this delete
                        conn.executemany(_UPSERT, puts)
                        puts = []
                    conn.execute(_DELETE, (client_id, change.entity, change.id))
                    continue
                raw = bytes(change.data)
                puts.append((client_id, change.entity, change.id, change.seq, raw.decode()))
                if change.entity == "mutation":
                    result = _feed_result(raw)
                    if result is not None:
                        results.append((change.seq, result))
            if puts:
                conn.executemany(_UPSERT, puts)
            if results:
                self._settle_from_feed(conn, client_id, results, outcome)
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
        self, conn: sqlite3.Connection, client_id: str, results: list[tuple[int, _FeedResult]], outcome: PageOutcome
    ) -> None:
        """A ``mutation`` row carries the server's verdict: record it even if the push answer was lost.

        One look-up finds the page's items (state and ``visible_at`` only; the full item only for the
        few still pending); results apply in page order, as if one by one.
        """
        uuids = _json_encode(sorted({r.uuid for _, r in results})).decode()
        known: dict[str, tuple[str, int | None]] = {
            row[0]: (row[1], row[2])
            for row in conn.execute(
                "SELECT uuid, state, visible_at FROM outbox WHERE client_id = ? AND uuid IN"
                " (SELECT value FROM json_each(?))",
                (client_id, uuids),
            )
        }
        moved: list[tuple[int, str, str]] = []
        for seq, result in results:
            current = known.get(result.uuid)
            if current is None:
                continue
            state, old_visible = current
            visible_at = result.visible_at or seq
            if state == "pending":
                if moved:  # keep order: an earlier visible_at change of the same item lands first
                    conn.executemany(_MOVE, moved)
                    moved = []
                row = conn.execute(
                    f"SELECT {ITEM_COLUMNS} FROM outbox WHERE client_id = ? AND uuid = ?", (client_id, result.uuid)
                ).fetchone()
                conn.execute(
                    "UPDATE outbox SET state = ?, code = ?, message = ?, visible_at = ?"
                    " WHERE client_id = ? AND uuid = ?",
                    (result.status, result.code, result.message, visible_at, client_id, result.uuid),
                )
                done = msgspec.structs.replace(
                    item_from_row(row),
                    state=result.status,
                    code=result.code,
                    message=result.message,
                    visible_at=visible_at,
                )
                outcome.settled_by_feed.append(done)
                if done.state == "rejected":
                    outcome.rejected_by_feed.append(done)
                known[result.uuid] = (result.status, visible_at)
            elif old_visible != visible_at:  # the feed's position is the truth of the current epoch
                moved.append((visible_at, client_id, result.uuid))
                known[result.uuid] = (state, visible_at)
        if moved:
            conn.executemany(_MOVE, moved)

    def replica(self, client_id: str, entity: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT data FROM rows WHERE client_id = ? AND entity = ? ORDER BY seq", (client_id, entity))
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
