"""Bantuan → Laporkan Masalah: a report written offline waits in the outbox like any mutation, shows its
sync state, carries the app version and this device's sync state (no secret, no other member's data),
and once online lands in the admin's list (GET /api/admin/reports)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.api import login as api_login

from .helpers import login, outbox
from .test_screens import check


def test_a_report_written_offline_lands_in_the_admin_list(page: Page, context, pwa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shots = Path(os.environ.get("LUMBUNG_SCREENSHOTS") or tmp_path)
    login(page, "anggota06")
    page.goto("/#/bantuan")
    page.click("#open-report")
    expect(page.locator("h1")).to_have_text("Laporkan Masalah")
    context.set_offline(True)
    page.click("#send-report")
    expect(page.locator("#report-description-err")).to_have_text("Uraian masalah wajib diisi.")
    assert outbox(page) == []

    description = "Setoran kemarin belum muncul di Kartu Simpanan."
    page.fill("#report-description", description)
    expect(page.locator("#report-facts")).to_contain_text("pwa-")
    page.click("#send-report")
    expect(page.locator("#report-saved")).to_be_visible()
    expect(page.locator("#my-reports .tx").first).to_contain_text("Menunggu sinkronisasi")
    items = outbox(page)
    assert [i["name"] for i in items] == ["report.create"] and items[0]["state"] == "pending"
    op = items[0]["op"]
    assert op["description"] == description
    assert op["app_version"].startswith("pwa-")
    assert op["sync_state"]["pending"] == 0 and op["sync_state"]["last_sync_at"] is not None
    assert set(op["sync_state"]) == {"pending", "rejected", "last_sync_at", "error_codes"}
    tokens = page.evaluate("""async () => {
      const { currentProfile } = await import('/js/sync/profiles.js');
      const p = await currentProfile();
      return [p.accessToken, p.refreshToken].filter(Boolean);
    }""")
    assert tokens, "the profile holds a token the report must not carry"
    assert not any(t in json.dumps(op) for t in tokens)
    problems: dict[str, list[str]] = {}
    check(page, shots, "report-problem", problems)
    assert problems == {}

    context.set_offline(False)
    expect(page.locator("#my-reports .tx").first).to_contain_text("Terkirim", timeout=20000)
    expect(page.locator("#pending-count")).to_have_text("0 menunggu")

    admin = api_login(pwa.url, "admin")
    try:
        response = admin.get("/api/admin/reports")
        assert response.status_code == 200, response.text
        rows = [r for r in response.json() if r["description"] == description]
        assert len(rows) == 1, response.json()
        row = rows[0]
        assert row["username"] == "anggota06" and row["app_version"] == op["app_version"]
        assert row["pending"] == 0 and row["error_codes"] == []
    finally:
        admin.close()
    member = api_login(pwa.url, "anggota06")
    try:
        assert member.get("/api/admin/reports").status_code == 403  # a member never reads the list
    finally:
        member.close()
