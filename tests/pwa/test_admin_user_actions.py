"""Issue 10 in the PWA, the *Pengguna* screen's own actions against a live server: end a user's
sessions, reset their second factor, reset their password, change their role, lift a login lockout;
and on *Data Anggota* a member who left rejoins. Destructive actions ask first (Batal changes
nothing); each action's result or error shows next to it. Screenshots into $LUMBUNG_SCREENSHOTS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from server.protocol import PROTOCOL_HEADER
from tests.ops.test_mfa import _enrol
from tests.support.api import login as api_login
from tests.support.servers import copy_template

from .conftest import PwaServer
from .helpers import PASSWORD, login
from .test_admin_screens import shot

NEW_PASSWORD = "Sawah-Hijau-2026"


@pytest.fixture
def pwa(demo_template: Path, tmp_path: Path) -> Iterator[PwaServer]:
    """The second wrong password of an account locks it for ten minutes: a lockout to lift."""
    server = PwaServer(
        copy_template(demo_template, tmp_path / "data"),
        login_free_failures=1,
        login_delay_seconds=600,
        login_delay_max_seconds=600,
    )
    yield server
    server.stop()


def _login(url: str, username: str, password: str = PASSWORD, otp: str | None = None) -> httpx.Response:
    body = {"username": username, "password": password, "client_id": f"probe-{username}"}
    if otp:
        body["otp"] = otp
    return httpx.post(f"{url}/api/auth/login", json=body, headers={PROTOCOL_HEADER: "1"}, timeout=30)


def _manage(page: Page, username: str) -> Locator:
    row = page.locator(f"#user-list li[data-username='{username}']")
    row.get_by_role("button", name="Kelola").click()
    return row


def _confirmed(row: Locator, action: str) -> Locator:
    """Press the action, check it only asks, then say yes; returns the action's box."""
    box = row.locator(f".action[data-action='{action}']")
    box.locator(".action-run").click()
    expect(box.locator(".confirm")).to_be_visible()
    box.locator(".confirm-yes").click()
    return box


def test_admin_ends_sessions_resets_mfa_and_password_changes_a_role_and_lifts_a_lockout(
    page: Page, pwa: PwaServer, tmp_path: Path
) -> None:
    officer = api_login(pwa.url, "petugas1")
    _enrol(pwa.url, "petugas2")
    assert _login(pwa.url, "petugas2").json()["code"] == "mfa_required"
    for _ in range(2):
        assert _login(pwa.url, "anggota05", "salah-sekali").status_code in (401, 429)
    admin = api_login(pwa.url, "admin")
    assert "user:anggota05" in {r["key"] for r in admin.get("/api/admin/login-lockouts").json()}

    login(page, "admin")
    page.goto("/#/admin/pengguna")

    # end every session: Batal first changes nothing
    row = _manage(page, "petugas1")
    box = row.locator(".action[data-action='revoke-sessions']")
    box.locator(".action-run").click()
    expect(box.locator(".confirm-q")).to_contain_text("Akhiri semua sesi petugas1")
    shot(page, tmp_path, "admin-users-confirm", scroll_to="#user-list li[data-username='petugas1']")
    box.locator(".confirm-no").click()
    assert officer.get("/api/auth/me").status_code == 200
    _confirmed(row, "revoke-sessions")
    expect(box.locator(".action-note")).to_contain_text("sesi diakhiri")
    assert officer.get("/api/auth/me").json()["code"] == "session_revoked"

    # reset the second factor
    row = _manage(page, "petugas2")
    box = _confirmed(row, "reset-mfa")
    expect(box.locator(".action-note")).to_have_text("Verifikasi dua langkah dihapus; pengguna dapat mendaftar lagi.")
    assert _login(pwa.url, "petugas2").status_code == 200  # password alone again

    # reset a password: the server's refusal shows next to the action, then a good one works
    row = _manage(page, "anggota02")
    row.locator("#pw-2").fill("pendek")
    box = _confirmed(row, "reset-password")
    expect(box.locator(".action-note.error")).to_be_visible()
    assert _login(pwa.url, "anggota02").status_code == 200  # unchanged
    row.locator("#pw-2").fill(NEW_PASSWORD)
    _confirmed(row, "reset-password")
    expect(box.locator(".action-note")).to_have_text("Password diatur ulang; sesi pengguna diakhiri.")
    assert _login(pwa.url, "anggota02").status_code == 401
    assert _login(pwa.url, "anggota02", NEW_PASSWORD).json()["code"] == "password_change_required"

    # change a role; the admin's own row offers no role change
    row = _manage(page, "petugas3")
    row.locator("#role-103").select_option("pengurus")
    box = _confirmed(row, "change-role")
    expect(box.locator(".action-note")).to_contain_text("Peran diubah menjadi Pengurus")
    expect(page.locator("#user-list li[data-username='petugas3'] .tx-main")).to_contain_text("Pengurus")
    changed = next(u for u in admin.get("/api/admin/users").json() if u["username"] == "petugas3")
    assert (changed["role"], changed["location_ids"]) == ("pengurus", [])
    own = _manage(page, "admin")
    expect(own.locator(".role-change")).to_have_count(0)
    expect(own).to_contain_text("Peran akun sendiri tidak dapat diubah.")
    expect(own.locator(".action[data-action='toggle-active']")).to_have_count(0)

    # lift the lockout
    locked = page.locator("#lockouts li[data-key='user:anggota05']")
    expect(locked).to_contain_text("anggota05")
    expect(locked).to_contain_text("Akun")
    shot(page, tmp_path, "admin-lockouts", scroll_to="#lockouts")
    box = _confirmed(locked, "clear-lockout")
    expect(page.locator("#no-lockouts")).to_be_visible()
    assert "user:anggota05" not in {r["key"] for r in admin.get("/api/admin/login-lockouts").json()}
    assert _login(pwa.url, "anggota05").status_code == 200
    log = {e["action"] for e in admin.get("/api/audit").json()}
    assert {"user.revoke_sessions", "user.mfa_reset", "user.reset_password", "user.role", "login_lockout.clear"} <= log
    admin.close()
    officer.close()


def test_admin_reactivates_a_member_and_their_login_only_when_ticked(
    page: Page, pwa: PwaServer, tmp_path: Path
) -> None:
    admin = api_login(pwa.url, "admin")
    for member_id in (3, 4):
        assert admin.http.post(f"/api/admin/members/{member_id}/deactivate").status_code == 200
    login(page, "admin")
    page.goto("/#/admin/anggota")
    row = page.locator("#member-list .tx[data-number=A0003]")
    expect(row.locator(".badge")).to_have_text("Nonaktif", timeout=15000)
    shot(page, tmp_path, "admin-member-reactivate", scroll_to="#member-list .tx[data-number=A0003]")
    _confirmed(row, "reactivate")
    expect(row.locator(".action-note")).to_contain_text("aktif kembali; akun login tetap nonaktif")
    expect(row.locator(".badge")).to_have_text("Aktif", timeout=15000)  # back through the feed
    expect(row.locator(".action-note")).to_contain_text("akun login tetap nonaktif")  # the result stays
    assert _login(pwa.url, "anggota03").status_code != 200
    row = page.locator("#member-list .tx[data-number=A0004]")
    row.locator("#reactivate-users-4").check()
    _confirmed(row, "reactivate")
    expect(row.locator(".action-note")).to_contain_text("akun login aktif lagi")
    expect(row.locator(".badge")).to_have_text("Aktif", timeout=15000)
    assert _login(pwa.url, "anggota04").status_code == 200
    admin.close()
