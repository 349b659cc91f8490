"""The member's offline story, end to end in Chromium against the real server."""

from __future__ import annotations

import struct
import zlib

from playwright.sync_api import Page, expect

from .conftest import wait_for
from .helpers import app_requests, go_offline, login, outbox, pending


def tiny_png() -> bytes:
    raw = b"\x00\xff\x00\x00" * 1

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def fill_deposit(page: Page, amount: str) -> None:
    page.goto("/#/setoran")
    page.click("#add-deposit")
    page.select_option("#bank_account_id", "1")
    page.fill("#amount", amount)
    page.fill("#sender_bank", "BCA")
    page.fill("#account_holder", "Budi Santoso")
    page.set_input_files("#proof-file", files=[{"name": "bukti.png", "mimeType": "image/png", "buffer": tiny_png()}])


def test_member_offline_deposit_and_withdrawal_sync_and_get_verified(page: Page, context, browser, pwa) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota01")
    expect(page.locator(".balance[data-type=sukarela]")).to_have_text("Rp625.000")

    # 1. Offline (emulated) and reload: the shell and the last data come from the device; no request.
    before = go_offline(page, context, pwa)
    page.reload()
    expect(page.locator("#net-state")).to_have_text("Offline")
    expect(page.locator(".balance[data-type=sukarela]")).to_have_text("Rp625.000")
    page.wait_for_timeout(300)
    assert app_requests(pwa.hits.paths[before:]) == []

    # 2. Also with the server stopped: file a deposit with a proof photo and a withdrawal.
    pwa.stop()
    fill_deposit(page, "500000")
    expect(page.locator("#amount")).to_have_value("500.000")
    page.click("#save-deposit")
    expect(page.locator("#saved")).to_contain_text("tersimpan")
    page.goto("/#/penarikan/baru")
    page.fill("#amount", "100000")
    page.fill("#bank_name", "BRI")
    page.fill("#account_number", "1234567890")
    page.fill("#account_holder", "Budi Santoso")
    page.click("#save-withdrawal")
    expect(page.locator("#saved")).to_contain_text("tersimpan")
    page.goto("/#/setoran")
    expect(page.locator("#deposit-list .tx").first).to_contain_text("Menunggu sinkronisasi")
    page.goto("/#/penarikan")
    expect(page.locator("#withdrawal-list .tx").first).to_contain_text("Menunggu sinkronisasi")
    expect(page.locator("#pending-count")).to_have_text("2 menunggu")
    items = outbox(page)
    assert [i["id"] for i in items] == [1, 2] and {i["name"] for i in items} == {"deposit.create", "withdrawal.create"}

    # 3. Back online: both sync and show Belum Diverifikasi.
    pwa.start()
    context.set_offline(False)
    expect(page.locator("#withdrawal-list .tx").first).to_contain_text("Belum Diverifikasi", timeout=20000)
    page.goto("/#/setoran")
    expect(page.locator("#deposit-list .tx").first).to_contain_text("Belum Diverifikasi", timeout=10000)
    expect(page.locator("#deposit-list .tx strong").first).to_contain_text("STR-", timeout=10000)
    code = page.locator("#deposit-list .tx strong").first.inner_text()
    assert code.startswith("STR-")
    assert "/api/attachments/" in " ".join(pwa.hits.paths)
    wait_for(lambda: pending(page) == 0, page=page)

    # 4. An officer in a second browser context verifies; the member sees it with no manual reload.
    officer_ctx = browser.new_context(base_url=pwa.url, viewport={"width": 360, "height": 800}, bypass_csp=True)
    officer = officer_ctx.new_page()
    login(officer, "petugas1")
    officer.goto("/#/verifikasi")
    row = officer.locator("#verify-deposits .tx", has_text=code)
    expect(row).to_be_visible()
    row.locator("text=Lihat Bukti").click()
    expect(row.locator("img.proof")).to_be_visible()
    row.locator("button.verify").click()
    expect(officer.locator("#verify-deposits .tx", has_text=code)).to_have_count(
        0, timeout=15000
    )  # settled: left the queue
    officer_ctx.close()

    expect(page.locator("#deposit-list .tx", has_text=code).locator(".badge")).to_have_text("Verifikasi", timeout=20000)
    page.goto("/#/")
    expect(page.locator(".balance[data-type=sukarela]")).to_have_text("Rp1.125.000")
