"""A notice committed before a crash is sent once the server is back, and only once."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.push.conftest import login, new_deposit, public_key, subscribe, verify
from tests.push.receiver import PushReceiver
from tests.support.servers import ProcessServer, copy_template

ENV = {
    "LUMBUNG_PUSH_ALLOW_LOOPBACK_HTTP": "true",
    "LUMBUNG_PUSH_RETRY_BASE_SECONDS": "0.05",
    "LUMBUNG_PUSH_RETRY_MAX_SECONDS": "0.3",
    "LUMBUNG_PUSH_TIMEOUT_SECONDS": "3",
}


def _status(server: ProcessServer) -> str:
    with sqlite3.connect(server.db_path) as conn:
        [(status,)] = conn.execute("SELECT status FROM push_deliveries").fetchall()
    return str(status)


def _kill_while_pending(server: ProcessServer) -> None:
    """Freeze the server, and SIGKILL it at a moment its notice is committed and waiting for a retry (not
    in the middle of an attempt, which by design is never repeated)."""
    assert server.proc is not None
    seen: list[str] = []
    deadline = time.monotonic() + 15  # the first attempt waits for the sender's worker process to start
    while time.monotonic() < deadline:
        server.proc.send_signal(signal.SIGSTOP)
        seen.append(_status(server))
        if seen[-1] == "pending":
            server.kill()
            return
        server.proc.send_signal(signal.SIGCONT)
        if seen[-1] in ("sent", "failed"):
            break
        time.sleep(0.01)
    raise AssertionError(f"the delivery never stayed pending; seen {sorted(set(seen))}, last {seen[-1]}")


@pytest.mark.e2e
def test_sigkill_after_commit_before_send_delivers_once_after_restart(
    demo_template: Path, tmp_path: Path, receiver: PushReceiver
) -> None:
    data = copy_template(demo_template, tmp_path / "data")
    server = ProcessServer(data, **ENV).start()
    try:
        member = login(server.url, "anggota01")
        device = receiver.device("crash")
        subscribe(member, device)
        key = public_key(member)
        officer, checker = login(server.url, "petugas1"), login(server.url, "petugas2")
        deposit_id = new_deposit(officer, member_id=1)
        receiver.stop()  # the push service is unreachable: the notice stays committed but unsent
        verify(checker, deposit_id)
        time.sleep(0.3)
        _kill_while_pending(server)
        assert receiver.received == []
        receiver.start()
        server = ProcessServer(data, port=server.port, **ENV).start()
        receiver.wait_for(lambda: receiver.hits(device), timeout=20)
        time.sleep(1.0)
        [message] = receiver.messages(device, key)
        assert message["payload"]["kind"] == "deposit.verified" and message["payload"]["ref"]["id"] == deposit_id
        server.stop()  # a clean restart sends nothing again
        server = ProcessServer(data, port=server.port, **ENV).start()
        time.sleep(1.0)
        assert len(receiver.hits(device)) == 1
        with sqlite3.connect(server.db_path) as conn:
            assert conn.execute("SELECT status, attempts FROM push_deliveries").fetchall()[0][0] == "sent"
    finally:
        server.stop()
