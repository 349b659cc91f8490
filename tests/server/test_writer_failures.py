"""The single writer fails loudly: an unopenable file, a write after close, a broken connection, a stuck task."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from server.storage.database import Database, DatabaseClosed, WriterUnavailable, WriteTimeout
from tests.support.aio import run_async


def _table(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")


def test_an_unopenable_database_path_fails_every_write_at_once(tmp_path: Path) -> None:
    (tmp_path / "lumbung.sqlite3").mkdir()  # a folder where the database file should be
    db = Database(tmp_path / "lumbung.sqlite3")
    with pytest.raises(WriterUnavailable) as first:
        db.write_sync(_table, timeout=5)
    assert first.value.code == "database_unavailable" and "lumbung.sqlite3" in str(first.value)
    started = time.monotonic()
    with pytest.raises(WriterUnavailable):
        run_async(db.write(_table))  # later writes too, and at once: no thread left waiting on a queue
    assert time.monotonic() - started < 5  # far below any wait bound (60 s): refused, not queued


def test_a_corrupt_database_file_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "lumbung.sqlite3"
    path.write_bytes(b"this is not a database" * 500)
    db = Database(path)
    with pytest.raises(WriterUnavailable, match="not a database"):
        db.start()


def test_a_write_after_close_is_refused_not_silently_restarted(tmp_path: Path) -> None:
    db = Database(tmp_path / "lumbung.sqlite3")
    db.write_sync(_table)
    db.close()
    with pytest.raises(DatabaseClosed) as refused:
        db.write_sync(lambda c: c.execute("INSERT INTO t VALUES (1)"))
    assert refused.value.code == "database_closed"
    with pytest.raises(DatabaseClosed):
        run_async(db.write(lambda c: c.execute("INSERT INTO t VALUES (2)")))
    assert db.closed
    with sqlite3.connect(tmp_path / "lumbung.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0  # nothing was written after close


def test_a_broken_writer_connection_fails_queued_and_later_writes_instead_of_hanging(tmp_path: Path) -> None:
    db = Database(tmp_path / "lumbung.sqlite3", write_timeout=10)
    db.write_sync(_table)
    gate = threading.Event()

    def break_connection(conn: sqlite3.Connection) -> None:
        gate.wait(5)
        conn.close()  # the write connection is gone: COMMIT and ROLLBACK can no longer run

    broken = db.submit(break_connection)
    queued = db.submit(lambda c: c.execute("INSERT INTO t VALUES (1)"))
    gate.set()
    with pytest.raises(sqlite3.ProgrammingError):
        broken.result(timeout=5)
    with pytest.raises(Exception):  # noqa: B017 - any error will do: the point is an answer, not a hang
        queued.result(timeout=5)
    started = time.monotonic()
    with pytest.raises(WriterUnavailable):
        db.write_sync(lambda c: c.execute("INSERT INTO t VALUES (2)"), timeout=5)
    assert time.monotonic() - started < 5  # far below any wait bound (60 s): refused, not queued
    db.close()


def test_a_write_waits_at_most_the_write_timeout_and_a_withdrawn_task_never_runs(tmp_path: Path) -> None:
    db = Database(tmp_path / "lumbung.sqlite3", write_timeout=0.5)
    db.write_sync(_table)
    release = threading.Event()
    slow = db.submit(lambda c: release.wait(10))  # occupies the writer
    ran: list[int] = []

    def late(conn: sqlite3.Connection) -> None:
        ran.append(1)

    started = time.monotonic()
    with pytest.raises(WriteTimeout) as timed_out:
        run_async(db.write(late))
    assert 0.4 < time.monotonic() - started < 3 and timed_out.value.code == "busy"
    release.set()
    slow.result(timeout=5)
    db.write_sync(lambda c: c.execute("INSERT INTO t VALUES (1)"), timeout=5)  # the writer carries on
    assert ran == []  # the withdrawn task was skipped, never applied behind its caller's back
    db.close()


def test_a_server_whose_writer_is_closed_answers_503_at_once_instead_of_hanging(fresh_server) -> None:
    import httpx

    from server.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION

    fresh_server.app.state.services.db.close()  # as during shutdown
    started = time.monotonic()
    answer = httpx.post(
        f"{fresh_server.url}/api/auth/login",
        headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)},
        timeout=10,
        json={"username": "petugas1", "password": "rahasia123", "client_id": "closed-writer-1"},
    )
    assert answer.status_code == 503 and answer.json()["code"] == "database_closed"
    assert answer.json().get("detail") is None  # no server paths reach a client
    assert time.monotonic() - started < 5
