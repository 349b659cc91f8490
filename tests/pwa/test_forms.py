"""Bad input in the UI gives a clear message next to the field and queues nothing; the loan wizard
computes the shared vectors' schedule on the device, offline."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from server.domain.schedule import due_date
from tests.support.api import login as api_login

from .helpers import app_requests, go_offline, login, outbox
from .test_member_offline import tiny_png

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "loan_schedules.json").read_text())


def error_of(page: Page, field: str) -> str:
    return page.locator(f"#{field}-err").inner_text()


def test_deposit_form_refuses_bad_amounts_and_bad_proofs_next_to_the_field(page: Page, context) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota06")
    context.set_offline(True)
    page.goto("/#/setoran")
    page.click("#add-deposit")
    page.select_option("#bank_account_id", "1")
    page.fill("#sender_bank", "BCA")
    page.fill("#account_holder", "Fitri")
    cases = {"0": "lebih dari nol", "abc": "", "200000000": "Rp100.000.000", "500": "Rp1.000"}
    for typed, expected in cases.items():
        page.fill("#amount", typed)
        page.click("#save-deposit")
        expect(page.locator("#amount-err")).to_contain_text(expected, ignore_case=True)
    page.locator("#amount").fill("")
    page.locator("#amount").press_sequentially("-5000")
    expect(page.locator("#amount")).to_have_value("5.000")  # a sign can never be typed
    page.click("#save-deposit")
    expect(page.locator("#proof-err")).to_contain_text("Unggah bukti")
    page.set_input_files("#proof-file", files=[{"name": "x.gif", "mimeType": "image/gif", "buffer": b"GIF89a...."}])
    page.click("#save-deposit")
    expect(page.locator("#proof-err")).to_contain_text("JPG/PNG atau PDF")
    big = tiny_png() + b"\0" * (5 * 1024 * 1024)
    page.set_input_files("#proof-file", files=[{"name": "besar.png", "mimeType": "image/png", "buffer": big}])
    page.click("#save-deposit")
    expect(page.locator("#proof-err")).to_contain_text("maksimal 5 MB")
    page.set_input_files(
        "#proof-file", files=[{"name": "palsu.png", "mimeType": "image/png", "buffer": b"not a png at all"}]
    )
    expect(page.locator("#proof-name")).to_have_text("palsu.png")
    page.click("#save-deposit")
    expect(page.locator("#proof-err")).to_contain_text("tidak sesuai")
    assert outbox(page) == []
    # Input accepted once everything is right.
    page.set_input_files("#proof-file", files=[{"name": "ok.png", "mimeType": "image/png", "buffer": tiny_png()}])
    expect(page.locator("#proof-name")).to_have_text("ok.png")
    page.click("#save-deposit")
    expect(page.locator("#saved")).to_contain_text("tersimpan")
    assert len(outbox(page)) == 1


def test_withdrawal_over_limit_or_balance_is_refused_before_queueing(page: Page, context) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota07")
    context.set_offline(True)
    page.goto("/#/penarikan")
    page.click("#add-withdrawal")
    page.select_option("#method", "tunai")
    page.fill("#amount", "5000")
    page.click("#save-withdrawal")
    expect(page.locator("#amount-err")).to_contain_text("Rp10.000")
    page.fill("#amount", "1500000")  # sukarela is Rp1.375.000
    page.click("#save-withdrawal")
    expect(page.locator("#amount-err")).to_contain_text("Saldo tersedia")
    page.select_option("#method", "transfer")
    page.fill("#amount", "100000")
    page.click("#save-withdrawal")
    expect(page.locator("#bank_name-err")).to_be_visible()
    expect(page.locator("#account_number-err")).to_be_visible()
    assert outbox(page) == []


def test_loan_tenor_past_retirement_is_shown_at_the_field_and_nothing_is_queued(page: Page, context, pwa) -> None:  # type: ignore[no-untyped-def]
    admin = api_login(pwa.url, "admin")
    r = admin.http.put(
        "/api/admin/members/2/payroll-profile",
        json={"plafon": 5_000_000, "birth_date": "1971-01-10", "category": "karyawan", "voluntary_deduction": 0},
    )
    assert r.status_code == 200, r.text
    admin.close()
    login(page, "anggota02")
    context.set_offline(True)
    page.goto("/#/pinjaman/baru")
    page.click("#next-1")
    page.fill("#amount", "2000000")
    page.fill("#tenor", "12")
    page.click("#simulate")
    expect(page.locator("#loan-checks li[data-code=tenor_past_retirement]")).to_have_class("bad")
    expect(page.locator("#tenor-err")).to_contain_text("pensiun", ignore_case=True)
    page.click("#next-2")
    expect(page.locator("#summary")).to_have_count(0)
    assert outbox(page) == []


def test_loan_wizard_shows_the_shared_vector_schedule_offline(page: Page, context, pwa) -> None:  # type: ignore[no-untyped-def]
    vector = next(v for v in VECTORS if v["name"] == "efektif_10m_12pct_6_half_up_100")  # demo product 1's terms
    login(page, "anggota08")
    before = go_offline(page, context, pwa)
    page.goto("/#/pinjaman/baru")
    page.select_option("#product_id", "1")
    page.click("#next-1")
    page.fill("#amount", "10.000.000")
    page.fill("#tenor", str(vector["terms"]["tenor"]))
    page.click("#next-2")
    rows = page.locator("#summary-schedule tbody tr")
    expect(rows).to_have_count(len(vector["expected"]["installments"]))
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()
    months = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ]
    for n, want in enumerate(vector["expected"]["installments"]):
        row = rows.nth(n)
        due = due_date(today, want["number"])
        rp = lambda v: "Rp" + f"{v:,}".replace(",", ".")  # noqa: E731
        shown = [
            row.locator("td").first.inner_text(),
            row.locator(".due").inner_text(),
            row.locator(".inst-principal").inner_text(),
            row.locator(".inst-interest").inner_text(),
            row.locator(".inst-amount").inner_text(),
            row.locator(".inst-remaining").inner_text(),
        ]
        assert shown == [
            str(want["number"]),
            f"{due.day} {months[due.month - 1]} {due.year}",
            rp(want["principal"]),
            rp(want["interest"]),
            rp(want["amount"]),
            rp(want["remaining"]),
        ]
    page.fill("#bank_name", "BNI")
    page.fill("#account_number", "0099887766")
    page.fill("#account_holder", "Indah")
    page.click("#submit-loan")
    expect(page.locator("#saved")).to_contain_text("tersimpan")
    assert [i["name"] for i in outbox(page)] == ["loan.apply"]
    assert app_requests(pwa.hits.paths[before:]) == []
    assert httpx.get(pwa.url + "/api/health").status_code == 200
