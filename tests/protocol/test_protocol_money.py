"""Deposits and withdrawals through the protocol: pending cash, four eyes, holds, attachments, the ledger."""

from __future__ import annotations

from tests.protocol.protocol_helpers import (
    assert_error,
    balance,
    cancel,
    cash_deposit,
    counter,
    head,
    mandiri_deposit,
    png_bytes,
    pull_to_head,
    query,
    reject_withdrawal,
    sha256,
    snapshot,
    verify,
    verify_withdrawal,
    withdrawal,
)
from tests.support.api import login


def _deposit_row(path, deposit_id):
    rows = query(path, "SELECT * FROM deposits WHERE id = ?", deposit_id)
    assert len(rows) == 1
    return dict(rows[0])


def _ledger_for(path, ref_id):
    return [dict(r) for r in query(path, "SELECT * FROM ledger WHERE ref_id = ? ORDER BY seq", ref_id)]


def test_offline_cash_is_pending_until_a_second_officer_of_the_location_verifies_it(live_server):
    path = live_server.db_path
    collector, colleague, other_site = (login(live_server.url, u) for u in ("petugas1", "petugas2", "petugas3"))
    deposit = cash_deposit(member_id=3, amount=75_000, location_id=1)
    before = balance(path, 3)

    assert collector.push_ops(deposit)[0]["status"] == "applied"
    assert _deposit_row(path, deposit.deposit_id)["status"] == "unverified"
    assert balance(path, 3) == before and _ledger_for(path, deposit.deposit_id) == []
    cash = collector.get("/api/cash-in-hand").json()
    assert deposit.deposit_id in {item["id"] for item in cash["items"]}

    # the member sees it as pending in their own feed
    member = login(live_server.url, "anggota03")
    mine = [c for c in pull_to_head(member)[0] if c["entity"] == "deposit" and c["id"] == deposit.deposit_id]
    assert mine and mine[-1]["data"]["status"] == "unverified"

    own = collector.push_ops(verify(deposit.deposit_id))[0]
    assert own["status"] == "rejected" and own["code"] == "own_transaction"
    elsewhere = other_site.push_ops(verify(deposit.deposit_id))[0]
    assert elsewhere["status"] == "rejected" and elsewhere["code"] == "not_officer_of_location"
    assert _deposit_row(path, deposit.deposit_id)["status"] == "unverified"
    assert balance(path, 3) == before

    assert colleague.push_ops(verify(deposit.deposit_id))[0]["status"] == "applied"
    row = _deposit_row(path, deposit.deposit_id)
    assert row["status"] == "verified" and row["decided_by"] == colleague.user["id"]
    assert balance(path, 3) == (before[0] + 75_000, before[1])
    entries = _ledger_for(path, deposit.deposit_id)
    assert [(e["member_id"], e["savings_type"], e["amount"], e["balance_after"]) for e in entries] == [
        (3, "sukarela", 75_000, before[0] + 75_000)
    ]
    assert deposit.deposit_id not in {i["id"] for i in collector.get("/api/cash-in-hand").json()["items"]}

    # a verified deposit can no longer be cancelled, by anyone
    late = collector.push_ops(cancel(deposit.deposit_id))[0]
    assert late["status"] == "rejected" and late["code"] == "not_unverified"
    assert balance(path, 3) == (before[0] + 75_000, before[1])
    # nor verified twice
    twice = colleague.push_ops(verify(deposit.deposit_id))[0]
    assert twice["status"] == "rejected" and twice["code"] == "not_unverified"
    assert len(_ledger_for(path, deposit.deposit_id)) == 1


def test_unverified_deposit_can_be_cancelled_and_then_never_verified(live_server):
    path = live_server.db_path
    collector, colleague = login(live_server.url, "petugas1"), login(live_server.url, "petugas2")
    deposit = cash_deposit(member_id=5, amount=33_000, location_id=1)
    before = balance(path, 5)
    assert collector.push_ops(deposit, cancel(deposit.deposit_id))[1]["status"] == "applied"
    assert _deposit_row(path, deposit.deposit_id)["status"] == "cancelled"
    result = colleague.push_ops(verify(deposit.deposit_id))[0]
    assert result["status"] == "rejected" and result["code"] == "not_unverified"
    assert balance(path, 5) == before and _ledger_for(path, deposit.deposit_id) == []


def test_withdrawal_requests_hold_their_amount_so_two_cannot_exceed_the_balance(live_server):
    path = live_server.db_path
    member = login(live_server.url, "anggota05")
    officer = login(live_server.url, "petugas1")
    bal, held = balance(path, 5)
    available = bal - held
    assert available > 200_000
    first = withdrawal(5, available - 100_000, 1)
    second = withdrawal(5, 200_000, 1)  # each alone is covered; together they are not
    results = member.push_ops(first, second)
    assert results[0]["status"] == "applied"
    assert results[1]["status"] == "rejected" and results[1]["code"] == "insufficient_balance"
    assert balance(path, 5) == (bal, held + available - 100_000)
    assert query(path, "SELECT 1 FROM withdrawals WHERE id = ?", second.withdrawal_id) == []

    # rejecting the first releases its hold; the same request then fits again
    assert officer.push_ops(reject_withdrawal(first.withdrawal_id))[0]["status"] == "applied"
    assert balance(path, 5) == (bal, held)
    retry = member.push_ops(withdrawal(5, 200_000, 1))[0]
    assert retry["status"] == "applied"
    assert balance(path, 5) == (bal, held + 200_000)


