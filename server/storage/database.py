"""SQLite with one writer and many readers.

All writes go through one dedicated thread that owns the only write connection, fed by a queue (the
way Datasette guards its write connection). The thread drains whatever is queued, runs each task in
its own savepoint inside a single ``BEGIN IMMEDIATE`` transaction and commits once: group commit, so
many small pushes share one fsync. A task that raises is rolled back to its savepoint without
disturbing the others. Reads run on per-thread connections in a worker pool and never block the
writer (WAL).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

from server.errors import Retryable

__all__ = ["Connection", "Database"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class Connection(sqlite3.Connection):
    """A connection that remembers which feed scopes its current transaction touched (for pokes)."""

    touched: set[tuple[str, int | None]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.touched = set()


_STOP = object()


class Database:
    """The server's database: ``write`` runs a function on the writer thread, ``read`` on a reader."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", max_group: int = 64) -> None:
        self.path = str(path)
        self.synchronous = synchronous
        self.max_group = max_group
        self._queue: queue.Queue[Any] = queue.Queue()
        self._local = threading.local()
        self._listeners: list[Callable[[set[tuple[str, int | None]]], None]] = []
        self._writer: threading.Thread | None = None
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    # --- connections --------------------------------------------------------------------------

    def connect(self) -> Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30, factory=Connection
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        # savepoints (one per task, one per mutation) keep their undo pages in the temp store: in memory,
        # not a temp file written page by page
        conn.execute("PRAGMA temp_store=MEMORY")
        return conn  # type: ignore[return-value]

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.connect()
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="sqlite-writer", daemon=True)
            self._writer.start()

    def close(self) -> None:
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join(timeout=30)
            self._writer = None
        with self._readers_lock:
            for conn in self._readers:
                try:
                    conn.close()
                except sqlite3.ProgrammingError:
                    pass  # closed from another thread already
            self._readers.clear()
        self._local = threading.local()

    def on_commit(self, listener: Callable[[set[tuple[str, int | None]]], None]) -> None:
        """Call ``listener(scopes)`` on the writer thread after each commit that touched the feed."""
        self._listeners.append(listener)

    # --- writes -------------------------------------------------------------------------------

    def queue_depth(self) -> int:
        """Writes waiting for the writer thread: a long queue means answer "busy" rather than pile on."""
        return self._queue.qsize()

    def submit(self, fn: Callable[[Connection], T]) -> concurrent.futures.Future[T]:
        self.start()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put((fn, future))
        return future

    async def write(self, fn: Callable[[Connection], T]) -> T:
        try:
            return await asyncio.wrap_future(self.submit(fn))
        except sqlite3.OperationalError as exc:  # locked, disk full, I/O: nothing was committed
            raise Retryable("busy", "Server sedang sibuk; coba lagi sebentar lagi.") from exc

    def write_sync(self, fn: Callable[[Connection], T], timeout: float = 60) -> T:
        return self.submit(fn).result(timeout=timeout)

    def _write_loop(self) -> None:
        conn = self.connect()
        try:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch = [first]
                stop = False
                while len(batch) < self.max_group:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is _STOP:
                        stop = True
                        break
                    batch.append(item)
                self._run_group(conn, batch)
                if stop:
                    return
        finally:
            conn.close()

    def _run_group(self, conn: Connection, batch: list[tuple[Callable[[Connection], Any], concurrent.futures.Future[Any]]]) -> None:
        outcomes: list[tuple[concurrent.futures.Future[Any], Any, BaseException | None]] = []
        conn.touched = set()
        try:
            conn.execute("BEGIN IMMEDIATE")
            alone = len(batch) == 1  # a group of one needs no savepoint: its failure rolls back the transaction
            for fn, future in batch:
                if not future.set_running_or_notify_cancel():
                    continue
                if alone:
                    try:
                        result = fn(conn)
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller's future
                        conn.execute("ROLLBACK")
                        conn.touched = set()
                        future.set_exception(exc)
                        return
                    outcomes.append((future, result, None))
                    continue
                conn.execute("SAVEPOINT task")
                try:
                    result = fn(conn)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's future
                    conn.execute("ROLLBACK TO task")
                    conn.execute("RELEASE task")
                    outcomes.append((future, None, exc))
                else:
                    conn.execute("RELEASE task")
                    outcomes.append((future, result, None))
            conn.execute("COMMIT")
        except BaseException as exc:  # the commit itself failed: nothing of the group is kept
            log.exception("write group failed")
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for _fn, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for future, result, error in outcomes:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)
        if conn.touched:
            touched, conn.touched = conn.touched, set()
            for listener in self._listeners:
                try:
                    listener(touched)
                except Exception:  # a listener must never break the writer
                    log.exception("commit listener failed")

    # --- reads --------------------------------------------------------------------------------

    def read_sync(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return fn(self._reader())

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await anyio.to_thread.run_sync(self.read_sync, fn)
