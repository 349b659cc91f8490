"""SQLite with one writer and many readers.

All writes go through one dedicated thread that owns the only write connection, fed by a queue (the
way Datasette guards its write connection). The thread drains whatever is queued, runs each task in
its own savepoint inside a single ``BEGIN IMMEDIATE`` transaction and commits once: group commit, so
many small pushes share one fsync. A task that raises is rolled back to its savepoint without
disturbing the others. Reads run on per-thread connections in a worker pool and never block the
writer (WAL).

The writer fails loudly, never silently (the lesson of Datasette's write thread): a write connection
that cannot be opened is an error raised by ``start()`` and handed to every write queued or submitted
later (``WriterUnavailable``); a write after ``close()`` is refused (``DatabaseClosed``) instead of
quietly starting a new writer; and every wait on the writer is bounded (``write_timeout``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread

from server.errors import Retryable

__all__ = [
    "Connection",
    "Row",
    "Database",
    "WriterUnavailable",
    "DatabaseClosed",
    "WriteTimeout",
    "make_private",
    "is_storage_failure",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
Row = sqlite3.Row  # a result row, for type hints outside server/storage/


class Connection(sqlite3.Connection):
    """A connection that remembers which feed scopes its current transaction touched (for pokes)."""

    touched: set[tuple[str, int | None]]
    task_savepoint: str | None
    """Set by the writer while a task runs: the savepoint that holds only this task's writes (``"task"``),
    or ``""`` when the task runs alone in its transaction (undo = ``ROLLBACK`` and ``BEGIN`` again);
    ``None`` outside the writer. ``storage.batch.restart_task`` uses it to undo a task without a
    savepoint of its own."""

    task_changes: int
    """``total_changes`` when the writer started the current task: a task that has written nothing
    since can be undone through ``task_savepoint`` without losing anything of its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.touched = set()
        self.task_savepoint = None
        self.task_changes = 0


_STOP = object()
BUSY_MESSAGE = "Server sedang sibuk; coba lagi sebentar lagi."


class WriterUnavailable(Retryable):
    """The write connection could not be opened (bad path, locked or corrupt file): nothing is written.

    A 503 to a client (its outbox keeps the work); a clear start-up error to an operator.
    """

    def __init__(self, path: str, reason: BaseException | str) -> None:
        # no detail: a client must not learn the server's file paths; the operator reads str(self)
        super().__init__("database_unavailable", "Basis data server tidak dapat dibuka; hubungi pengelola server.")
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class DatabaseClosed(WriterUnavailable):
    """A write after ``close()``: refused, never a silent restart of the writer."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "the database is closed")
        self.code = "database_closed"


class WriteTimeout(Retryable):
    """The writer did not finish a task within ``write_timeout``; a queued task is withdrawn first."""

    def __init__(self, seconds: float) -> None:
        super().__init__("busy", BUSY_MESSAGE, {"timeout_seconds": seconds})


def make_private(path: Path) -> None:
    """Create ``path`` (a file) if missing and make it owner-only (0600): members' money data.

    SQLite gives the ``-wal`` and ``-shm`` files the database file's permissions, so a private
    database file keeps its WAL private too; existing WAL/SHM files are tightened as well.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # never open an existing database file here: closing any descriptor of it drops SQLite's locks
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if each.stat().st_mode & 0o077:
                each.chmod(0o600)
        except FileNotFoundError:
            pass


