"""Loans end to end through the protocol: apply (queued offline on the device) -> sync -> approve ->
disburse -> payroll export -> import (twice) -> the dashboard shows the paid installment and the new
sisa plafon; the ledger verifies throughout."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import httpx

from client_sync import SyncClient
from server.domain.models import COOP_TZ
from server.protocol import LoanApply, LoanApprove, LoanDisburse, LoanRepay
from tests.support.api import DEMO_PASSWORD, login

TODAY = dt.datetime.now(COOP_TZ).date()


def _apply_op(member_id: int, **overrides) -> LoanApply:
    args = dict(
        loan_id=str(uuid.uuid4()),
        member_id=member_id,
        product_id=1,
        purpose="Pendidikan",
        amount=6_000_000,
        tenor=6,
        requested_disbursement_date=TODAY,
        location_id=1,
        disbursement_method="tunai",
    )
    args.update(overrides)
    return LoanApply(**args)


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def test_loan_applied_offline_is_approved_disbursed_and_repaid_through_payroll(fresh_server, tmp_path: Path) -> None:
    device = SyncClient(tmp_path / "anggota04.db", fresh_server.url)
    device.login("anggota04", DEMO_PASSWORD)
    assert device.sync_once().ok
    dashboard_before = login(fresh_server.url, "anggota04").get("/api/dashboard").json()
    op = _apply_op(4)
    device.queue(op)  # queued locally; the server sees it on the next sync
    assert device.sync_once().ok and not device.rejected()

    board, officer = login(fresh_server.url, "pengurus1"), login(fresh_server.url, "petugas1")
    assert board.push_ops(LoanApprove(loan_id=op.loan_id))[0]["status"] == "applied"
    assert officer.push_ops(LoanDisburse(loan_id=op.loan_id, disbursement_date=TODAY))[0]["status"] == "applied"

    detail = board.get(f"/api/loans/{op.loan_id}").json()
    assert detail["loan"]["status"] == "active" and detail["status_label"] == "Aktif"
    first = detail["installments"][0]
    assert sum(i["principal"] for i in detail["installments"]) == 6_000_000

    month = first["due_date"][:7]
    export = board.http.post(f"/api/payroll/{month}/export")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = export.text.strip().splitlines()
    assert lines[0] == "line_id,bulan,no_anggota,nama,jenis,referensi,jumlah"
    result = "\r\n".join([lines[0] + ",status"] + [line + ",lunas" for line in lines[1:]]) + "\r\n"
    first_import = board.http.post(f"/api/payroll/{month}/import", content=result.encode()).json()
    assert first_import["problems"] == [] and first_import["posted"] == len(lines) - 1
    again = board.http.post(f"/api/payroll/{month}/import", content=result.encode()).json()
    assert again["posted"] == 0 and again["unchanged"] == len(lines) - 1

    member_view = login(fresh_server.url, "anggota04")
    dashboard = member_view.get("/api/dashboard").json()
    loan = next(x for x in dashboard["active_loans"] if x["id"] == op.loan_id)
    assert loan["installments_paid"] == 1 and loan["outstanding"] == 6_000_000 - first["principal"]
    parts = dashboard["plafon_parts"]
    assert parts["remaining"] == parts["plafon"] - parts["active_installments"] - parts["voluntary_deduction"]
    assert dashboard["sisa_plafon"] == dashboard_before["sisa_plafon"] - detail["loan"]["monthly_installment"]
    assert board.get("/api/ledger/verify").json()["ok"] is True

    assert device.sync_once().ok
    assert [v.status for v in device.loans(4) if v.id == op.loan_id] == ["active"]


def test_payroll_line_that_does_not_match_is_reported_and_not_posted(fresh_server) -> None:
    board = login(fresh_server.url, "pengurus1")
    month = _month(TODAY)
    lines = board.http.post(f"/api/payroll/{month}/export").text.strip().splitlines()
    header, first, second = lines[0], lines[1], lines[2]
    tampered = first.rsplit(",", 1)[0] + ",999999"
    body = f"{header},status\r\n{tampered},lunas\r\n{second},lunas\r\n"
    report = board.http.post(f"/api/payroll/{month}/import", content=body.encode()).json()
    assert report["posted"] == 1
    assert [(p["line_number"], p["code"]) for p in report["problems"]] == [(2, "amount_mismatch")]


def test_bad_loan_applications_are_refused_with_reasons(fresh_server) -> None:
    member = login(fresh_server.url, "anggota06")
    results = member.push_ops(
        _apply_op(6, amount=500_000_000),  # over the product's maximum
        _apply_op(6, product_id=99),  # unknown product
        _apply_op(7),  # for someone else
    )
    assert [(r["status"], r["code"]) for r in results] == [
        ("rejected", "amount_out_of_range"),
        ("rejected", "product_not_found"),
        ("rejected", "not_owner"),
    ]
    zero_tenor = member.http.post(
        "/api/sync/push",
        json={
            "client_id": member.client_id,
            "mutations": [
                {
                    "id": member.next_id,
                    "uuid": str(uuid.uuid4()),
                    "user_id": member.user["id"],
                    "op": {**_plain(_apply_op(6)), "tenor": 0},
                }
            ],
        },
    )
    assert zero_tenor.status_code == 422 and zero_tenor.json()["code"] == "invalid_request"
    assert member.get("/api/loans").json() == []


def test_officer_cash_repayment_and_overpayment(fresh_server) -> None:
    member, board, officer = (login(fresh_server.url, u) for u in ("anggota02", "pengurus1", "petugas1"))
    op = _apply_op(2, amount=3_000_000, tenor=3)
    assert member.push_ops(op)[0]["status"] == "applied"
    board.push_ops(LoanApprove(loan_id=op.loan_id))
    officer.push_ops(LoanDisburse(loan_id=op.loan_id, disbursement_date=TODAY))
    total = sum(i["amount"] for i in board.get(f"/api/loans/{op.loan_id}").json()["installments"])
    over, paid = officer.push_ops(
        LoanRepay(repayment_id=str(uuid.uuid4()), loan_id=op.loan_id, amount=total + 1),
        LoanRepay(repayment_id=str(uuid.uuid4()), loan_id=op.loan_id, amount=total),
    )
    assert (over["status"], over["code"]) == ("rejected", "repayment_exceeds_due")
    assert paid["status"] == "applied"
    assert board.get(f"/api/loans/{op.loan_id}").json()["loan"]["status"] == "paid_off"
    assert httpx.get(f"{fresh_server.url}/api/health").status_code == 200
    assert board.get("/api/ledger/verify").json()["ok"] is True


def _plain(op: LoanApply) -> dict:
    import msgspec

    return msgspec.to_builtins(op) | {"name": "loan.apply"}
