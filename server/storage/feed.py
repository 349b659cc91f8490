"""SQL of the change feed and of the sync bookkeeping (clients, processed mutations).

Every change to a replicated row is appended to ``changes`` in the same transaction as the row, with
the audience that may read it. Pull filters by that audience at read time.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec
from msgspec import Struct

from server.access import Reach, change_condition
from server.notify.events import may_notify

from .database import Connection
from .errors import StorageIntegrity
from .push_outbox import derive as derive_notice

__all__ = [
    "Scope",
    "PUBLIC",
    "record_change",
    "epoch",
    "feed_state",
    "max_seq",
    "changes_after",
    "client_owner",
    "register_client",
    "client_counter",
    "set_client_counter",
    "mutation_by_uuid",
    "mutation_by_number",
    "record_mutation",
    "compact",
    "FeedBatch",
    "flush_pending",
    "open_batch",
    "defer_new",
    "close_batch",
]


class Scope(Struct, frozen=True):
    """Who may read a change: everyone, the scoped member/location/creator, or one user only."""

    audience: str = "scoped"
    member: int | None = None
    location: int | None = None
    user: int | None = None


PUBLIC = Scope(audience="all")

_encode = msgspec.json.Encoder().encode
_INSERT_CHANGE = (
    "INSERT INTO changes (entity, entity_id, op, data, audience, scope_member, scope_location, scope_user)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


_INSERT_CHANGE_AT = (
    "INSERT INTO changes (seq, entity, entity_id, op, data, audience, scope_member, scope_location, scope_user)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_MUTATION = (
    "INSERT INTO mutations (uuid, client_id, mutation_id, user_id, name, status, code, message, visible_at,"
    " received_at, device_time) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


class FeedBatch:
    """The change-log and processed-mutation rows of one push pass, written together when it ends.

    Why: a push wrote two change rows and one mutation row per mutation, each its own ``INSERT`` (and
    its ``lastrowid`` for the feed position). Here the pass hands out the feed positions itself (one
    read of the sequence, then counting in memory: the single writer holds the write lock) and
    ``flush`` writes the rows with one ``executemany`` per table. While a batch is open on a
    connection every ``record_change`` goes through it (so no position is handed out twice), and the
    reads of this module that could see its rows (``mutation_by_*``, ``max_seq``) flush it first.

    New transaction rows go the same way (``defer_new``): an ``INSERT ... ON CONFLICT (id) DO
    NOTHING`` per row cost as much again as the rest of a deposit's writes. ``flush`` writes them with
    one ``executemany`` per statement and raises ``StorageIntegrity`` if any id existed already, which
    sends the pass to its careful rerun, where each row is inserted on its own and a duplicate refuses
    only its mutation. A read of such a table inside the pass flushes first (``flush_pending``).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        row = conn.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0),"
            " COALESCE((SELECT MAX(seq) FROM changes), 0))"
        ).fetchone()
        self.next_seq = int(row[0]) + 1
        self.changes: list[tuple[Any, ...]] = []
        self.mutations: list[tuple[Any, ...]] = []
        self.new_rows: dict[str, list[list[Any]]] = {}

    def change(self, row: tuple[Any, ...]) -> int:
        seq = self.next_seq
        self.next_seq = seq + 1
        self.changes.append((seq, *row))
        return seq

    def defer_new(self, sql: str, values: list[Any]) -> None:
        """Insert a new row at ``flush`` (``sql`` inserts nothing when the id exists, and says so)."""
        self.new_rows.setdefault(sql, []).append(values)

    def flush(self) -> None:
        """Write the collected rows; any constraint they break leaves as ``StorageIntegrity`` (the push
        path, which may flush from inside a read, redoes its pass on that type)."""
        try:
            self._write()
        except sqlite3.IntegrityError as broken:
            raise StorageIntegrity(str(broken)) from broken

    def _write(self) -> None:
        new_rows, self.new_rows = self.new_rows, {}
        for sql, rows in new_rows.items():
            if self.conn.executemany(sql, rows).rowcount != len(rows):
                raise StorageIntegrity("a new row's id exists already")
        if self.changes:
            self.conn.executemany(_INSERT_CHANGE_AT, self.changes)
            self.changes = []
        if self.mutations:
            self.conn.executemany(_INSERT_MUTATION, self.mutations)
            self.mutations = []


