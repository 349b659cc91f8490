"""Documents end to end through HTTP against a real server: each PDF parses and says what it should,
its QR decodes to a payload the server calls *Asli*, a tampered one reads *Tidak cocok*, and each
role gets exactly the documents the access policy allows."""

from __future__ import annotations

import base64
import json

import pytest

from server.documents.payloads import doc_body
from server.documents.qr import QrKey, QrSigner, encode_body, parse
from server.domain.terbilang import terbilang
from tests.documents.conftest import TODAY, TRANSFER_FEE, Printed
from tests.documents.helpers import pdf_qr_codes, pdf_text
from tests.support.api import login

PERIOD = {"savings_type": "sukarela", "period_start": "2020-01-01", "period_end": TODAY.isoformat()}


def _body(payload: str) -> dict:
    part = payload.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _verify(p: Printed, payload: str, username: str = "petugas1") -> dict:
    response = login(p.url, username).http.post("/api/qr/verify", json={"payload": payload})
    assert response.status_code == 200, response.text
    return response.json()


def _sukarela_opening(session) -> dict:
    """Member 1's opening sukarela deposit (Rp625.000), verified by the demo loader."""
    items = session.get("/api/deposits", member_id=1, page_size=50).json()["items"]
    return next(d for d in items if d["savings_type"] == "sukarela" and d["amount"] == 625_000)


def test_deposit_slip_names_member_code_amount_in_words_and_its_qr_is_asli(printed: Printed) -> None:
    member = login(printed.url, "anggota01")
    deposit = _sukarela_opening(member)
    response = member.get(f"/api/documents/deposits/{deposit['id']}/slip")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/pdf")
    text = pdf_text(response.content)
    for expected in (
        "Slip Setoran Simpanan",
        "Budi Santoso",
        "A0001",
        deposit["code"],
        "Rp625.000",
        "enam ratus dua puluh lima ribu rupiah",
        "Koperasi Karyawan Sejahtera Bersama",  # the demo's branding row
    ):
        assert expected in text, expected
    [payload] = pdf_qr_codes(response.content)
    body = _body(payload)
    assert body["t"] == "doc" and body["d"] == "setoran" and body["c"] == deposit["code"] and body["a"] == 625_000
    ledger = {e["data"]["ref_code"]: e["data"]["hash"] for e in member.pull_all() if e["entity"] == "ledger_entry"}
    assert body["h"] == ledger[deposit["code"]] and body["h"] in text.replace("\n", "")
    verdict = _verify(printed, payload)
    assert verdict["verdict"] == "Asli" and verdict["valid"] and verdict["code"] == deposit["code"]
    assert verdict["status"] == "verified"  # petugas1 serves the member's location


def test_a_slip_qr_with_a_changed_amount_or_another_key_or_a_wrong_hash_reads_tidak_cocok(printed: Printed) -> None:
    member = login(printed.url, "anggota01")
    deposit = _sukarela_opening(member)
    [payload] = pdf_qr_codes(member.get(f"/api/documents/deposits/{deposit['id']}/slip").content)
    head, _, sig = payload.split(".")
    forged = f"{head}.{encode_body({**_body(payload), 'a': 6_250_000})}.{sig}"
    assert _verify(printed, forged) | {} == {
        **_verify(printed, forged),
        "verdict": "Tidak cocok",
        "reason": "qr_bad_signature",
    }
    other = QrSigner("a-different-cooperative-secret-0123456789-abcdef").sign(_body(payload))
    assert _verify(printed, other)["reason"] == "qr_unknown_key"
    # even a payload signed with the real key (as if it leaked) must match the ledger
    leaked = QrSigner(printed.server.settings.signing_key())
    wrong_hash = leaked.sign(doc_body("setoran", deposit["code"], "0" * 64, 625_000, "A0001", TODAY.isoformat()))
    assert _verify(printed, wrong_hash) | {} == {
        **_verify(printed, wrong_hash),
        "verdict": "Tidak cocok",
        "reason": "hash_mismatch",
    }
    unknown = leaked.sign(doc_body("setoran", "STR-0000-999999", "", 625_000, "A0001", TODAY.isoformat()))
    assert _verify(printed, unknown)["reason"] == "record_not_found"
    assert _verify(printed, "bukan kode kami")["verdict"] == "Tidak cocok"


def test_withdrawal_slip_shows_the_transfer_fee_and_what_the_member_receives(printed: Printed) -> None:
    member = login(printed.url, "anggota01")
    response = member.get(f"/api/documents/withdrawals/{printed.withdrawal_id}/slip")
    assert response.status_code == 200
    text = pdf_text(response.content)
    for expected in (
        "Slip Penarikan Simpanan",
        "Rp200.000",
        terbilang(200_000),
        "Biaya transfer",
        "Rp6.500",
        "Diterima anggota",
        "Rp193.500",
        "BRI 0021010001",
    ):
        assert expected in text, expected
    [payload] = pdf_qr_codes(response.content)
    assert _body(payload)["d"] == "penarikan" and len(_body(payload)["h"]) == 64
    assert _verify(printed, payload, "pengurus1")["verdict"] == "Asli"


