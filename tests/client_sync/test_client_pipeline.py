"""Pipelined push (issue 6.7): the next batch is on the wire while the previous answer is recorded, and
exactly-once, order and recovery are as without pipelining."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from cs_support import cash_deposit

from client_sync import SyncClient

PASSWORD = "rahasia123"


def _client(path: Path, url: str, **kw: Any) -> SyncClient:
    client = SyncClient(path, url, device_name="tes", **kw)
    client.login("petugas1", PASSWORD)
    return client


def _server_rows(db_path: Any, sql: str, *params: Any) -> list[tuple]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchall()


def test_next_batch_is_sent_while_the_previous_answer_is_recorded(fresh_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", fresh_server.url, batch_size=10)
    items = [client.queue(cash_deposit(client, member_id=1 + n % 12, amount=1_000 + n)) for n in range(35)]
    events: list[tuple[str, float, float, int]] = []
    lock = threading.Lock()
    transport, store = client._require_transport(), client.store
    push, record = transport.push, store.record_results

    def timed_push(token: str, request: Any) -> Any:
        start = time.perf_counter()
        try:
            return push(token=token, request=request)
        finally:
            with lock:
                events.append(("push", start, time.perf_counter(), request.mutations[0].id))

    def slow_record(client_id: str, sent: Any, response: Any) -> Any:
        start = time.perf_counter()
        time.sleep(0.1)  # a slow device disk: the server should already have the next batch meanwhile
        outcome = record(client_id, sent, response)
        with lock:
            events.append(("record", start, time.perf_counter(), sent[0].id))
        return outcome

    transport.push = timed_push  # type: ignore[method-assign]
    store.record_results = slow_record  # type: ignore[method-assign]
    summary = client.sync_once()
    assert summary.ok and summary.applied == 35, summary
    pushes = {first: (start, end) for kind, start, end, first in events if kind == "push"}
    records = {first: (start, end) for kind, start, end, first in events if kind == "record"}
    assert sorted(pushes) == sorted(records) == [1, 11, 21, 31]
    for previous, following in ((1, 11), (11, 21), (21, 31)):
        # batch k+1 left before the answer to batch k was written down, and only after that answer arrived
        assert pushes[following][0] < records[previous][1], (previous, following, events)
        assert pushes[following][0] >= pushes[previous][1]
    assert client.pending() == []
    rows = _server_rows(
        fresh_server.db_path, "SELECT mutation_id FROM mutations WHERE client_id = ? ORDER BY 1", client.client_id
    )
    assert rows == [(i.id,) for i in items]


def test_a_lost_answer_during_pipelining_applies_nothing_twice(fresh_server: Any, tmp_path: Path) -> None:
    """The third batch's answer is lost after the server processed it: the next sync replays it."""
    client = _client(tmp_path / "d.sqlite3", fresh_server.url, batch_size=5)
    items = [client.queue(cash_deposit(client, member_id=2, amount=2_000 + n)) for n in range(20)]
    transport = client._require_transport()
    push = transport.push
    calls = [0]

    def losing_push(token: str, request: Any) -> Any:
        calls[0] += 1
        answer = push(token=token, request=request)
        if calls[0] == 3:
            raise httpx.ReadError("answer lost")  # seen by the client as a network failure
        return answer

    from client_sync.errors import TransportError

    def mapped(token: str, request: Any) -> Any:
        try:
            return losing_push(token, request)
        except httpx.ReadError as exc:
            raise TransportError("network", "Tidak dapat menghubungi server (ReadError).") from exc

    transport.push = mapped  # type: ignore[method-assign]
    first = client.sync_once()
    assert not first.ok and first.applied == 10
    transport.push = push  # type: ignore[method-assign]
    second = client.sync_once()
    assert second.ok and second.applied == 10
    assert client.pending() == []
    uuids = [i.uuid for i in items]
    marks = ",".join("?" * len(uuids))
    assert (
        _server_rows(fresh_server.db_path, f"SELECT COUNT(*) FROM mutations WHERE uuid IN ({marks})", *uuids)[0][0]
        == 20
    )
    assert (
        _server_rows(
            fresh_server.db_path,
            "SELECT COUNT(*) FROM deposits WHERE member_id = 2 AND amount BETWEEN 2000 AND 2019 AND created_by = 101",
        )[0][0]
        == 20
    )


