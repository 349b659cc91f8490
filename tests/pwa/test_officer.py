"""Officer screens against the real server: reject with a reason, disburse a loan, take a cash installment."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from server.protocol import LoanApply, LoanApprove, WithdrawalCreate
from tests.support.api import login as api_login

from .conftest import wait_for
from .helpers import login, pending


def test_officer_rejects_with_reason_disburses_and_takes_a_cash_installment(page: Page, pwa) -> None:  # type: ignore[no-untyped-def]
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    loan_id, withdrawal_id = str(uuid.uuid4()), str(uuid.uuid4())
    member = api_login(pwa.url, "anggota16")
    results = member.push_ops(
        LoanApply(
            loan_id=loan_id,
            member_id=16,
            product_id=3,
            purpose="Kesehatan",
            amount=1_000_000,
            tenor=3,
            requested_disbursement_date=today,
            location_id=2,
            disbursement_method="tunai",
        ),
        WithdrawalCreate(
            withdrawal_id=withdrawal_id,
            member_id=16,
            savings_type="sukarela",
            amount=100_000,
            method="tunai",
            location_id=2,
        ),
    )
    assert [r["status"] for r in results] == ["applied", "applied"]
    board = api_login(pwa.url, "pengurus1")
    assert board.push_ops(LoanApprove(loan_id=loan_id))[0]["status"] == "applied"
    board.close()

    login(page, "petugas3")
    page.goto("/#/verifikasi")
    row = page.locator(f"#verify-withdrawals .tx[data-id='{withdrawal_id}']")
    row.locator("text=Tolak").click()
    row.locator("text=Kirim Penolakan").click()
    expect(row.locator(".error")).to_contain_text("alasan")  # a reason is required, next to the field
    row.locator("input").fill("Nomor rekening tidak sesuai")
    row.locator("text=Kirim Penolakan").click()
    expect(page.locator(f"#verify-withdrawals .tx[data-id='{withdrawal_id}']")).to_have_count(0, timeout=15000)
    rejected = member.get("/api/withdrawals", q="PNR").json()["items"]
    assert [(w["status"], w["reason"]) for w in rejected if w["id"] == withdrawal_id] == [
        ("rejected", "Nomor rekening tidak sesuai")
    ]

    page.goto("/#/pencairan")
    loan_row = page.locator(".tx", has_text="Rp1.000.000")
    loan_row.locator("text=Cairkan Hari Ini").click()
    expect(loan_row.locator("text=Terima Angsuran")).to_be_visible(timeout=15000)
    loan_row.locator("input").fill("100000")
    loan_row.locator("text=Terima Angsuran").click()
    wait_for(lambda: pending(page) == 0, timeout=15, page=page)
    detail = member.get(f"/api/loans/{loan_id}").json()
    assert detail["loan"]["status"] == "active"
    assert [(r["amount"], r["source"]) for r in detail["repayments"]] == [(100_000, "tunai")]
    member.close()
