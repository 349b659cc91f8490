"""The pure parts: which changes are news, the notice text, topics, and the retry policy."""

from __future__ import annotations

import random

from server.notify.events import KINDS, notice_for, payload_json, topic_for
from server.notify.policy import backoff, decide, parse_retry_after

DEPOSIT = {
    "id": "d-1",
    "code": "STR-2612-000062",
    "member_id": 7,
    "amount": 500_000,
    "status": "verified",
    "reason": None,
}


def test_a_verified_deposit_tells_its_member_in_bahasa_indonesia() -> None:
    notice = notice_for("deposit", DEPOSIT, user_id=101)
    assert notice is not None and notice.member_id == 7 and notice.user_id is None
    assert (notice.kind, notice.title, notice.body) == (
        "deposit.verified",
        "Setoran diverifikasi",
        "Setoran STR-2612-000062 Rp500.000 telah diverifikasi",
    )
    assert notice.url == "/#/setoran/d-1"


def test_only_one_time_transitions_are_news() -> None:
    assert notice_for("deposit", {**DEPOSIT, "status": "unverified"}) is None
    assert notice_for("deposit", {**DEPOSIT, "status": "cancelled"}) is None
    loan = {"id": "l-1", "code": "PJM-2612-000001", "member_id": 3, "amount": 5_000_000, "status": "active"}
    assert notice_for("loan", loan) is None  # recurs with every repayment
    assert notice_for("loan", {**loan, "status": "approved"}).kind == "loan.approved"  # type: ignore[union-attr]
    entry = {
        "kind": "loan_disbursement",
        "ref_id": "l-1",
        "ref_code": "PJM-2612-000001",
        "member_id": 3,
        "amount": 5_000_000,
    }
    disbursed = notice_for("ledger_entry", entry)
    assert disbursed is not None and disbursed.kind == "loan.disbursed" and disbursed.topic == topic_for("loan", "l-1")
    assert notice_for("ledger_entry", {**entry, "kind": "deposit"}) is None
    assert notice_for("mutation", {"uuid": "u", "status": "applied", "name": "deposit.create"}, user_id=1) is None
    rejected = notice_for(
        "mutation",
        {
            "uuid": "u",
            "status": "rejected",
            "name": "withdrawal.create",
            "code": "insufficient_balance",
            "message": "Saldo tidak cukup.",
        },
        user_id=1,
    )
    assert (
        rejected is not None
        and rejected.user_id == 1
        and rejected.body == "Penarikan tidak dapat diproses: Saldo tidak cukup."
    )
    assert notice_for("savings_account", {"member_id": 1}) is None


def test_payload_has_the_documented_shape_and_no_one_elses_data() -> None:
    import json

    notice = notice_for(
        "withdrawal", {**DEPOSIT, "code": "PNR-2612-000001", "status": "rejected", "reason": "Data rekening salah"}
    )
    assert notice is not None
    payload = json.loads(payload_json(notice))
    assert set(payload) == {"v", "kind", "title", "body", "url", "tag", "ref"}
    assert payload["body"] == "Penarikan PNR-2612-000001 Rp500.000 ditolak: Data rekening salah"
    assert payload["ref"] == {"entity": "withdrawal", "id": "d-1", "code": "PNR-2612-000001"}
    assert set(KINDS) >= {payload["kind"]}


def test_topics_are_short_url_safe_and_one_per_transaction() -> None:
    topic = topic_for("deposit", "0d6a3d0e-1c5b-4d8e-9f51-8e3c2a7b6a10")
    assert len(topic) <= 32 and set(topic) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert topic == topic_for("deposit", "0d6a3d0e-1c5b-4d8e-9f51-8e3c2a7b6a10") != topic_for("deposit", "other")


def test_retry_policy() -> None:
    rng = random.Random(1)
    common = {"error": None, "now": 1000.0, "deadline": 5000.0, "base": 2.0, "cap": 60.0, "rng": rng}
    assert decide(status=201, retry_after=None, attempt=1, **common).action == "sent"
    assert decide(status=410, retry_after=None, attempt=1, **common).action == "gone"
    assert decide(status=404, retry_after=None, attempt=1, **common).action == "gone"
    limited = decide(status=429, retry_after="120", attempt=1, **common)
    assert limited.action == "retry" and limited.delay >= 120 and limited.hold_origin == 120
    assert decide(status=503, retry_after=None, attempt=3, **common).delay <= 8.0
    assert decide(status=400, retry_after=None, attempt=1, **common).action == "failed"
    late = decide(status=None, retry_after=None, attempt=9, **{**common, "deadline": 1000.5, "error": "refused"})
    assert late.action == "failed" and late.reason is not None and late.reason.startswith("gave_up")
    assert all(0 <= backoff(n, 2.0, 60.0, rng) <= min(60.0, 2.0 * 2 ** (n - 1)) for n in range(1, 12))
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 0) is not None
    assert parse_retry_after("soon", 0) is None


def test_applied_deduction_change_and_installments_are_news_for_their_member() -> None:
    change = {
        "id": "c-1",
        "member_id": 5,
        "savings_type": "sukarela",
        "current_amount": 0,
        "new_amount": 250_000,
        "effective_month": "2027-01",
        "status": "applied",
    }
    notice = notice_for("deduction_change", change)
    assert notice is not None and notice.member_id == 5 and notice.kind == "deduction.applied"
    assert notice.body == "Potongan gaji simpanan sukarela menjadi Rp250.000 per bulan mulai 2027-01"
    assert notice_for("deduction_change", {**change, "status": "submitted"}) is None
    repayment = {
        "id": "pg:9",
        "loan_id": "l-1",
        "member_id": 5,
        "amount": 300_000,
        "source": "potong_gaji",
        "loan_code": "PJM-2612-000003",
    }
    paid = notice_for("loan_repayment", repayment)
    assert paid is not None and paid.dedupe_id == "pg:9" and paid.entity_id == "l-1"
    assert paid.body == "Angsuran Rp300.000 (potong gaji) untuk pinjaman PJM-2612-000003 telah dicatat"