def open_batch(conn: Connection) -> FeedBatch:
    """Start collecting this connection's feed rows (``storage.batch.PushWork`` does, per push pass)."""
    batch = FeedBatch(conn)
    conn._feed_batch = batch  # type: ignore[attr-defined]  # a per-pass attribute on the connection, read back by getattr
    return batch


def close_batch(conn: Connection) -> None:
    """Stop collecting; rows not flushed are dropped (the pass is being undone)."""
    conn._feed_batch = None  # type: ignore[attr-defined]  # a per-pass attribute on the connection, read back by getattr


def _open_batch(conn: sqlite3.Connection) -> FeedBatch | None:
    return getattr(conn, "_feed_batch", None)


def defer_new(conn: sqlite3.Connection, sql: str, values: list[Any]) -> bool:
    """Hand a new row to the open push pass (True), or say none is open (False: insert it now)."""
    batch = _open_batch(conn)
    if batch is None:
        return False
    batch.defer_new(sql, values)
    return True


def flush_pending(conn: sqlite3.Connection) -> None:
    """Write out the open push pass's rows, so a read of ``changes`` or ``mutations`` sees them."""
    batch = _open_batch(conn)
    if batch is not None:
        batch.flush()


def record_change(conn: Connection, entity: str, entity_id: str | int, data: Any, scope: Scope, op: str = "put") -> int:
    """Append a change (``data`` is a struct or dict, encoded to JSON) and return its feed position."""
    payload = None if data is None else _encode(data).decode()
    row = (entity, str(entity_id), op, payload, scope.audience, scope.member, scope.location, scope.user)
    batch = _open_batch(conn)
    seq = batch.change(row) if batch is not None else int(conn.execute(_INSERT_CHANGE, row).lastrowid or 0)
    if may_notify(entity, data):  # Web Push outbox, same transaction (storage/push_outbox.py)
        derive_notice(conn, entity, data, scope.user)
    if scope.audience == "all":
        conn.touched.add(("all", None))
    else:
        if scope.member is not None:
            conn.touched.add(("member", scope.member))
        if scope.location is not None:
            conn.touched.add(("location", scope.location))
        if scope.user is not None:
            conn.touched.add(("user", scope.user))
    return seq


def _meta(conn: sqlite3.Connection, key: str) -> str:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0])


def epoch(conn: sqlite3.Connection) -> str:
    return _meta(conn, "epoch")


def max_seq(conn: sqlite3.Connection) -> int:
    flush_pending(conn)
    row = conn.execute("SELECT MAX(seq) FROM changes").fetchone()
    return int(row[0] or 0)


def feed_state(conn: sqlite3.Connection, client_id: str) -> tuple[int | None, int, str, int, int]:
    """(client owner, client counter, epoch, head, floor) in one statement: what every pull starts from."""
    flush_pending(conn)
    owner, counter, epoch_, head, floor = conn.execute(
        "SELECT (SELECT user_id FROM clients WHERE client_id = :c),"
        " (SELECT last_mutation_id FROM clients WHERE client_id = :c), (SELECT value FROM meta WHERE key = 'epoch'),"
        " (SELECT MAX(seq) FROM changes), (SELECT value FROM meta WHERE key = 'min_seq')",
        {"c": client_id},
    ).fetchone()
    return owner, int(counter or 0), str(epoch_), int(head or 0), int(floor)


