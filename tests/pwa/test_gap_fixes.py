"""Gaps a product review found against the member guide, each tried in Chromium against the real server:
a loan product with no preset purposes (any purpose, typed), a PDF proof the officer must be able
to open, a cancel that asks before it is queued, the highest deduction change accepted, and what is
paid of each installment."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from server.protocol import LoanApprove, LoanDisburse, LoanRepay
from tests.support.api import login as api_login

from .conftest import wait_for
from .helpers import login, outbox, pending
from .test_officer import _loan
from .test_sync_faults import queue_withdrawal, server_rows

FREE_PURPOSE_PRODUCT = {
    "id": 99,
    "name": "Pinjaman Bebas",
    "purposes": [],  # the admin's form: empty = any purpose
    "method": "flat",
    "annual_rate_bp": 1200,
    "min_amount": 500_000,
    "max_amount": 10_000_000,
    "min_tenor": 1,
    "max_tenor": 12,
    "admin_fee_bp": 0,
    "admin_fee_flat": 0,
    "rounding_mode": "half_up",
    "rounding_multiple": 1,
    "active": True,
}

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_a_product_with_no_preset_purposes_takes_a_typed_purpose_and_the_loan_is_applied(page: Page, pwa) -> None:  # type: ignore[no-untyped-def]
    """Before: Tujuan Pinjaman was a select of the product's purposes, empty here, so the member could
    never pass the rule "Tujuan pinjaman wajib diisi." for a product that allows any purpose."""
    admin = api_login(pwa.url, "admin")
    assert admin.http.put("/api/admin/loan-products/99", json=FREE_PURPOSE_PRODUCT).status_code in (200, 201)
    admin.close()
    login(page, "anggota08")
    page.goto("/#/pinjaman/baru")
    expect(page.locator("#product_id option", has_text="Pinjaman Bebas")).to_have_count(1, timeout=15000)
    page.select_option("#product_id", label="Pinjaman Bebas")
    page.click("#next-1")  # nothing typed: refused at the field, still step 1
    expect(page.locator("#purpose-err")).to_have_text("Tujuan pinjaman wajib diisi.")
    page.fill("#purpose", "Modal warung sembako")
    page.click("#next-1")
    page.fill("#amount", "1.000.000")
    page.fill("#tenor", "6")
    page.click("#simulate")
    expect(page.locator("#loan-checks li[data-code=purpose_unknown]")).to_have_class("ok")
    page.click("#next-2")
    expect(page.locator("#summary")).to_contain_text("Modal warung sembako")
    page.fill("#bank_name", "BNI")
    page.fill("#account_number", "0099887766")
    page.fill("#account_holder", "Indah")
    page.click("#submit-loan")
    expect(page.locator("#saved")).to_contain_text("tersimpan")
    wait_for(lambda: pending(page) == 0, timeout=20, page=page)
    member = api_login(pwa.url, "anggota08")
    loans = member.get("/api/loans").json()  # a list of the member's loans
    member.close()
    assert [(x["product_id"], x["purpose"], x["status"]) for x in loans if x["product_id"] == 99] == [
        (99, "Modal warung sembako", "submitted")
    ]


def test_an_officer_opens_a_pdf_proof_as_a_link_not_a_broken_image(page: Page, browser, pwa) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota01")
    page.goto("/#/setoran")
    page.click("#add-deposit")
    page.select_option("#bank_account_id", "1")
    page.fill("#amount", "123000")
    page.fill("#sender_bank", "BCA")
    page.fill("#account_holder", "Budi Santoso")
    page.set_input_files("#proof-file", files=[{"name": "bukti.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("#save-deposit")
    expect(page.locator("#saved")).to_contain_text("tersimpan")
    page.goto("/#/setoran")
    mine = page.locator("#deposit-list .tx", has_text="Rp123.000")
    expect(mine.locator("strong")).to_contain_text("STR-", timeout=20000)
    code = mine.locator("strong").inner_text()
    context = browser.new_context(base_url=pwa.url, viewport={"width": 360, "height": 800}, bypass_csp=True)
    officer = context.new_page()
    try:
        login(officer, "petugas1")
        officer.goto("/#/verifikasi")
        row = officer.locator("#verify-deposits .tx", has_text=code)
        row.locator("text=Lihat Bukti").click()
        link = row.locator("a.proof-pdf")
        expect(link).to_have_text("Buka Bukti (PDF)")
        expect(row.locator("img.proof")).to_have_count(0)
        href = link.get_attribute("href") or ""
        assert href.startswith("blob:")
        fetched = officer.evaluate(
            "async (u) => { const b = await (await fetch(u)).blob(); return [b.type, b.size]; }", href
        )
        assert fetched == ["application/pdf", len(PDF)]
    finally:
        context.close()


def test_cancelling_a_withdrawal_asks_first_and_only_yes_queues_the_cancel(page: Page, pwa) -> None:  # type: ignore[no-untyped-def]
    """Before: Aksi → Batalkan queued the irreversible cancel on one tap. Now it asks, in place."""
    login(page, "anggota07")
    queue_withdrawal(page, "35.000")
    wait_for(lambda: pending(page) == 0, timeout=20, page=page)
    page.goto("/#/penarikan")
    row = page.locator("#withdrawal-list .tx", has_text="Rp35.000")
    expect(row.locator("strong")).to_contain_text("PNR-", timeout=15000)
    row.locator("summary", has_text="Aksi").click()
    row.locator("button", has_text="Batalkan").click()
    expect(row.locator(".confirm-q")).to_contain_text("Batalkan PNR-")
    expect(row.locator(".confirm-q")).to_contain_text("Rp35.000")
    row.locator(".confirm-no").click()  # "Batal": nothing is queued
    assert [i["name"] for i in outbox(page) if i["name"] == "withdrawal.cancel"] == []
    row.locator("button", has_text="Batalkan").click()
    row.locator(".confirm-yes").click()
    wait_for(
        lambda: [i["name"] for i in outbox(page) if i["name"] == "withdrawal.cancel"] == ["withdrawal.cancel"],
        page=page,
    )
    wait_for(lambda: pending(page) == 0, timeout=20, page=page)
    assert [w["status"] for w in server_rows(pwa, "/api/withdrawals", 7) if w["amount"] == 35_000] == ["cancelled"]


def _rupiah_value(text: str) -> int:
    return int(text.replace("Rp", "").replace(".", "").strip())


def test_the_deduction_change_shows_the_highest_amount_it_accepts_and_a_queued_one_its_current_amount(  # type: ignore[no-untyped-def]
    page: Page, context, pwa
) -> None:
    """Before: the form showed the sisa plafon yet accepted more (the new amount replaces the current
    deduction), and a queued change was listed as "Rp0 → …"."""
    login(page, "anggota01")
    page.goto("/#/perubahan-setoran/baru")
    facts = page.locator("dl.facts dd")
    expect(page.locator("#ded-max")).not_to_have_text("–", timeout=15000)
    current, sisa = _rupiah_value(facts.nth(0).inner_text()), _rupiah_value(facts.nth(1).inner_text())
    highest = _rupiah_value(page.locator("#ded-max").inner_text())
    assert highest == sisa + current and current > 0
    context.set_offline(True)
    page.fill("#new_amount", f"{highest + 1:,}".replace(",", "."))
    page.click("button[type=submit]")
    expect(page.locator("#new_amount-err")).to_be_visible()
    page.fill("#new_amount", f"{highest:,}".replace(",", "."))
    page.click("button[type=submit]")
    expect(page.locator("#saved")).to_be_visible()
    page.goto("/#/perubahan-setoran")
    rp = lambda n: f"Rp{n:,}".replace(",", ".")  # noqa: E731
    expect(page.locator(".tx-list .tx strong").first).to_have_text(f"{rp(current)} → {rp(highest)}")
    context.set_offline(False)
    wait_for(lambda: pending(page) == 0, timeout=20, page=page)
    member = api_login(pwa.url, "anggota01")
    changes = member.get("/api/deduction-changes").json()
    member.close()
    assert [(c["current_amount"], c["new_amount"]) for c in changes if c["status"] == "submitted"] == [
        (current, highest)
    ]


def test_lihat_angsuran_shows_what_is_paid_of_each_installment(page: Page, pwa) -> None:  # type: ignore[no-untyped-def]
    """Before: the disbursed loan's schedule listed the installments without saying which were paid."""
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    loan = _loan(16, today.isoformat())
    member = api_login(pwa.url, "anggota16")
    assert member.push_ops(loan)[0]["status"] == "applied"
    board = api_login(pwa.url, "pengurus1")
    assert board.push_ops(LoanApprove(loan_id=loan.loan_id))[0]["status"] == "applied"
    board.close()
    officer = api_login(pwa.url, "petugas3")
    assert officer.push_ops(LoanDisburse(loan_id=loan.loan_id, disbursement_date=today))[0]["status"] == "applied"
    first = member.get(f"/api/loans/{loan.loan_id}").json()["installments"][0]["amount"]
    paid = first + 50_000  # the first installment and part of the second
    repay = LoanRepay(repayment_id=str(uuid.uuid4()), loan_id=loan.loan_id, amount=paid)
    assert officer.push_ops(repay)[0]["status"] == "applied"
    officer.close()
    member.close()
    login(page, "anggota16")
    page.goto(f"/#/pinjaman/{loan.loan_id}")
    states = page.locator("#schedule .inst-paid")
    expect(states).to_have_count(3, timeout=15000)
    assert states.all_inner_texts() == ["Lunas", "Dibayar Rp50.000", "Belum dibayar"]