def test_savings_statement_lists_the_period_and_its_qr_rests_on_the_last_entry(printed: Printed) -> None:
    member = login(printed.url, "anggota01")
    card = member.get("/api/savings-card", **PERIOD).json()
    response = member.get("/api/documents/savings-statement", **PERIOD)
    assert response.status_code == 200
    text = pdf_text(response.content)
    closing = f"Rp{card['closing_balance']:,}".replace(",", ".")
    for expected in (
        "Kartu Simpanan",
        "Budi Santoso",
        "Simpanan Sukarela",
        closing,
        terbilang(card["closing_balance"]),
    ):
        assert expected in text, expected
    for line in card["lines"]:
        assert line["ref_code"] in text
    [payload] = pdf_qr_codes(response.content)
    assert _body(payload)["a"] == card["closing_balance"] and _body(payload)["d"] == "kartu_simpanan"
    assert _verify(printed, payload, "anggota01")["verdict"] == "Asli"


def test_loan_statement_shows_schedule_admin_fee_and_net_amount(printed: Printed) -> None:
    borrower = login(printed.url, "anggota04")
    detail = borrower.get(f"/api/loans/{printed.loan_id}").json()
    response = borrower.get(f"/api/documents/loans/{printed.loan_id}/statement")
    assert response.status_code == 200
    text = pdf_text(response.content)
    for expected in (
        detail["loan"]["code"],
        "Dewi Lestari",
        "Pinjaman Umum",
        "Rp6.000.000",
        "Biaya administrasi",
        "Rp60.000",
        "Rp5.940.000",
        "Jadwal angsuran",
        "Riwayat pembayaran",
        terbilang(6_000_000),
    ):
        assert expected in text, expected
    for inst in detail["installments"]:
        assert "-".join(reversed(inst["due_date"].split("-"))) in text  # printed DD-MM-YYYY
    [payload] = pdf_qr_codes(response.content)
    assert _verify(printed, payload, "admin")["verdict"] == "Asli"


def test_officer_daily_cash_report_lists_the_cash_collected_today(printed: Printed) -> None:
    officer = login(printed.url, "petugas1")
    response = officer.get("/api/documents/cash-report")
    assert response.status_code == 200
    text = pdf_text(response.content)
    cash = next(d for d in officer.get("/api/cash-in-hand").json()["items"] if d["id"] == printed.cash_deposit_id)
    for expected in (
        "Laporan Kas Harian Petugas",
        "Rudi Hartono",
        cash["code"],
        "Siti Rahayu",
        "Rp175.000",
        "Belum diverifikasi",
    ):
        assert expected in text, expected
    [payload] = pdf_qr_codes(response.content)
    assert _verify(printed, payload, "pengurus1")["verdict"] == "Asli"
    board = login(printed.url, "pengurus1").get("/api/documents/cash-report", officer_id=101)
    assert board.status_code == 200 and cash["code"] in pdf_text(board.content)


# --- who may fetch which document -------------------------------------------------------------------

ROLES = ("anggota01", "anggota02", "petugas1", "petugas3", "pengurus1", "admin")


@pytest.mark.parametrize(
    "username,allowed",
    [
        ("anggota01", True),
        ("anggota02", False),
        ("petugas1", True),
        ("petugas3", False),
        ("pengurus1", True),
        ("admin", True),
    ],
)
def test_member_documents_follow_the_access_policy(printed: Printed, username: str, allowed: bool) -> None:
    owner = login(printed.url, "anggota01")
    deposit = _sukarela_opening(owner)
    caller = login(printed.url, username)
    statement_args = {**PERIOD, "member_id": 1}
    answers = [
        caller.get(f"/api/documents/deposits/{deposit['id']}/slip"),
        caller.get(f"/api/documents/withdrawals/{printed.withdrawal_id}/slip"),
        caller.get("/api/documents/savings-statement", **statement_args),
        caller.get("/api/qr/member-card", member_id=1),
    ]
    for response in answers:
        if allowed:
            assert response.status_code == 200, (username, response.request.url, response.text)
        else:  # another member's record is answered like an unknown one
            assert response.status_code == 404 and response.json()["code"].endswith("not_found"), response.text


