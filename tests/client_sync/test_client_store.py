"""The device database: schema migration, transactions, outbox numbering, results, feed pages, resequencing."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from cs_support import OFFICER, OFFICER2, change, demo_changes, page
from hypothesis import given, settings

from client_sync.store import RETAIN_ITEMS, SCHEMA_VERSION, Store
from server.protocol import DepositCancel, DepositCreate, MutationResult, PushResponse


def _op(member_id: int = 1, amount: int = 10_000) -> DepositCreate:
    return DepositCreate(
        deposit_id=str(uuid.uuid4()),
        member_id=member_id,
        savings_type="sukarela",
        kind="offline",
        amount=amount,
        location_id=1,
    )


def _store(path: Path, *users: str) -> Store:
    store = Store(path)
    for name in users or ("c-one",):
        store.create_profile(name, name)
    return store


def _enqueue(store: Store, client_id: str = "c-one", n: int = 1) -> list:
    return [
        store.enqueue(client_id, uuid=str(uuid.uuid4()), user_id=OFFICER.id, op=_op(), device_time=None)
        for _ in range(n)
    ]


# --- schema ---------------------------------------------------------------------------------------


def test_new_database_is_migrated_and_reopening_keeps_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "d.sqlite3")
    assert store.user_version == SCHEMA_VERSION
    store.set_meta("k", "v")
    store.close()
    again = Store(tmp_path / "d.sqlite3")
    assert again.user_version == SCHEMA_VERSION and again.get_meta("k") == "v"
    mode = again._query("PRAGMA journal_mode")[0][0]
    assert mode == "wal"


def test_database_from_a_newer_app_is_refused(tmp_path: Path) -> None:
    Store(tmp_path / "d.sqlite3").close()
    with sqlite3.connect(tmp_path / "d.sqlite3") as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="perbarui"):
        Store(tmp_path / "d.sqlite3")


def test_atomic_nests_as_savepoints(tmp_path: Path) -> None:
    store = Store(tmp_path / "d.sqlite3")
    with store.atomic() as conn:
        conn.execute("INSERT INTO meta VALUES ('outer', '1')")
        with pytest.raises(ZeroDivisionError), store.atomic() as inner:
            inner.execute("INSERT INTO meta VALUES ('inner', '1')")
            raise ZeroDivisionError
    assert store.get_meta("outer") == "1" and store.get_meta("inner") is None
    with pytest.raises(ZeroDivisionError), store.atomic() as conn:
        conn.execute("INSERT INTO meta VALUES ('gone', '1')")
        raise ZeroDivisionError
    assert store.get_meta("gone") is None


# --- outbox numbering -----------------------------------------------------------------------------


def test_ids_count_from_one_per_client_and_survive_reopening(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3", "c-one", "c-two")
    assert [i.id for i in _enqueue(store, "c-one", 3)] == [1, 2, 3]
    assert [i.id for i in _enqueue(store, "c-two", 2)] == [1, 2]
    store.close()
    store = Store(tmp_path / "d.sqlite3")
    assert [i.id for i in _enqueue(store, "c-one", 1)] == [4]
    assert [i.id for i in store.items("c-one")] == [1, 2, 3, 4]
    assert [i.id for i in store.items("c-two")] == [1, 2]


def test_concurrent_queueing_gives_each_item_its_own_id(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    threads = [threading.Thread(target=_enqueue, args=(store, "c-one", 25)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [i.id for i in store.items("c-one")] == list(range(1, 101))


def test_queue_from_two_processes_sharing_the_file(tmp_path: Path) -> None:
    first = _store(tmp_path / "d.sqlite3")
    second = Store(tmp_path / "d.sqlite3")
    ids = [_enqueue(s)[0].id for s in (first, second, first, second)]
    assert ids == [1, 2, 3, 4]


def test_ids_are_never_handed_out_again_after_pruning(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    items = _enqueue(store, n=3)
    response = PushResponse([MutationResult(i.id, i.uuid, "applied", visible_at=10) for i in items], 3)
    store.record_results("c-one", items, response)
    store.apply_page("c-one", page([], position=10, last_mutation_id=3), now="2000-01-01T00:00:00+00:00")
    assert store.prune("c-one", keep=0, days=1) == 3
    assert store.items("c-one") == []
    assert _enqueue(store)[0].id == 4


def test_prune_keeps_the_newest_items_and_recent_ones(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    items = _enqueue(store, n=RETAIN_ITEMS + 20)
    store.record_results(
        "c-one", items, PushResponse([MutationResult(i.id, i.uuid, "applied", visible_at=5) for i in items], len(items))
    )
    store.apply_page("c-one", page([], position=5, last_mutation_id=len(items)))  # settled just now
    assert store.prune("c-one") == 0
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).isoformat()
    with store.atomic() as conn:
        conn.execute("UPDATE outbox SET settled_at = ?", (old,))
    assert store.prune("c-one") == 20
    assert [i.id for i in store.items("c-one")][0] == 21


# --- push results ---------------------------------------------------------------------------------


def test_results_are_recorded_and_stop_at_a_retry(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    items = _enqueue(store, n=4)
    response = PushResponse(
        [
            MutationResult(1, items[0].uuid, "applied", visible_at=11),
            MutationResult(2, items[1].uuid, "rejected", "insufficient_balance", "Saldo tidak cukup.", 12),
            MutationResult(3, items[2].uuid, "retry", "attachment_missing", "Unggah lampiran dulu."),
        ],
        2,
    )
    outcome = store.record_results("c-one", items, response)
    assert [i.id for i in outcome.applied] == [1] and [i.id for i in outcome.rejected] == [2]
    assert outcome.retry is not None and outcome.retry.id == 3 and outcome.retry_code == "attachment_missing"
    states = {i.id: (i.state, i.code, i.visible_at) for i in store.items("c-one")}
    assert states == {
        1: ("applied", None, 11),
        2: ("rejected", "insufficient_balance", 12),
        3: ("pending", None, None),
        4: ("pending", None, None),
    }
    attempts = "SELECT id, attempts FROM outbox WHERE client_id = 'c-one' ORDER BY id"
    assert [tuple(r) for r in store._query(attempts)] == [(1, 1), (2, 1), (3, 1), (4, 0)]  # every answered one
    # the same answer again (a repeated push) changes nothing but the attempts
    store.record_results("c-one", items, response)
    assert {i.id: (i.state, i.code, i.visible_at) for i in store.items("c-one")} == states
    assert [tuple(r) for r in store._query(attempts)] == [(1, 2), (2, 2), (3, 2), (4, 0)]


def test_a_reused_id_is_a_collision_not_a_verdict(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    items = _enqueue(store, n=2)
    response = PushResponse([MutationResult(1, items[0].uuid, "rejected", "mutation_id_reused", "dipakai")], 9)
    outcome = store.record_results("c-one", items, response)
    assert outcome.collision_at == 1 and not outcome.rejected
    assert [i.state for i in store.items("c-one")] == ["pending", "pending"]


# --- pulled pages ---------------------------------------------------------------------------------


def test_applying_a_page_twice_is_harmless_and_deletes_apply(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    first = page(demo_changes())
    store.apply_page("c-one", first)
    store.apply_page("c-one", first)
    assert store.count_rows("c-one", "member") == 4
    store.apply_page("c-one", page([change(100, "member", 3, None, op="delete")]))
    assert sorted(m["id"] for m in store.replica("c-one", "member")) == [1, 2, 13]
    profile = store.profile("c-one")
    assert profile is not None and profile.position == 100 and profile.cursor == "e-0-100"


def test_items_settle_only_once_the_pull_passes_visible_at(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    items = _enqueue(store, n=2)
    store.record_results(
        "c-one",
        items,
        PushResponse(
            [
                MutationResult(1, items[0].uuid, "applied", visible_at=50),
                MutationResult(2, items[1].uuid, "applied", visible_at=60),
            ],
            2,
        ),
    )
    store.apply_page("c-one", page([], position=55, has_more=True))
    assert [i.id for i in store.overlay_items("c-one")] == [2]
    store.apply_page("c-one", page([], position=60))
    assert store.overlay_items("c-one") == []
    assert store.count_items("c-one") == {"unsent": 0, "pending": 0, "rejected": 0}


def test_a_rejection_in_the_feed_settles_an_item_whose_push_answer_was_lost(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    lost, later = _enqueue(store, n=2)
    verdict = {
        "client_id": "c-one",
        "id": 1,
        "uuid": lost.uuid,
        "name": "deposit.create",
        "status": "rejected",
        "code": "member_inactive",
        "message": "Anggota tidak aktif.",
    }
    outcome = store.apply_page("c-one", page([change(70, "mutation", lost.uuid, verdict)], last_mutation_id=1))
    assert [i.uuid for i in outcome.rejected_by_feed] == [lost.uuid]
    item = store.item_by_uuid(lost.uuid)
    assert item is not None and item.state == "rejected" and item.code == "member_inactive"
    assert item.visible_at == 70 and item.settled
    assert store.item_by_uuid(later.uuid).state == "pending"  # type: ignore[union-attr]


def test_a_page_of_results_settles_as_if_applied_one_by_one(tmp_path: Path) -> None:
    """One look-up per page (issue 6.7) keeps the one-by-one meaning: the first verdict on a pending item
    wins, a later row of the same item moves only its position, answered items only move their position,
    and rows that are no verdict (a pending status, another shape, an unknown uuid) change nothing."""
    store = _store(tmp_path / "d.sqlite3")
    lost, answered, untouched = _enqueue(store, n=3)
    store.record_results(
        "c-one",
        [answered],
        PushResponse(
            last_mutation_id=2,
            results=[MutationResult(id=answered.id, uuid=answered.uuid, status="applied", visible_at=40)],
        ),
    )

    def verdict(item: Any, status: str, **extra: object) -> dict[str, Any]:
        base = {"client_id": "c-one", "id": item.id, "uuid": item.uuid, "name": "deposit.create", "status": status}
        return {**base, **extra}

    rows = [
        change(50, "mutation", lost.uuid, verdict(lost, "applied")),
        change(51, "mutation", untouched.uuid, verdict(untouched, "retry")),
        change(52, "mutation", answered.uuid, verdict(answered, "applied")),
        change(53, "mutation", "other", {"uuid": 7, "status": "applied"}),
        change(54, "mutation", str(uuid.uuid4()), {"uuid": "nobody", "status": "rejected"}),
        change(55, "mutation", lost.uuid, verdict(lost, "rejected", code="x", visible_at=56)),
    ]
    outcome = store.apply_page("c-one", page(rows, position=45, last_mutation_id=3))
    assert [i.uuid for i in outcome.settled_by_feed] == [lost.uuid] and not outcome.rejected_by_feed
    first, second, third = (store.item_by_uuid(i.uuid) for i in (lost, answered, untouched))
    assert first is not None and first.state == "applied" and first.code is None and first.visible_at == 56
    assert second is not None and second.state == "applied" and second.visible_at == 52
    assert third is not None and third.state == "pending" and third.visible_at is None
    assert not first.settled and not second.settled  # the page's position (45) is below both


def test_reset_drops_the_replica_but_never_the_outbox(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    store.apply_page("c-one", page(demo_changes()))
    _enqueue(store, n=2)
    store.reset_replica("c-one")
    assert store.count_rows("c-one") == 0
    assert len(store.items("c-one")) == 2
    profile = store.profile("c-one")
    assert profile is not None and profile.cursor == "" and profile.position == 0


def test_profiles_have_separate_replicas(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3", "c-one", "c-two")
    store.apply_page("c-one", page(demo_changes()))
    assert store.count_rows("c-two") == 0
    store.save_tokens("c-two", user=OFFICER2, access_token="a", refresh_token="r", expires_at=0)
    assert store.profile("c-two").user == OFFICER2  # type: ignore[union-attr]


# --- gap recovery ---------------------------------------------------------------------------------


def test_gap_makes_lost_items_pending_again_and_keeps_the_order(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    items = _enqueue(store, n=5)
    answered = PushResponse([MutationResult(i.id, i.uuid, "applied", visible_at=10 + i.id) for i in items[:4]], 4)
    store.record_results("c-one", items, answered)
    store.apply_page("c-one", page([], position=100, last_mutation_id=4))
    assert store.resequence("c-one", 3) == 3  # the server lost 3 and 4; 5 was never sent
    after = store.items("c-one")
    assert [(i.id, i.uuid, i.state) for i in after] == [
        (1, items[0].uuid, "applied"),
        (2, items[1].uuid, "applied"),
        (3, items[2].uuid, "pending"),
        (4, items[3].uuid, "pending"),
        (5, items[4].uuid, "pending"),
    ]
    assert not after[2].settled and after[2].visible_at is None
    assert _enqueue(store)[0].id == 6


def test_counter_from_the_future_is_renumbered_down(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    with store.atomic() as conn:
        conn.execute("UPDATE profiles SET next_mutation_id = 40")
    items = _enqueue(store, n=3)
    assert [i.id for i in items] == [40, 41, 42]
    store.resequence("c-one", 1)
    assert [(i.id, i.uuid) for i in store.items("c-one")] == [(n + 1, it.uuid) for n, it in enumerate(items)]
    assert _enqueue(store)[0].id == 4


def test_attachments_follow_their_item_through_renumbering(tmp_path: Path) -> None:
    store = _store(tmp_path / "d.sqlite3")
    with store.atomic() as conn:
        conn.execute("UPDATE profiles SET next_mutation_id = 7")
    item = store.enqueue(
        "c-one",
        uuid=str(uuid.uuid4()),
        user_id=1,
        op=_op(),
        device_time=None,
        attachments=[("ab" * 32, "image/png", None, b"\x89PNG\r\n\x1a\nxx")],
    )
    store.mark_uploaded("ab" * 32)
    store.resequence("c-one", 1)
    moved = store.items("c-one")[0]
    assert moved.id == 1 and moved.attachments == ("ab" * 32,)
    assert [a.sha256 for a in store.attachments_to_upload([item.uuid])] == ["ab" * 32]  # upload again


@settings(max_examples=60, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=12),
    answered=st.integers(min_value=0, max_value=12),
    start=st.integers(min_value=1, max_value=20),
    cancels=st.lists(st.booleans(), max_size=12),
)
def test_resequence_invariants(
    tmp_path_factory: pytest.TempPathFactory, total: int, answered: int, start: int, cancels: list[bool]
) -> None:
    """After any resequence: ids unique, pending ids contiguous from ``start``, order and uuids preserved."""
    store = _store(tmp_path_factory.mktemp("h") / "d.sqlite3")
    answered = min(answered, total)
    items = [
        store.enqueue(
            "c-one",
            uuid=str(uuid.uuid4()),
            user_id=1,
            op=DepositCancel(deposit_id=str(uuid.uuid4())) if (cancels[n : n + 1] or [False])[0] else _op(),
            device_time=None,
        )
        for n in range(total)
    ]
    store.record_results(
        "c-one",
        items,
        PushResponse([MutationResult(i.id, i.uuid, "applied", visible_at=i.id) for i in items[:answered]], answered),
    )
    before = [i.uuid for i in store.items("c-one")]
    count = store.resequence("c-one", start)
    after = store.items("c-one")
    assert [i.uuid for i in after] == before
    pending = [i for i in after if i.state == "pending"]
    assert len(pending) == count
    assert [i.id for i in pending] == list(range(start, start + count))
    assert all(i.id < start for i in after if i.state != "pending")
    nxt = _enqueue(store)[0].id
    assert nxt > max((i.id for i in after), default=0)