def test_pokok_and_wajib_savings_cannot_be_withdrawn(live_server):
    member = login(live_server.url, "anggota05")
    before = snapshot(live_server.db_path)
    results = member.push_ops(
        withdrawal(5, 10_000, 1, savings_type="pokok"), withdrawal(5, 10_000, 1, savings_type="wajib")
    )
    assert [(r["status"], r["code"]) for r in results] == [("rejected", "savings_type_not_withdrawable")] * 2
    after = snapshot(live_server.db_path)
    assert (after["withdrawals"], after["balance"], after["held"]) == (
        before["withdrawals"],
        before["balance"],
        before["held"],
    )


def test_mandiri_deposit_waits_for_its_attachment_without_advancing_the_queue(live_server):
    path = live_server.db_path
    member = login(live_server.url, "anggota04")
    proof = png_bytes(f"bukti-{member.client_id}")
    digest = sha256(proof)
    deposit = mandiri_deposit(member_id=4, amount=150_000, location_id=1, attachment=digest)
    mutation = member.mutation(deposit)

    before = snapshot(path, member.client_id)
    response = member.push(mutation)
    assert response.status_code == 200
    body = response.json()
    assert body["results"][0]["status"] == "retry" and body["results"][0]["code"] == "attachment_missing"
    assert body["results"][0].get("visible_at") is None
    assert body["last_mutation_id"] == 0
    assert snapshot(path, member.client_id) == before
    assert member.pull()["last_mutation_id"] == 0

    upload = member.http.put(f"/api/attachments/{digest}", content=proof, headers={"content-type": "image/png"})
    assert upload.status_code == 201, upload.text
    assert upload.json() == {"sha256": digest, "size": len(proof), "content_type": "image/png"}
    # uploading the same file again is harmless
    assert (
        member.http.put(f"/api/attachments/{digest}", content=proof, headers={"content-type": "image/png"}).status_code
        == 200
    )

    again = member.push(mutation).json()
    assert again["results"][0]["status"] == "applied" and again["last_mutation_id"] == 1
    row = _deposit_row(path, deposit.deposit_id)
    assert (row["kind"], row["status"], row["attachment"]) == ("mandiri", "unverified", digest)
    assert member.http.get(f"/api/attachments/{digest}").content == proof

    before_balance = balance(path, 4)
    officer = login(live_server.url, "petugas1")
    assert officer.http.get(f"/api/attachments/{digest}").content == proof  # the verifying officer may see it
    assert officer.push_ops(verify(deposit.deposit_id))[0]["status"] == "applied"
    assert balance(path, 4)[0] == before_balance[0] + 150_000


def test_mandiri_deposit_without_any_attachment_is_rejected_as_missing_field(live_server):
    member = login(live_server.url, "anggota04")
    result = member.push_ops(mandiri_deposit(member_id=4, amount=50_000, location_id=1, attachment=None))[0]
    assert result["status"] == "rejected" and result["code"] == "missing_field"
    assert counter(live_server.db_path, member.client_id) == 1


def test_ledger_verifies_after_deposits_and_withdrawals_move_money(live_server):
    path = live_server.db_path
    p1, p2 = login(live_server.url, "petugas1"), login(live_server.url, "petugas2")
    member = login(live_server.url, "anggota07")
    deposit = cash_deposit(member_id=7, amount=80_000, location_id=1)
    pull = withdrawal(7, 20_000, 1)
    assert p1.push_ops(deposit)[0]["status"] == "applied"
    assert member.push_ops(pull)[0]["status"] == "applied"
    before_entries = int(query(path, "SELECT COUNT(*) FROM ledger")[0][0])
    results = p2.push_ops(verify(deposit.deposit_id), verify_withdrawal(pull.withdrawal_id))
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert [e["amount"] for e in _ledger_for(path, pull.withdrawal_id)] == [-20_000]

    auditor = login(live_server.url, "pengurus1")
    check = auditor.get("/api/ledger/verify")
    assert check.status_code == 200
    body = check.json()
    assert body["ok"] is True, body
    assert body["entries"] == before_entries + 2 == int(query(path, "SELECT COUNT(*) FROM ledger")[0][0])
    assert body["mismatched_accounts"] == [] and body["first_bad_seq"] is None
    # the ledger check is for the board, not for officers or members
    assert_error(p1.get("/api/ledger/verify"), 403, "role_not_allowed")
    assert_error(member.get("/api/ledger/verify"), 403, "role_not_allowed")
    assert head(path) >= results[1]["visible_at"]
