"""DESIGN rules 2, 3 and 5: numbered mutations are processed exactly once, rejections never block the
queue, and a push tells the client the feed position at which its result becomes visible."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import msgspec

from server.protocol import Mutation, PushRequest
from tests.protocol.protocol_helpers import (
    assert_error,
    cancel_withdrawal,
    cash_deposit,
    counter,
    pull_to_head,
    query,
    raw_client,
    snapshot,
    withdrawal,
)
from tests.support.api import login


def test_replayed_mutation_returns_its_stored_result_and_changes_nothing(live_server):
    officer = login(live_server.url, "petugas1")
    deposit = cash_deposit(member_id=3, amount=25_000, location_id=1)
    mutation = officer.mutation(deposit)
    first = officer.push(mutation)
    assert first.status_code == 200
    stored = first.json()["results"][0]
    assert stored["status"] == "applied" and isinstance(stored["visible_at"], int)

    before = snapshot(live_server.db_path, officer.client_id)
    again = officer.push(mutation)
    assert again.status_code == 200
    assert again.json() == {"results": [stored], "last_mutation_id": 1}
    assert snapshot(live_server.db_path, officer.client_id) == before
    assert len(query(live_server.db_path, "SELECT 1 FROM deposits WHERE id = ?", deposit.deposit_id)) == 1

    # a replay at the head of a batch does not stop the new mutation behind it
    follow = officer.mutation(cash_deposit(member_id=3, amount=30_000, location_id=1))
    body = officer.push(mutation, follow).json()
    assert body["results"][0] == stored
    assert body["results"][1]["status"] == "applied"
    assert body["last_mutation_id"] == 2
    assert counter(live_server.db_path, officer.client_id) == 2


def test_reinstalled_device_resending_a_processed_uuid_is_recognised_not_applied_twice(live_server):
    old_device = login(live_server.url, "petugas1")
    assert old_device.push_ops(cash_deposit(member_id=4, amount=39_000, location_id=1))[0]["status"] == "applied"
    deposit = cash_deposit(member_id=4, amount=40_000, location_id=1)
    original = old_device.mutation(deposit)
    assert original.id == 2
    stored = old_device.push(original).json()["results"][0]
    assert stored["status"] == "applied"

    # the phone was reset: a new install, a new client id, the same user, the same queued mutation
    new_device = login(live_server.url, "petugas1")
    assert new_device.client_id != old_device.client_id
    resent = Mutation(
        id=1, uuid=original.uuid, user_id=original.user_id, op=original.op, device_time=original.device_time
    )
    before = snapshot(live_server.db_path)
    response = new_device.push(resent)
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["status"] == "applied" and result["uuid"] == original.uuid
    assert result["visible_at"] == stored["visible_at"]
    assert response.json()["last_mutation_id"] == 1
    after = snapshot(live_server.db_path)
    for key in ("head", "changes", "deposits", "ledger", "mutations", "balance", "held", "statuses"):
        assert after[key] == before[key], key
    assert len(query(live_server.db_path, "SELECT 1 FROM deposits WHERE id = ?", deposit.deposit_id)) == 1

    # the new device's counter moved past it, so its next mutation is number 2 and applies
    assert counter(live_server.db_path, new_device.client_id) == 1
    assert new_device.pull()["last_mutation_id"] == 1
    new_device.next_id = 2
    nxt = new_device.push_ops(cash_deposit(member_id=4, amount=41_000, location_id=1))
    assert nxt[0]["status"] == "applied"
    # and re-sending it yet again from the new device still answers the stored result
    assert new_device.push(resent).json()["results"][0]["visible_at"] == stored["visible_at"]


def test_gap_in_mutation_numbers_is_refused_with_the_expected_number(live_server):
    officer = login(live_server.url, "petugas1")
    # a brand-new client must start at 1
    before = snapshot(live_server.db_path, officer.client_id)
    body = assert_error(officer.push(officer.mutation(cash_deposit(3, 10_000, 1), number=2)), 409, "mutation_gap")
    assert body["detail"]["expected"] == 1
    assert snapshot(live_server.db_path, officer.client_id) == before

    assert officer.push_ops(cash_deposit(3, 10_000, 1))[0]["status"] == "applied"
    before = snapshot(live_server.db_path, officer.client_id)
    body = assert_error(officer.push(officer.mutation(cash_deposit(3, 10_000, 1), number=5)), 409, "mutation_gap")
    assert body["detail"]["expected"] == 2
    assert snapshot(live_server.db_path, officer.client_id) == before


def test_mutation_number_reused_with_a_different_uuid_is_rejected(live_server):
    officer = login(live_server.url, "petugas1")
    first = officer.push_ops(cash_deposit(3, 15_000, 1))[0]
    assert first["status"] == "applied"
    imposter_deposit = cash_deposit(3, 99_000, 1)
    imposter = officer.mutation(imposter_deposit, number=1)
    before = snapshot(live_server.db_path, officer.client_id)
    response = officer.push(imposter)
    assert response.status_code == 200
    result = response.json()["results"][0]
    assert result["status"] == "rejected" and result["code"] == "mutation_id_reused"
    assert result["uuid"] == imposter.uuid and result["message"]
    assert response.json()["last_mutation_id"] == 1
    assert snapshot(live_server.db_path, officer.client_id) == before
    assert query(live_server.db_path, "SELECT 1 FROM deposits WHERE id = ?", imposter_deposit.deposit_id) == []


def test_new_mutation_recreating_an_existing_deposit_id_is_rejected_not_duplicated(live_server):
    officer = login(live_server.url, "petugas1")
    deposit = cash_deposit(3, 12_000, 1)
    assert officer.push_ops(deposit)[0]["status"] == "applied"
    again = officer.push_ops(deposit)[0]  # same op, new uuid and number: a second intent, not a replay
    assert again["status"] == "rejected" and again["code"] == "duplicate_id"
    rows = query(live_server.db_path, "SELECT amount FROM deposits WHERE id = ?", deposit.deposit_id)
    assert [r[0] for r in rows] == [12_000]


def test_business_rejection_is_recorded_advances_the_counter_and_reaches_the_client(live_server):
    member = login(live_server.url, "anggota06")
    dashboard = member.get("/api/dashboard").json()
    available = next(b["available"] for b in dashboard["balances"] if b["savings_type"] == "sukarela")
    assert available < 50_000_000  # so the first request below cannot be covered

    too_much = withdrawal(6, 50_000_000, 1)
    small = withdrawal(6, 10_000, 1)
    before_head = snapshot(live_server.db_path)["head"]
    response = member.push(
        member.mutation(too_much), member.mutation(small), member.mutation(cancel_withdrawal(small.withdrawal_id))
    )
    assert response.status_code == 200
    body = response.json()
    refused, applied, cancelled = body["results"]
    assert refused["status"] == "rejected" and refused["code"] == "insufficient_balance"
    assert isinstance(refused["message"], str) and refused["message"]
    assert applied["status"] == "applied" and cancelled["status"] == "applied"
    assert body["last_mutation_id"] == 3
    assert counter(live_server.db_path, member.client_id) == 3
    assert refused["visible_at"] < applied["visible_at"] < cancelled["visible_at"]
    assert refused["visible_at"] > before_head

    # the refusal rolled back everything it touched, and is stored as processed
    assert query(live_server.db_path, "SELECT 1 FROM withdrawals WHERE id = ?", too_much.withdrawal_id) == []
    stored = query(live_server.db_path, "SELECT status, code FROM mutations WHERE uuid = ?", refused["uuid"])
    assert [tuple(r) for r in stored] == [("rejected", "insufficient_balance")]
    after = member.get("/api/dashboard").json()
    assert next(b["available"] for b in after["balances"] if b["savings_type"] == "sukarela") == available

    # the result reaches the device through the feed, at the position the push promised
    changes, last_page = pull_to_head(member)
    assert last_page["last_mutation_id"] == 3
    by_seq = {c["seq"]: c for c in changes}
    for result in body["results"]:
        assert result["visible_at"] <= last_page["position"]
        change = by_seq[result["visible_at"]]
        assert change["entity"] == "mutation" and change["id"] == result["uuid"]
        assert change["data"]["status"] == result["status"]
        assert change["data"]["code"] == result.get("code")
    assert by_seq[refused["visible_at"]]["data"]["code"] == "insufficient_balance"
    # the effects of an applied mutation are visible no later than its result
    withdrawal_changes = [c for c in changes if c["entity"] == "withdrawal" and c["id"] == small.withdrawal_id]
    assert withdrawal_changes and all(c["seq"] < cancelled["visible_at"] for c in withdrawal_changes)
    assert withdrawal_changes[-1]["data"]["status"] == "cancelled"


def test_the_same_push_sent_concurrently_applies_once(live_server):
    """A flaky network makes a device resend a push while the first is still in flight."""
    officer = login(live_server.url, "petugas1")
    deposit = cash_deposit(3, 17_000, 1)
    body = msgspec.json.encode(PushRequest(client_id=officer.client_id, mutations=[officer.mutation(deposit)]))

    def send(_: int) -> dict:
        with raw_client(live_server.url, officer.token) as client:
            response = client.post("/api/sync/push", content=body, headers={"content-type": "application/json"})
            assert response.status_code == 200, response.text
            return response.json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    assert all(a == answers[0] for a in answers), answers
    assert answers[0]["results"][0]["status"] == "applied"
    assert len(query(live_server.db_path, "SELECT 1 FROM deposits WHERE id = ?", deposit.deposit_id)) == 1
    assert len(query(live_server.db_path, "SELECT 1 FROM mutations WHERE client_id = ?", officer.client_id)) == 1


def test_another_users_mutation_uuid_is_refused_not_answered_with_their_result(live_server):
    """A uuid already used by another user never returns that user's stored result."""
    import uuid as uuidlib

    from server.protocol import DepositCreate

    officer, member = login(live_server.url, "petugas1"), login(live_server.url, "anggota07")
    shared = str(uuidlib.uuid4())
    op = DepositCreate(
        deposit_id=str(uuidlib.uuid4()),
        member_id=3,
        savings_type="sukarela",
        kind="offline",
        amount=12_345,
        location_id=1,
    )
    assert officer.push(officer.mutation(op, mutation_uuid=shared)).json()["results"][0]["status"] == "applied"
    copy = member.push(member.mutation(op, mutation_uuid=shared)).json()
    assert (copy["results"][0]["status"], copy["results"][0]["code"]) == ("rejected", "uuid_conflict")
    assert copy["last_mutation_id"] == 1  # the member's queue moves on
    again = member.push(member.mutation(op, number=1, mutation_uuid=shared)).json()
    assert again["results"][0]["code"] == "uuid_conflict"