def test_a_rejection_in_a_pipelined_batch_does_not_stop_the_queue(fresh_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", fresh_server.url, batch_size=4)
    for n in range(12):
        client.queue(cash_deposit(client, member_id=9999 if n == 5 else 3, amount=3_000 + n))
    summary = client.sync_once()
    assert summary.applied == 11 and [r.code for r in summary.rejected] == ["member_not_found"]
    assert client.pending() == []


def test_the_batch_after_next_is_read_while_a_push_is_on_the_wire(fresh_server: Any, tmp_path: Path) -> None:
    client = _client(tmp_path / "d.sqlite3", fresh_server.url, batch_size=10)
    for n in range(40):
        client.queue(cash_deposit(client, member_id=1 + n % 12, amount=5_000 + n))
    transport, store = client._require_transport(), client.store
    push, items = transport.push, store.items
    pushes: dict[int, tuple[float, float]] = {}
    reads: dict[int | None, float] = {}

    def slow_push(token: str, request: Any) -> Any:
        start = time.perf_counter()
        time.sleep(0.1)  # a slow link: the device prepares the next batch meanwhile
        answer = push(token=token, request=request)
        pushes[request.mutations[0].id] = (start, time.perf_counter())
        return answer

    def logged_items(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("states") == ["pending"]:
            reads.setdefault(kwargs.get("after"), time.perf_counter())
        return items(*args, **kwargs)

    transport.push = slow_push  # type: ignore[method-assign]
    store.items = logged_items  # type: ignore[method-assign]
    summary = client.sync_once()
    assert summary.ok and summary.applied == 40
    assert sorted(pushes) == [1, 11, 21, 31]
    # batch 21-30 was read (after id 20) while batch 11-20 was still being pushed
    assert pushes[11][0] < reads[20] < pushes[11][1], (pushes, reads)
    assert reads[30] < pushes[21][1]


def test_the_next_page_is_fetched_while_a_page_is_applied(fresh_server: Any, tmp_path: Path) -> None:
    """Pipelined pull: page k+1 is requested before page k is written down; pages apply in order, each
    with its cursor, and the replica ends up equal to the server's feed."""
    client = _client(tmp_path / "d.sqlite3", fresh_server.url, page_limit=7)
    events: list[tuple[str, float, float, str]] = []
    lock = threading.Lock()
    transport, store = client._require_transport(), client.store
    pull, apply = transport.pull, store.apply_page

    def timed_pull(token: str, client_id: str, cursor: str, limit: int) -> Any:
        start = time.perf_counter()
        try:
            return pull(token, client_id=client_id, cursor=cursor, limit=limit)
        finally:
            with lock:
                events.append(("pull", start, time.perf_counter(), cursor))

    def slow_apply(client_id: str, page: Any, now: str | None = None) -> Any:
        start = time.perf_counter()
        time.sleep(0.05)  # a slow device disk: the next page should already be on its way
        outcome = apply(client_id, page, now)
        assert store.profile(client_id).cursor == page.cursor  # type: ignore[union-attr]
        with lock:
            events.append(("apply", start, time.perf_counter(), page.cursor))
        return outcome

    transport.pull = timed_pull  # type: ignore[method-assign]
    store.apply_page = slow_apply  # type: ignore[method-assign]
    summary = client.sync_once()
    assert summary.ok and summary.pulled > 3 * 7, summary
    pulls = [e for e in events if e[0] == "pull"]
    applies = [e for e in events if e[0] == "apply"]
    assert len(pulls) == len(applies) >= 4
    for k in range(len(applies) - 1):
        # the pull after page k asks for page k's cursor and starts before page k is applied
        assert pulls[k + 1][3] == applies[k][3]
        assert pulls[k + 1][1] < applies[k][2], events
    expected = _server_rows(fresh_server.db_path, "SELECT COUNT(*) FROM members WHERE location_id = 1")[0][0]
    assert client.store.count_rows(client.client_id, "member") == expected > 0


def test_a_server_with_a_smaller_page_maximum_is_pulled_with_its_maximum(demo_template: Path, tmp_path: Path) -> None:
    """The client asks for big pages; a server configured with a lower ``pull_page_max`` refuses that once
    (``invalid_limit``, naming its maximum) and the sync goes on with the server's maximum."""
    from tests.support.servers import ThreadServer, copy_template

    server = ThreadServer(copy_template(demo_template, tmp_path / "data"), pull_page_max=9).start()
    try:
        client = _client(tmp_path / "d.sqlite3", server.url)
        assert client.page_limit > 9
        limits: list[int] = []
        transport = client._require_transport()
        pull = transport.pull

        def counted(token: str, client_id: str, cursor: str, limit: int) -> Any:
            limits.append(limit)
            return pull(token, client_id=client_id, cursor=cursor, limit=limit)

        transport.pull = counted  # type: ignore[method-assign]
        summary = client.sync_once()
        assert summary.ok, summary.errors
        assert limits[0] == client.page_limit and set(limits[1:]) == {9} and len(limits) > 2
        assert client.store.count_rows(client.client_id, "member") > 9
        client.close()
    finally:
        server.stop()
