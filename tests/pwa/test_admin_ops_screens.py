"""Issue 10 items 1, 8, 9 in the PWA: the admin's Kesehatan Sistem (backup now, the backups list),
Laporan Masalah (a report filed through the API shows, its text as text), Produk Pinjaman (edit through
PUT) and Profil Potong Gaji; a member never reaches these screens. Screenshots at 360×800 into
$LUMBUNG_SCREENSHOTS (docs/screenshots) when set."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from server.protocol import DeviceSyncState, ReportCreate
from tests.support.api import login as api_login

from .helpers import login
from .test_admin_screens import shot

SCARY = "<img src=x onerror=alert(1)> Setoran saya tidak muncul"


def test_admin_sees_health_backs_up_now_reads_reports_and_edits_a_product_and_a_profile(
    page: Page, pwa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    member = api_login(pwa.url, "anggota01")
    report = ReportCreate(
        report_id=str(uuid.uuid4()),
        description=SCARY,
        app_version="lumbung-pwa-42",
        sync_state=DeviceSyncState(pending=2, rejected=1, error_codes=["insufficient_balance"]),
    )  # type: ignore[arg-type]
    assert member.push_ops(report)[0]["status"] == "applied"
    member.close()

    login(page, "admin")
    page.goto("/#/admin/kesehatan")
    expect(page.locator("#health")).to_be_visible()
    expect(page.locator("#last-backup")).to_have_text("Belum ada")
    expect(page.locator("#backup-overdue")).to_be_visible()
    page.click("#backup-now")
    expect(page.locator("#health .notice")).to_contain_text("Cadangan dibuat.", timeout=30000)
    expect(page.locator("#last-backup")).to_contain_text("baru saja")
    expect(page.locator("#backup-overdue")).to_have_count(0)
    expect(page.locator("#backup-list li")).to_have_count(1)
    expect(page.locator("#backup-list li").first).to_contain_text("Manual")
    expect(page.locator("#backup-list li").first).to_contain_text("Baik")
    shot(page, tmp_path, "admin-health")

    page.goto("/#/admin/laporan")
    item = page.locator("#report-list li").first
    expect(item).to_contain_text("anggota01")
    expect(item).to_contain_text("versi lumbung-pwa-42")
    expect(item).to_contain_text("Tertunda 2 · Ditolak 1")
    expect(item).to_contain_text("insufficient_balance")
    expect(item.locator(".report-text")).to_have_text(SCARY)  # shown as text, never parsed as HTML
    expect(item.locator("img")).to_have_count(0)
    shot(page, tmp_path, "admin-reports")

    admin = api_login(pwa.url, "admin")
    product = admin.get("/api/loan-products").json()[0]
    page.goto("/#/admin/produk")
    page.click(f"#product-list button:has-text('Ubah {product['name']}')")
    expect(page.locator("#lp-min")).to_have_value(f"{product['min_amount']:,}".replace(",", "."))
    page.fill("#lp-name", "Pinjaman Ubahan")
    page.fill("#lp-max_tenor", str(product["max_tenor"] + 6))
    page.click("#save-product")
    expect(page.locator("#product-list")).to_contain_text("Pinjaman Ubahan", timeout=15000)
    saved = next(p for p in admin.get("/api/loan-products").json() if p["id"] == product["id"])
    assert saved["name"] == "Pinjaman Ubahan" and saved["max_tenor"] == product["max_tenor"] + 6
    assert saved["min_amount"] == product["min_amount"]  # the rest of the product is kept

    page.click("#new-product")
    page.fill("#lp-name", "Pinjaman Uji Coba")
    page.fill("#lp-min_tenor", "12")
    page.fill("#lp-max_tenor", "6")
    page.click("#save-product")
    expect(page.locator("#product-form [role=alert]")).to_be_visible()  # the server's 422 message, nothing saved
    assert all(p["name"] != "Pinjaman Uji Coba" for p in admin.get("/api/loan-products").json())
    page.fill("#lp-max_tenor", "24")
    page.click("#save-product")
    expect(page.locator("#product-list")).to_contain_text("Pinjaman Uji Coba", timeout=15000)

    page.goto("/#/admin/potong-gaji")
    page.fill("#pp-q", "a")
    page.locator("#pp-results button").first.click()
    page.fill("#pp-plafon", "750000")
    page.select_option("#pp-category", "pns")
    page.click("#save-profile")
    expect(page.locator("#profile-form .notice")).to_contain_text("Tersimpan.")
    audit = admin.get("/api/audit", entity="payroll_profile").json()
    assert audit and audit[0]["after"]["plafon"] == 750000 and audit[0]["after"]["category"] == "pns"
    admin.close()


def test_a_member_never_reaches_the_ops_screens(page: Page, pwa) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota01")
    nav = page.locator("nav.menu")
    for label in ("Kesehatan Sistem", "Laporan Masalah", "Produk Pinjaman", "Profil Potong Gaji"):
        expect(nav).not_to_contain_text(label)
    for path in ("#/admin/kesehatan", "#/admin/laporan", "#/admin/produk", "#/admin/potong-gaji"):
        page.goto(f"/{path}")
        expect(page).to_have_url(f"{pwa.url}/#/")
        expect(page.locator("#health, #report-list, #product-list, #pp-q")).to_have_count(0)
    member = api_login(pwa.url, "anggota01")
    assert member.get("/api/admin/health").status_code == 403
    assert member.http.post("/api/admin/backups").status_code == 403
    member.close()
