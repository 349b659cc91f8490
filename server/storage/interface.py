"""What the rest of the server needs from storage: the seam a PostgreSQL backend plugs into.

Outside ``server/storage/`` nobody writes SQL or imports a driver (``tests/server/test_sql_boundary.py``
checks it). The sync engine, the HTTP layer and the batch operations see only:

- a ``Storage`` (below) that runs a function inside a write transaction (one writer, group commit)
  or on a reader, and tells listeners which feed scopes each commit touched;
- a transaction handle (``Tx`` for writes, ``ReadTx`` for reads) that they pass, unopened, to the
  storage functions: ``savings``, ``loans``, ``feed``, ``accounts``, ``reads``, ``attachments``;
- ``transactions.savepoint`` (a unit undone alone if it raises) and ``transactions.snapshot`` (one
  consistent view for several reads), instead of ``SAVEPOINT``/``BEGIN`` statements.

A PostgreSQL backend provides a ``Storage``, a handle type and those modules with the same function
signatures; the callers do not change. ``docs/ARCHITECTURE.md`` section 9 says what moves where.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from .database import Connection

__all__ = ["Tx", "ReadTx", "CommitListener", "Storage"]

T = TypeVar("T")

Tx = Connection
"""A write transaction's handle. It remembers the feed scopes its changes touched (``touched``)."""
ReadTx = sqlite3.Connection
"""A reader's handle (query-only)."""
CommitListener = Callable[[set[tuple[str, int | None]]], None]
"""Called after a commit with the feed scopes it touched: ``("all", None)``, ``("member", id)``,
``("location", id)``, ``("user", id)``."""


@runtime_checkable
class Storage(Protocol):
    """The database as the server uses it (``storage.database.Database`` on SQLite)."""

    def start(self) -> None:
        """Make ready for writes (start the writer)."""

    def close(self) -> None:
        """Finish queued writes and release every connection."""

    async def write(self, fn: Callable[[Tx], T]) -> T:
        """Run ``fn`` in a write transaction; its result once committed, its exception if it raised
        (then nothing of it is kept). A temporary failure raises ``Retryable("busy")``."""
        ...

    def write_sync(self, fn: Callable[[Tx], T], timeout: float = 60) -> T:
        """``write`` for code outside the event loop (command-line tools, the demo loader)."""
        ...

    async def read(self, fn: Callable[[ReadTx], T]) -> T:
        """Run ``fn`` on a reader, off the event loop; it never waits for the writer."""
        ...

    def read_sync(self, fn: Callable[[ReadTx], T]) -> T:
        """``read`` on the calling thread, for one tiny indexed query where a thread hop costs more."""
        ...

    def queue_depth(self) -> int:
        """Writes waiting: a long queue means answer "busy" rather than pile on."""
        ...

    def on_commit(self, listener: CommitListener) -> None:
        """Call ``listener`` after each commit that touched the feed (pokes, the watermark)."""


if TYPE_CHECKING:  # the type checker holds the SQLite database to the protocol
    from .database import Database

    _sqlite_is_a_storage: Storage = Database(":memory:")
