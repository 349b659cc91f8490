"""A note kept beside the database of how far its change feed has gone (DESIGN rule 10).

If the database file is replaced behind the server's back (a backup copied over it by hand), its
feed head is lower than the note says; at start-up the server then gives it a new epoch, so every
client rebuilds instead of trusting rows the database no longer has. The note is written at most
once a second and at shutdown, so a crash can leave it up to a second behind.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path

import msgspec

from .database import Connection, Database
from .feed import epoch, max_seq

__all__ = ["Watermark"]

log = logging.getLogger(__name__)


class _Mark(msgspec.Struct):
    epoch: str
    head: int


class Watermark:
    def __init__(self, path: str | Path, db: Database, interval: float = 1.0) -> None:
        self.path = Path(path)
        self.db = db
        self.interval = interval
        self._written_at = 0.0
        self._lock = threading.Lock()

    def _read(self) -> _Mark | None:
        try:
            return msgspec.json.decode(self.path.read_bytes(), type=_Mark)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            return None

    def check(self, conn: Connection) -> str | None:
        """In a write transaction at start-up: a new epoch if the database went back in time."""
        mark = self._read()
        if mark is None or mark.epoch != epoch(conn) or max_seq(conn) >= mark.head:
            return None
        new_epoch = secrets.token_hex(8)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'epoch'", (new_epoch,))
        return new_epoch

    def note(self, force: bool = False) -> None:
        """Record the current epoch and head (throttled unless ``force``)."""
        now = time.monotonic()
        with self._lock:  # one writer at a time: the writer thread and start-up/shutdown both call this
            if not force and now - self._written_at < self.interval:
                return
            self._written_at = now
            try:
                mark = self.db.read_sync(lambda c: _Mark(epoch(c), max_seq(c)))
                tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
                tmp.write_bytes(msgspec.json.encode(mark))
                os.replace(tmp, self.path)
            except (sqlite3.Error, OSError):
                log.warning("could not write the feed watermark", exc_info=True)