@pytest.mark.parametrize(
    "username,status",
    [
        ("anggota04", 200),
        ("anggota01", 404),
        ("petugas1", 200),
        ("petugas3", 404),
        ("pengurus1", 200),
        ("admin", 200),
    ],
)
def test_loan_statement_follows_the_access_policy(printed: Printed, username: str, status: int) -> None:
    response = login(printed.url, username).get(f"/api/documents/loans/{printed.loan_id}/statement")
    assert response.status_code == status, response.text


@pytest.mark.parametrize(
    "username,own,other",
    [
        ("anggota01", 403, 403),
        ("petugas1", 200, 404),
        ("pengurus1", 200, 200),
        ("admin", 200, 200),
    ],
)
def test_cash_report_is_for_officers_own_and_for_the_board_any(
    printed: Printed, username: str, own: int, other: int
) -> None:
    caller = login(printed.url, username)
    assert caller.get("/api/documents/cash-report").status_code == own
    answer = caller.get("/api/documents/cash-report", officer_id=103)
    assert answer.status_code == other
    if other >= 400:
        assert answer.json()["code"] in ("role_not_allowed", "officer_not_found")


@pytest.mark.parametrize("username", ["anggota01", "petugas3", "pengurus1", "admin"])
def test_every_role_may_verify_but_only_who_may_see_the_record_learns_its_status(
    printed: Printed, username: str
) -> None:
    owner = login(printed.url, "anggota01")
    deposit = _sukarela_opening(owner)
    [payload] = pdf_qr_codes(owner.get(f"/api/documents/deposits/{deposit['id']}/slip").content)
    verdict = _verify(printed, payload, username)
    assert verdict["verdict"] == "Asli"
    assert verdict["status"] == (None if username == "petugas3" else "verified")


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({}, 422, "invalid_request"),
        ({"payload": ""}, 422, "invalid_request"),
        ({"payload": 5}, 422, "invalid_request"),
        ({"payload": "x" * 2001}, 422, "invalid_request"),
        ({"payload": "LMB1.a.b", "extra": 1}, 422, "invalid_request"),
    ],
)
def test_verify_refuses_bad_input_with_a_stable_code(printed: Printed, body: dict, status: int, code: str) -> None:
    response = login(printed.url, "petugas1").http.post("/api/qr/verify", json=body)
    assert response.status_code == status and response.json()["code"] == code


@pytest.mark.parametrize("payload", ["LMB1.A", "LMB1.AAAAA", "LMB1.AAAAA.abc"])
def test_a_payload_no_encoder_writes_is_tidak_cocok_not_a_500(printed: Printed, payload: str) -> None:
    verdict = _verify(printed, payload, "anggota01")
    assert (verdict["verdict"], verdict["valid"], verdict["reason"]) == ("Tidak cocok", False, "qr_malformed")


@pytest.mark.parametrize(
    "path,params,code",
    [
        ("/api/documents/savings-statement", {**PERIOD, "period_start": "2026-13-01"}, "invalid_date"),
        ("/api/documents/savings-statement", {**PERIOD, "period_start": "2030-01-01"}, "invalid_period"),
        ("/api/documents/savings-statement", {**PERIOD, "savings_type": "emas"}, "savings_type_not_found"),
        ("/api/documents/deposits/nope/slip", {}, "deposit_not_found"),
        ("/api/documents/withdrawals/nope/slip", {}, "withdrawal_not_found"),
        ("/api/documents/loans/nope/statement", {}, "loan_not_found"),
    ],
)
def test_documents_refuse_bad_input_with_a_stable_code(printed: Printed, path: str, params: dict, code: str) -> None:
    response = login(printed.url, "anggota01").get(path, **params)
    assert 400 <= response.status_code < 500 and response.json()["code"] == code


# --- member card and Setoran request (QR transactions) -----------------------------------------------


def test_member_card_verifies_offline_with_the_key_the_feed_published(printed: Printed) -> None:
    officer = login(printed.url, "petugas1")
    keys = [c["data"] for c in officer.pull_all() if c["entity"] == "qr_key"]
    assert keys, "the verification key is in the feed"
    key = QrKey(**keys[-1])
    card = login(printed.url, "anggota01").get("/api/qr/member-card").json()
    assert card["svg"].startswith("<svg")
    parsed = parse(card["payload"], {key.kid: key})  # no network needed from here
    assert (
        parsed.signed and parsed.body["n"] == "A0001" and parsed.body["m"] == 1 and parsed.body["nm"] == "Budi Santoso"
    )
    assert _verify(printed, card["payload"])["verdict"] == "Asli"
    head, _, sig = card["payload"].split(".")
    renamed = f"{head}.{encode_body({**parsed.body, 'n': 'A0002', 'm': 2})}.{sig}"
    assert _verify(printed, renamed)["verdict"] == "Tidak cocok"


