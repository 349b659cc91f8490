"""The optimistic local view, offline: replica rows with pending mutations drawn on top (DESIGN rule 5)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from cs_support import MEMBERS, OFFICER2, cash_deposit, change, closed_url, deposit_row, page, seed_profile

from client_sync import InvalidMutation, LoginRequired, SyncClient
from client_sync.view import deposit_views, search_members
from server.protocol import DepositCancel, DepositCreate, MutationResult, PushResponse, WithdrawalCreate

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_queue_works_offline_and_numbers_items(offline_client: SyncClient) -> None:
    first = offline_client.queue(cash_deposit(offline_client))
    second = offline_client.queue(cash_deposit(offline_client, amount=20_000))
    assert (first.id, second.id) == (1, 2)
    assert first.user_id == 101 and first.state == "pending" and first.device_time
    uuid.UUID(first.uuid)
    assert [i.id for i in offline_client.pending()] == [1, 2]
    status = offline_client.status()
    assert (status.pending, status.unsent, status.rejected) == (2, 2, 0)


def test_queue_refuses_what_the_protocol_refuses(offline_client: SyncClient) -> None:
    with pytest.raises(InvalidMutation):
        offline_client.queue(cash_deposit(offline_client, amount=-5))
    with pytest.raises(InvalidMutation):
        offline_client.queue(DepositCancel(deposit_id="not-a-uuid"))
    assert offline_client.pending() == []


def test_queue_needs_a_user(tmp_path: Path) -> None:
    with SyncClient(tmp_path / "d.sqlite3", closed_url()) as client, pytest.raises(LoginRequired):
        client.queue(cash_deposit(client))


def test_pending_deposit_shows_before_the_server_knows_it(offline_client: SyncClient) -> None:
    item = offline_client.queue(cash_deposit(offline_client, member_id=1, amount=150_000))
    views = offline_client.deposits(member_id=1)
    assert views[0].id == item.op.deposit_id and views[0].status == "pending" and views[0].pending  # type: ignore[union-attr]
    assert views[0].mutation_id == 1
    assert [d.id for d in views[1:]] == ["d-old-verified"]
    assert [d.id for d in offline_client.deposits(status="pending")] == [item.op.deposit_id]  # type: ignore[union-attr]


def test_pending_cancel_marks_the_deposit_cancelling(offline_client: SyncClient) -> None:
    offline_client.queue(DepositCancel(deposit_id=str(uuid.UUID(int=7))))  # unknown to the replica: ignored
    rows = [deposit_row(str(uuid.UUID(int=7)), 2, 75_000)]
    offline_client.store.apply_page(offline_client.client_id, page([change(900, "deposit", rows[0]["id"], rows[0])]))
    view = next(d for d in offline_client.deposits(member_id=2) if d.id == rows[0]["id"])
    assert view.cancelling and view.pending and view.status == "unverified"


def test_replica_wins_once_it_holds_the_row(offline_client: SyncClient) -> None:
    item = offline_client.queue(cash_deposit(offline_client, member_id=1, amount=150_000))
    op = item.op
    assert isinstance(op, DepositCreate)
    cid = offline_client.client_id
    assert cid
    offline_client.store.record_results(
        cid, [item], PushResponse([MutationResult(1, item.uuid, "applied", visible_at=500)], 1)
    )
    # applied but not yet pulled: still drawn, so it never vanishes
    assert offline_client.deposits(member_id=1)[0].id == op.deposit_id
    row = deposit_row(op.deposit_id, 1, 150_000, code="STR-9", created_at="2026-02-01T00:00:00Z")
    offline_client.store.apply_page(cid, page([change(500, "deposit", op.deposit_id, row)]))
    views = offline_client.deposits(member_id=1)
    assert views[0].id == op.deposit_id and views[0].status == "unverified" and not views[0].pending
    assert len([d for d in views if d.id == op.deposit_id]) == 1
    assert offline_client.pending() == []


def test_balances_subtract_pending_withdrawals_and_show_pending_deposits(offline_client: SyncClient) -> None:
    offline_client.queue(
        WithdrawalCreate(
            withdrawal_id=offline_client.new_id(),
            member_id=2,
            savings_type="sukarela",
            amount=100_000,
            method="tunai",
            location_id=1,
        )
    )
    offline_client.queue(cash_deposit(offline_client, member_id=2, amount=25_000))
    sukarela = {b.savings_type: b for b in offline_client.balances(2)}["sukarela"]
    assert (sukarela.balance, sukarela.pending_withdrawals, sukarela.available) == (600_000, 100_000, 500_000)
    assert sukarela.pending_deposits == 75_000 + 30_000 + 25_000  # both officers' unverified + local pending
    assert sukarela.withdrawable and sukarela.name == "Simpanan Sukarela"
    assert [b.savings_type for b in offline_client.balances(2)] == ["pokok", "wajib", "sukarela"]


def test_cash_in_hand_counts_own_unverified_and_pending_cash(offline_client: SyncClient) -> None:
    offline_client.queue(cash_deposit(offline_client, member_id=1, amount=150_000))
    cash = offline_client.cash_in_hand()
    # d-unverified (75,000, ours) + pending 150,000; not the verified one, not the other officer's
    assert (cash.total, cash.count, cash.unsynced_total, cash.unsynced_count) == (225_000, 2, 150_000, 1)


def test_member_search_by_name_or_number(offline_client: SyncClient) -> None:
    assert [m.id for m in offline_client.members("budi")] == [1]
    assert [m.id for m in offline_client.members("a00")] == [1, 2, 13]
    assert [m.id for m in offline_client.members("MAKMUR")] == [3]
    assert len(offline_client.members()) == len(MEMBERS)
    assert offline_client.member("a0002").id == 2  # type: ignore[union-attr]
    assert offline_client.member("13").number == "A0013"  # type: ignore[union-attr]
    assert offline_client.member("Z9") is None
    assert search_members([], "x") == []


def test_rejected_items_are_listed_with_their_reason(offline_client: SyncClient) -> None:
    bad = offline_client.queue(cash_deposit(offline_client, member_id=13))
    good = offline_client.queue(cash_deposit(offline_client, member_id=1))
    cid = offline_client.client_id
    assert cid
    offline_client.store.record_results(
        cid,
        [bad, good],
        PushResponse(
            [
                MutationResult(1, bad.uuid, "rejected", "member_outside_location", "Anggota di luar lokasi Anda.", 10),
                MutationResult(2, good.uuid, "applied", None, None, 11),
            ],
            2,
        ),
    )
    [rejected] = offline_client.rejected()
    assert (rejected.id, rejected.code, rejected.message) == (
        1,
        "member_outside_location",
        "Anggota di luar lokasi Anda.",
    )
    assert [i.id for i in offline_client.pending()] == [2]  # the rejected one is not drawn as pending
    assert offline_client.deposits(member_id=13) == []
    assert offline_client.status().rejected == 1


def test_each_user_on_a_shared_device_sees_only_their_own_queue(offline_client: SyncClient) -> None:
    offline_client.queue(cash_deposit(offline_client))
    first = offline_client.client_id
    seed_profile(offline_client, OFFICER2, replica=False)
    assert offline_client.client_id != first
    assert offline_client.pending() == [] and offline_client.members() == []
    assert offline_client.status().other_users_pending == 1
    assert offline_client.queue(cash_deposit(offline_client)).id == 1  # numbering is per client id


def test_attachments_are_stored_with_the_item(offline_client: SyncClient, tmp_path: Path) -> None:
    proof = tmp_path / "bukti.png"
    proof.write_bytes(PNG)
    sha = offline_client.attachment_hash(proof)
    op = DepositCreate(
        deposit_id=offline_client.new_id(),
        member_id=1,
        savings_type="sukarela",
        kind="mandiri",
        amount=50_000,
        location_id=1,
        attachment=sha,
    )
    item = offline_client.queue(op, attachments=proof)
    proof.unlink()  # the officer deletes the photo: the bytes are already on the device database
    assert item.attachments == (sha,)
    assert offline_client.store.attachment_content(sha) == PNG
    with pytest.raises(InvalidMutation, match="Lampiran"):
        offline_client.queue(
            DepositCreate(
                deposit_id=offline_client.new_id(),
                member_id=1,
                savings_type="sukarela",
                kind="mandiri",
                amount=1,
                location_id=1,
                attachment="cd" * 32,
            )
        )
    text = tmp_path / "catatan.txt"
    text.write_text("bukan gambar")
    with pytest.raises(InvalidMutation, match="JPEG, PNG atau PDF"):
        offline_client.queue(cash_deposit(offline_client), attachments=[text])


def test_deposit_views_pure() -> None:
    assert deposit_views([], []) == []
    rows = [
        deposit_row("a", 1, 5, created_at="2026-01-01T00:00:00Z"),
        deposit_row("b", 1, 6, created_at="2026-02-01T00:00:00Z"),
    ]
    assert [d.id for d in deposit_views(rows, [])] == ["b", "a"]