def changes_after(conn: sqlite3.Connection, after: int, limit: int, reach: Reach) -> tuple[bytes, int, int]:
    """A page of changes after ``after`` that this caller may read (``access.change_condition``), oldest first.

    Returns ``(json_array, count, last_seq)``. SQLite assembles the JSON array itself (its JSON
    functions run in C), so a page of thousands of rows costs the server almost no Python.
    """
    flush_pending(conn)
    visible, params = change_condition(reach)
    sql = (
        "SELECT json_group_array(json_object('seq', seq, 'entity', entity, 'id', entity_id, 'op', op,"
        " 'data', json(data))), COUNT(*), MAX(seq) FROM (SELECT seq, entity, entity_id, op, data FROM changes"
        f" WHERE seq > ? AND {visible} ORDER BY seq LIMIT ?)"
    )
    row = conn.execute(sql, [after, *params, limit]).fetchone()
    return str(row[0]).encode(), int(row[1]), int(row[2] or 0)


def compact(conn: Connection, below: int) -> int:
    """Drop changes below ``below`` that a later change of the same row supersedes; raise the floor.

    The latest change of every row is kept, so a pull from the start still rebuilds everything; a
    cursor issued before and lying under the new floor is answered with a reset.
    """
    below = min(below, max_seq(conn) + 1)
    cur = conn.execute(
        "DELETE FROM changes WHERE seq < :below AND seq NOT IN"
        " (SELECT MAX(seq) FROM changes GROUP BY entity, entity_id)",
        {"below": below},
    )
    conn.execute("UPDATE meta SET value = ? WHERE key = 'min_seq' AND CAST(value AS INTEGER) < ?", (str(below), below))
    return cur.rowcount


# --- clients and processed mutations ----------------------------------------------------------


def client_owner(conn: sqlite3.Connection, client_id: str) -> int | None:
    row = conn.execute("SELECT user_id FROM clients WHERE client_id = ?", (client_id,)).fetchone()
    return None if row is None else int(row[0])


def register_client(conn: Connection, client_id: str, user_id: int, now: str) -> None:
    conn.execute(
        "INSERT INTO clients (client_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT (client_id) DO NOTHING",
        (client_id, user_id, now),
    )


def client_counter(conn: sqlite3.Connection, client_id: str) -> int:
    row = conn.execute("SELECT last_mutation_id FROM clients WHERE client_id = ?", (client_id,)).fetchone()
    return 0 if row is None else int(row[0])


def set_client_counter(conn: Connection, client_id: str, value: int) -> None:
    conn.execute("UPDATE clients SET last_mutation_id = ? WHERE client_id = ?", (value, client_id))


_MUTATION_COLUMNS = "uuid, client_id, mutation_id, user_id, name, status, code, message, visible_at"


def mutation_by_uuid(conn: sqlite3.Connection, uuid: str) -> sqlite3.Row | None:
    flush_pending(conn)
    return conn.execute(f"SELECT {_MUTATION_COLUMNS} FROM mutations WHERE uuid = ?", (uuid,)).fetchone()


def mutation_by_number(conn: sqlite3.Connection, client_id: str, number: int) -> sqlite3.Row | None:
    flush_pending(conn)
    return conn.execute(
        f"SELECT {_MUTATION_COLUMNS} FROM mutations WHERE client_id = ? AND mutation_id = ?", (client_id, number)
    ).fetchone()


def record_mutation(
    conn: Connection,
    *,
    uuid: str,
    client_id: str,
    number: int,
    user_id: int,
    name: str,
    status: str,
    code: str | None,
    message: str | None,
    received_at: str,
    device_time: str | None,
) -> int:
    """Store a processed mutation's result and publish it to its author's feed; return its position."""
    result = {
        "client_id": client_id,
        "id": number,
        "uuid": uuid,
        "name": name,
        "status": status,
        "code": code,
        "message": message,
    }
    seq = record_change(conn, "mutation", uuid, result, Scope(audience="private", user=user_id))
    row = (uuid, client_id, number, user_id, name, status, code, message, seq, received_at, device_time)
    batch = _open_batch(conn)
    if batch is not None:
        batch.mutations.append(row)
    else:
        conn.execute(_INSERT_MUTATION, row)
    return seq