@pytest.mark.parametrize(
    "username,member_id,status",
    [
        ("anggota01", None, 200),
        ("anggota01", 2, 404),
        ("petugas1", 1, 200),
        ("petugas3", 1, 404),
        ("pengurus1", 1, 200),
        ("admin", 1, 200),
    ],
)
def test_setoran_request_qr_per_role(printed: Printed, username: str, member_id: int | None, status: int) -> None:
    body = {"savings_type": "sukarela", "amount": 150_000, **({"member_id": member_id} if member_id else {})}
    response = login(printed.url, username).http.post("/api/qr/setoran", json=body)
    assert response.status_code == status, response.text
    if status == 200:
        payload = response.json()["payload"]
        assert _body(payload) | {} == {**_body(payload), "t": "setoran", "n": "A0001", "s": "sukarela", "a": 150_000}
        assert _verify(printed, payload)["verdict"] == "Asli"


@pytest.mark.parametrize(
    "amount,expected",
    [(150_000, ("Asli", "unsigned_request")), (10**30, ("Tidak cocok", "qr_malformed"))]
    + [(bad, ("Tidak cocok", "qr_malformed")) for bad in (0, -5, 1.5, "150000", True)],
)
def test_an_unsigned_setoran_request_is_asli_only_with_an_amount_a_form_could_write(
    printed: Printed, amount: object, expected: tuple[str, str]
) -> None:
    """Review finding: a member's unsigned request (made offline, it only fills the officer's form)
    came back Asli whatever amount it claimed, 10^30 included."""
    body = {"t": "setoran", "m": 1, "n": "A0001", "s": "sukarela", "a": amount, "r": "x"}
    verdict = _verify(printed, f"LMB1.{encode_body(body)}")
    assert (verdict["verdict"], verdict["reason"]) == expected


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"savings_type": "sukarela", "amount": 10}, 422, "amount_out_of_range"),
        ({"savings_type": "sukarela", "amount": "150000"}, 422, "invalid_request"),
        ({"savings_type": "emas", "amount": 150_000}, 404, "savings_type_not_found"),
    ],
)
def test_setoran_request_refuses_bad_input(printed: Printed, body: dict, status: int, code: str) -> None:
    response = login(printed.url, "anggota01").http.post("/api/qr/setoran", json=body)
    assert response.status_code == status and response.json()["code"] == code


# --- fees shown before confirming ------------------------------------------------------------------


@pytest.mark.parametrize("username", ["anggota01", "petugas1", "pengurus1", "admin"])
def test_withdrawal_fee_preview_for_every_role(printed: Printed, username: str) -> None:
    caller = login(printed.url, username)
    transfer = caller.get("/api/fees/withdrawal", amount=200_000, method="transfer").json()
    assert transfer == {
        "amount": 200_000,
        "fee": TRANSFER_FEE,
        "received": 200_000 - TRANSFER_FEE,
        "fee_label": "Biaya transfer",
    }
    assert caller.get("/api/fees/withdrawal", amount=200_000, method="tunai").json()["fee"] == 0
    bad = caller.get("/api/fees/withdrawal", amount=200_000, method="cek")
    assert bad.status_code == 422 and bad.json()["code"] == "method_invalid"
    assert caller.get("/api/fees/withdrawal", amount=0, method="tunai").json()["code"] == "amount_out_of_range"


def test_loan_simulation_shows_the_admin_fee_and_what_is_disbursed(printed: Printed) -> None:
    simulation = (
        login(printed.url, "anggota04").get("/api/loans/simulate", product_id=1, amount=6_000_000, tenor=6).json()
    )
    assert simulation["admin_fee"] == 60_000 and simulation["disbursed_amount"] == 5_940_000


def test_admin_fee_is_posted_to_the_ledger_at_disbursement_and_the_ledger_verifies(printed: Printed) -> None:
    borrower = login(printed.url, "anggota04")
    entries = [c["data"] for c in borrower.pull_all() if c["entity"] == "ledger_entry"]
    fees = [e for e in entries if e["kind"] == "loan_admin_fee"]
    assert len(fees) == 1
    fee = fees[0]
    assert (
        fee["savings_type"] == f"biaya_admin:{printed.loan_id}"
        and fee["amount"] == 60_000
        and fee["balance_after"] == 60_000
    )
    disbursement = next(e for e in entries if e["kind"] == "loan_disbursement" and e["ref_id"] == printed.loan_id)
    assert (
        disbursement["amount"] == 6_000_000
        and fee["seq"] == disbursement["seq"] + 1
        and fee["prev_hash"] == disbursement["hash"]
    )
    check = login(printed.url, "pengurus1").get("/api/ledger/verify").json()
    assert check["ok"] is True and check["mismatched_accounts"] == []
    dashboard = borrower.get("/api/dashboard").json()
    assert next(x for x in dashboard["active_loans"] if x["id"] == printed.loan_id)["outstanding"] == 6_000_000