class Database:
    """The server's database: ``write`` runs a function on the writer thread, ``read`` on a reader."""

    def __init__(
        self, path: str | Path, *, synchronous: str = "FULL", max_group: int = 64, write_timeout: float = 60.0
    ) -> None:
        self.path = str(path)
        self.synchronous = synchronous
        self.max_group = max_group
        self.write_timeout = write_timeout
        """Longest wait for one write task (queueing included); then ``WriteTimeout``."""
        self._queue: queue.Queue[Any] = queue.Queue()
        self._local = threading.local()
        self._listeners: list[Callable[[set[tuple[str, int | None]]], None]] = []
        self._writer: threading.Thread | None = None
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._failure: WriterUnavailable | None = None
        self._closed = False

    # --- connections --------------------------------------------------------------------------

    def connect(self) -> Connection:
        if self.path != ":memory:" and not self.path.startswith("file:"):
            make_private(Path(self.path))
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30, factory=Connection)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # the first read of the file: a corrupt one fails here
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            # savepoints (one per task, one per mutation) keep their undo pages in the temp store: in memory,
            # not a temp file written page by page
            conn.execute("PRAGMA temp_store=MEMORY")
        except BaseException:
            conn.close()
            raise
        return conn

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
        """Open the write connection and start the writer; raises ``WriterUnavailable`` if it cannot."""
        with self._state_lock:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._closed:
            raise DatabaseClosed(self.path)
        if self._failure is not None:  # a fresh exception each time, with the first failure's reason
            raise WriterUnavailable(self.path, self._failure.reason)
        if self._writer is not None:
            return
        try:
            conn = self.connect()
        except (sqlite3.Error, OSError) as exc:
            self._failure = WriterUnavailable(self.path, exc)
            raise self._failure from exc
        self._writer = threading.Thread(target=self._write_loop, args=(conn,), name="sqlite-writer", daemon=True)
        self._writer.start()

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop the writer after the tasks already queued; every later write is refused."""
        with self._state_lock:
            self._closed = True
            writer, self._writer = self._writer, None
        if writer is not None:
            self._queue.put(_STOP)
            writer.join(timeout=self.write_timeout)
            if writer.is_alive():
                log.error("the writer did not stop within %s s", self.write_timeout)
        self._fail_queued(DatabaseClosed(self.path))
        with self._readers_lock:
            for conn in self._readers:
                with contextlib.suppress(sqlite3.ProgrammingError):  # closed from another thread already
                    conn.close()
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
        """Queue ``fn`` for the writer; raises at once if the writer cannot run (closed, unopenable)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._state_lock:  # the writer's failure and close() take this lock too: nothing slips in after
            self._start_locked()
            self._queue.put((fn, future))
        return future

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(conn)`` on the writer and return its result once committed; at most ``write_timeout``."""
        future = self.submit(fn)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.write_timeout)
        except TimeoutError:
            future.cancel()  # still queued: withdrawn, it will never run; running: its outcome is unknown
            raise WriteTimeout(self.write_timeout) from None
        except sqlite3.OperationalError as exc:  # locked, disk full, I/O: nothing was committed
            raise Retryable("busy", BUSY_MESSAGE) from exc

    def write_sync(self, fn: Callable[[Connection], T], timeout: float | None = None) -> T:
        """``write`` for code outside the event loop (commands, the demo loader)."""
        future = self.submit(fn)
        try:
            return future.result(timeout=self.write_timeout if timeout is None else timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise WriteTimeout(self.write_timeout if timeout is None else timeout) from None

    def _fail_queued(self, error: BaseException) -> None:
        """Hand ``error`` to every task still in the queue: no caller waits for a writer that is gone."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP:
                _fn, future = item
                if future.set_running_or_notify_cancel():
                    future.set_exception(error)

    def _write_loop(self, conn: Connection) -> None:
        try:
            self._serve_queue(conn)
        except BaseException as exc:  # a broken writer must fail its callers, not strand them
            failure = WriterUnavailable(self.path, exc)
            log.exception("the writer stopped: %s", failure)
            with self._state_lock:
                self._failure = failure
                self._writer = None
            self._fail_queued(failure)
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _serve_queue(self, conn: Connection) -> None:
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

    def _run_group(
        self, conn: Connection, batch: list[tuple[Callable[[Connection], Any], concurrent.futures.Future[Any]]]
    ) -> None:
        outcomes: list[tuple[concurrent.futures.Future[Any], Any, BaseException | None]] = []
        conn.touched = set()
        try:
            conn.execute("BEGIN IMMEDIATE")
            alone = len(batch) == 1  # a group of one needs no savepoint: its failure rolls back the transaction
            for fn, future in batch:
                if not future.set_running_or_notify_cancel():
                    continue
                conn.task_changes = conn.total_changes
                if alone:
                    conn.task_savepoint = ""
                    try:
                        result = fn(conn)
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller's future
                        conn.task_savepoint = None
                        conn.execute("ROLLBACK")
                        conn.touched = set()
                        future.set_exception(exc)
                        return
                    conn.task_savepoint = None
                    outcomes.append((future, result, None))
                    continue
                conn.execute("SAVEPOINT task")
                conn.task_savepoint = "task"
                try:
                    result = fn(conn)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller's future
                    conn.task_savepoint = None
                    conn.execute("ROLLBACK TO task")
                    conn.execute("RELEASE task")
                    outcomes.append((future, None, exc))
                else:
                    conn.task_savepoint = None
                    conn.execute("RELEASE task")
                    outcomes.append((future, result, None))
            conn.execute("COMMIT")
        except BaseException as exc:  # the commit itself failed: nothing of the group is kept
            conn.task_savepoint = None
            log.exception("write group failed")
            for _fn, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if conn.in_transaction:
                conn.execute("ROLLBACK")  # if even this fails, the connection is broken: the writer stops loudly
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


def is_storage_failure(exc: BaseException) -> bool:
    """Errors that mean "the data folder or database file is unusable", not a bug (for the CLI's message)."""
    if isinstance(exc, (WriterUnavailable, sqlite3.Error, OSError)):
        return True
    from sqlalchemy.exc import DBAPIError  # alembic's driver layer, raised by migrations

    return isinstance(exc, DBAPIError)
