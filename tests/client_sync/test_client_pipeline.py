"""Pipelined push (issue 6.7): the next batch is on the wire while the previous answer is recorded, and
exactly-once, order and recovery are as without pipelining."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cs_support import cash_deposit

from client_sync import SyncClient
from client_sync.errors import TransportError

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

    def mapped(token: str, request: Any) -> Any:
        try:
            return losing_push(token, request)
        except httpx.ReadError as exc:
            raise TransportError("network", "Tidak dapat menghubungi server (ReadError).") from exc

    transport.push = mapped  # type: ignore[method-assign]
    first = client.sync_once()
    # batches 1 and 2 by their answers; batch 3's verdicts too if a page pulled during the push held them
    assert not first.ok and first.applied in (10, 15), first
    transport.push = push  # type: ignore[method-assign]
    second = client.sync_once()
    assert second.ok and first.applied + second.applied == 20, (first, second)
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


def test_batches_ahead_are_read_while_a_push_is_on_the_wire(fresh_server: Any, tmp_path: Path) -> None:
    """The chain keeps batches read and encoded ahead (``CHAIN_DEPTH``): none waits for the disk."""
    client = _client(tmp_path / "d.sqlite3", fresh_server.url, batch_size=10)
    for n in range(40):
        client.queue(cash_deposit(client, member_id=1 + n % 12, amount=5_000 + n))
    transport, store = client._require_transport(), client.store
    push, items = transport.push, store.items
    pushes: dict[int, tuple[float, float]] = {}
    reads: dict[int | None, float] = {}

    def slow_push(token: str, request: Any) -> Any:
        start = time.perf_counter()
        time.sleep(0.1)  # a slow link: the device prepares the next batches meanwhile
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
    # batches 11-20 and 21-30 were read while batch 1-10 was still being pushed, 31-40 during 11-20
    assert reads[10] < reads[20] < pushes[1][1], (pushes, reads)
    assert reads[30] < pushes[11][1], (pushes, reads)
    for previous, following in ((1, 11), (11, 21), (21, 31)):
        assert pushes[following][0] >= pushes[previous][1]  # still one batch on the wire at a time


def test_the_feed_is_pulled_while_the_push_runs(fresh_server: Any, tmp_path: Path) -> None:
    """While later batches are on the wire, the rows of the answered ones are pulled back; the round
    still ends with every row in the replica and every item applied once."""
    client = _client(tmp_path / "d.sqlite3", fresh_server.url, batch_size=10)
    items = [client.queue(cash_deposit(client, member_id=1 + n % 12, amount=6_000 + n)) for n in range(40)]
    transport = client._require_transport()
    push, pull = transport.push, transport.pull
    pushes: list[tuple[float, float]] = []
    pulls: list[float] = []

    def slow_push(token: str, request: Any) -> Any:
        start = time.perf_counter()
        time.sleep(0.15)  # the server is busy with this batch: time for the device to pull
        answer = push(token=token, request=request)
        pushes.append((start, time.perf_counter()))
        return answer

    def logged_pull(*args: Any, **kwargs: Any) -> Any:
        pulls.append(time.perf_counter())
        return pull(*args, **kwargs)

    transport.push = slow_push  # type: ignore[method-assign]
    transport.pull = logged_pull  # type: ignore[method-assign]
    summary = client.sync_once()
    assert summary.ok and summary.applied == 40 and summary.rejected == [], summary
    assert len(pushes) == 4
    during = [t for t in pulls if pushes[0][1] < t < pushes[-1][1]]
    assert len(during) >= 2, (pushes, pulls)  # pages pulled between the first answer and the last one
    deposits = {row["id"] for row in client.store.replica(client.client_id, "deposit")}
    assert {i.op.deposit_id for i in items} <= deposits  # type: ignore[union-attr]
    assert client.pending() == []
    rows = _server_rows(fresh_server.db_path, "SELECT COUNT(*) FROM mutations WHERE client_id = ?", client.client_id)
    assert rows == [(40,)]


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


def test_a_verdict_pulled_before_its_answer_is_counted_once(fresh_server: Any, tmp_path: Path) -> None:
    """Batch 2's answer is slow on the way back; a page pulled meanwhile carries its verdicts. The feed
    settles those items, their answer then finds them answered, and the round counts each item once."""
    client = _client(tmp_path / "d.sqlite3", fresh_server.url, batch_size=10)
    for n in range(40):
        client.queue(cash_deposit(client, member_id=1 + n % 12, amount=7_000 + n))
    transport, store = client._require_transport(), client.store
    push, record, apply_page = transport.push, store.record_results, store.apply_page
    settled_by_feed: list[int] = []

    def slow_answer(token: str, request: Any) -> Any:
        answer = push(token=token, request=request)
        if request.mutations[0].id == 11:
            time.sleep(0.6)  # processed and committed by the server; the answer is late
        return answer

    def slow_first_record(client_id: str, sent: Any, response: Any) -> Any:
        if sent[0].id == 1:
            time.sleep(0.3)  # meanwhile batch 2 reaches the server and is committed
        return record(client_id, sent, response)

    def counted_apply(*args: Any, **kwargs: Any) -> Any:
        outcome = apply_page(*args, **kwargs)
        settled_by_feed.extend(i.id for i in outcome.settled_by_feed)
        return outcome

    transport.push = slow_answer  # type: ignore[method-assign]
    store.record_results = slow_first_record  # type: ignore[method-assign]
    store.apply_page = counted_apply  # type: ignore[method-assign]
    summary = client.sync_once()
    assert summary.ok and summary.applied == 40 and summary.pushed == 40, summary
    # 11-20 surely (later batches too if a page caught them before their answer), each once
    assert set(range(11, 21)) <= set(settled_by_feed), settled_by_feed
    assert len(settled_by_feed) == len(set(settled_by_feed))
    assert client.pending() == []
    assert _server_rows(
        fresh_server.db_path, "SELECT COUNT(*) FROM mutations WHERE client_id = ?", client.client_id
    ) == [(40,)]


def test_a_token_refused_mid_chain_is_refreshed_and_the_chain_goes_on(fresh_server: Any, tmp_path: Path) -> None:
    """Batch 2 reaches the server with a token it refuses (401): batch 2 is sent again through the
    session, the chain starts over after it, and every item ends applied once, in order."""
    client = _client(tmp_path / "d.sqlite3", fresh_server.url, batch_size=10)
    items = [client.queue(cash_deposit(client, member_id=1 + n % 12, amount=8_000 + n)) for n in range(30)]
    transport = client._require_transport()
    push = transport.push
    sent: list[tuple[int, bool]] = []

    def stale_second(token: str, request: Any) -> Any:
        first = request.mutations[0].id
        forged = first == 11 and not any(f == 11 for f, _ in sent)
        sent.append((first, forged))
        return push(token="rusak" if forged else token, request=request)  # the real server answers 401

    transport.push = stale_second  # type: ignore[method-assign]
    summary = client.sync_once()
    assert summary.ok and summary.applied == 30, summary
    assert [f for f, _ in sent] == [1, 11, 11, 21], sent
    assert client.pending() == []
    rows = _server_rows(
        fresh_server.db_path, "SELECT mutation_id FROM mutations WHERE client_id = ? ORDER BY 1", client.client_id
    )
    assert rows == [(i.id,) for i in items]


def test_answers_received_before_a_failed_upload_are_recorded(fresh_server: Any, tmp_path: Path) -> None:
    """Batch 4 holds an item whose proof cannot be uploaded (the network went): the round fails, but
    every answer the server gave before is written down, so the device and the server agree."""
    client = _client(tmp_path / "d.sqlite3", fresh_server.url, batch_size=10)
    proof = tmp_path / "bukti.png"
    proof.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    digest = client.attachment_hash(proof)
    for n in range(40):
        extra = {"attachment": digest} if n == 35 else {}
        client.queue(cash_deposit(client, member_id=1 + n % 12, amount=9_000 + n, **extra), proof if extra else None)
    transport = client._require_transport()

    def no_network(*_: Any, **__: Any) -> Any:
        raise TransportError("network", "Tidak dapat menghubungi server.")

    transport.put_attachment = no_network  # type: ignore[method-assign]
    summary = client.sync_once()
    assert not summary.ok and [e.code for e in summary.errors] == ["network"], summary
    answered = _server_rows(
        fresh_server.db_path, "SELECT mutation_id FROM mutations WHERE client_id = ? ORDER BY 1", client.client_id
    )
    assert len(answered) in (20, 30), answered  # batch 2 was on the wire, batch 3 perhaps too
    applied = [i.id for i in client.history(100) if i.state == "applied"]
    assert sorted(applied) == [r[0] for r in answered]
    assert summary.applied == len(answered)
    assert len(client.store.items(client.client_id, states=["pending"])) == 40 - len(answered)


def test_answers_on_their_way_are_recorded_when_a_page_fails_to_apply(fresh_server: Any, tmp_path: Path) -> None:
    """Applying a page pulled during the push fails (the device's disk): the failure goes up, and the
    answer of the batch that was on the wire meanwhile is written down first."""
    client = _client(tmp_path / "d.sqlite3", fresh_server.url, batch_size=10)
    for n in range(40):
        client.queue(cash_deposit(client, member_id=1 + n % 12, amount=10_000 + n))
    store = client.store
    apply_page = store.apply_page

    def failing_apply(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    store.apply_page = failing_apply  # type: ignore[method-assign]
    with pytest.raises(sqlite3.OperationalError):
        client.sync_once()
    store.apply_page = apply_page  # type: ignore[method-assign]
    answered = _server_rows(
        fresh_server.db_path, "SELECT mutation_id FROM mutations WHERE client_id = ? ORDER BY 1", client.client_id
    )
    assert len(answered) >= 20, answered  # batch 2 left while batch 1's answer was recorded
    applied = [i.id for i in client.history(100) if i.state == "applied"]
    assert sorted(applied) == [r[0] for r in answered]
    assert client.sync_once().ok
    assert client.store.items(client.client_id, states=["pending"]) == []
