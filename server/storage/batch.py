"""What the push path needs from storage per batch: a savepoint per mutation (only when needed), one
look-up of a batch's uuids, transaction codes handed out from memory, and a way to undo a whole push.

Why per batch: a push of 1,000 mutations used to ask for each uuid and each code with its own
statement; these helpers cut that to one statement per batch while keeping the savepoint semantics
(a mutation rolled back gives its code back, so codes stay without holes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from . import feed
from .database import Connection
from .errors import StorageBusy, translate

__all__ = ["savepoint", "mutations_by_uuid", "CodeBatch", "code_batch", "push_work", "PushWork"]

_MUTATION_COLUMNS = "uuid, client_id, mutation_id, user_id, name, status, code, message, visible_at"
_CHUNK = 500  # bound parameters per statement, well under SQLite's limit


@contextlib.contextmanager
def savepoint(conn: Connection, name: str = "mutation") -> Iterator[None]:
    """Run a block in a savepoint: released if it succeeds; rolled back (and released) if it raises.

    A driver error leaves as a storage error (``StorageIntegrity``, ``StorageBusy``); a busy
    database is not rolled back here (the statement may not run either): the whole write is.
    """
    conn.execute(f"SAVEPOINT {name}")
    batch = code_batch(conn)
    mark = batch.mark() if batch is not None else None
    try:
        yield
    except BaseException as exc:
        error = translate(exc)
        if not isinstance(error, StorageBusy):
            conn.execute(f"ROLLBACK TO {name}")
            conn.execute(f"RELEASE {name}")
            if batch is not None and mark is not None:
                batch.restore(mark)
        if error is exc:
            raise
        raise error from exc
    conn.execute(f"RELEASE {name}")


def mutations_by_uuid(conn: Connection, uuids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The processed mutations among ``uuids``, by uuid, in as few statements as the batch allows."""
    feed.flush_pending(conn)  # empty at a pass's start today; a later caller must still see its own rows
    wanted = list(dict.fromkeys(uuids))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = conn.execute(
            f"SELECT {_MUTATION_COLUMNS} FROM mutations WHERE uuid IN ({','.join('?' * len(chunk))})", chunk
        ).fetchall()
        for row in rows:
            found[row["uuid"]] = dict(row)
    return found


class CodeBatch:
    """Human transaction codes for one write transaction, numbered in memory, stored once at the end.

    ``next`` gives the same numbers ``savings.next_code`` would; ``mark``/``restore`` follow the
    savepoints (a mutation rolled back returns its numbers); ``flush`` writes the counters.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.next_of: dict[str, int] = {}
        self.start_of: dict[str, int] = {}

    def next(self, prefix: str) -> int:
        if prefix not in self.next_of:
            row = self.conn.execute("SELECT next FROM code_counters WHERE prefix = ?", (prefix,)).fetchone()
            self.next_of[prefix] = self.start_of[prefix] = 1 if row is None else int(row[0])
        number = self.next_of[prefix]
        self.next_of[prefix] = number + 1
        return number

    def mark(self) -> dict[str, int]:
        return dict(self.next_of)

    def restore(self, mark: dict[str, int]) -> None:
        for prefix in list(self.next_of):
            if prefix in mark:
                self.next_of[prefix] = mark[prefix]
            else:  # first used inside the rolled-back block: nothing of it was taken
                self.next_of[prefix] = self.start_of[prefix]

    def flush(self) -> None:
        for prefix, value in self.next_of.items():
            if value != self.start_of[prefix]:
                self.conn.execute(
                    "INSERT INTO code_counters (prefix, next) VALUES (?, ?) ON CONFLICT (prefix) DO UPDATE SET next = ?",
                    (prefix, value, value),
                )
        self.start_of = dict(self.next_of)


def code_batch(conn: Connection) -> CodeBatch | None:
    """The code batch open on this connection, if any (``savings.next_code`` uses it)."""
    return getattr(conn, "_code_batch", None)


class PushWork:
    """One push's storage state: its code batch, and ``restart`` to undo everything it wrote so far.

    The push path runs a batch optimistically, without a savepoint per mutation; on the first failure
    it calls ``restart`` and runs the batch again with savepoints (``sync/push.py``). Undoing uses the
    writer task's own savepoint (or, for a task alone in its transaction, the transaction itself), so
    the common case costs no savepoint at all; outside the writer, or when the task wrote rows before
    calling the push, the push opens one of its own (``SAVEPOINT push``).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.codes = CodeBatch(conn)
        # the writer task's savepoint undoes exactly this push only if the task wrote nothing before it
        self._own = getattr(conn, "task_savepoint", None) is None or conn.total_changes != getattr(
            conn, "task_changes", -1
        )
        if self._own:
            conn.execute("SAVEPOINT push")
        self.feed: feed.FeedBatch | None = feed.open_batch(conn)

    def flush(self) -> None:
        """Write the pass's change-log and mutation rows now (the optimistic pass ends with this); the
        push's later writes (a careful pass) go straight to their tables."""
        if self.feed is not None:
            self.feed.flush()
            feed.close_batch(self.conn)
            self.feed = None

    def restart(self) -> None:
        """Undo every write of this push (the code batch and unwritten feed rows too); the push starts
        again from a clean state, and runs its feed rows straight to their tables (a careful pass)."""
        feed.close_batch(self.conn)
        self.feed = None
        name = "push" if self._own else self.conn.task_savepoint
        if name:
            self.conn.execute(f"ROLLBACK TO {name}")
        else:  # the writer runs this task alone: its transaction holds nothing else
            self.conn.execute("ROLLBACK")
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.touched = set()
        self.codes = CodeBatch(self.conn)
        self.conn._code_batch = self.codes  # type: ignore[attr-defined]  # a per-push attribute on the connection, read back by getattr

    def _end(self, ok: bool) -> None:
        if not self._own:
            return  # the writer releases or rolls back its task
        if not ok:
            self.conn.execute("ROLLBACK TO push")
        self.conn.execute("RELEASE push")


@contextlib.contextmanager
def push_work(conn: Connection) -> Iterator[PushWork]:
    """The storage side of one push: codes from memory (stored when the block ends without error), a
    restart point for the whole push, and any driver error that escapes the block raised as a storage
    error."""
    work = PushWork(conn)
    conn._code_batch = work.codes  # type: ignore[attr-defined]  # a per-push attribute on the connection, read back by getattr
    try:
        yield work
        work.flush()
        work.codes.flush()
    except BaseException as exc:
        feed.close_batch(conn)  # rows not written yet go with the rest of the push
        error = translate(exc)
        if not isinstance(error, StorageBusy):
            with contextlib.suppress(Exception):  # the caller's transaction is rolled back anyway
                work._end(ok=False)
        if error is exc:
            raise
        raise error from exc
    else:
        work._end(ok=True)
    finally:
        conn._code_batch = None  # type: ignore[attr-defined]  # a per-push attribute on the connection, read back by getattr
        feed.close_batch(conn)
