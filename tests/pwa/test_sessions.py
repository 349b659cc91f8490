"""Identity and versions in the browser: per-user profiles on a shared device, token refresh that is
not a failure, a refused protocol version and a revoked session that keep the outbox."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.support.api import login as api_login
from tests.support.servers import copy_template

from .conftest import PwaServer, wait_for
from .helpers import PASSWORD, go_offline, login, outbox, pending
from .test_sync_faults import queue_withdrawal, server_rows


def logout(page: Page) -> None:
    page.click("text=Keluar")
    expect(page.locator("h1")).to_have_text("Masuk")


def sign_in(page: Page, username: str) -> None:
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#last-sync")).to_contain_text("Sinkron ", timeout=15000)


def test_shared_device_keeps_one_profile_per_user_and_never_sends_under_another_token(page: Page, context, pwa) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota11")
    first_client = page.evaluate("import('/js/sync/profiles.js').then(m => m.currentProfile()).then(p => p.clientId)")
    context.route("**/api/sync/push", lambda route: route.abort())
    queue_withdrawal(page, "44.000")
    logout(page)
    context.unroute("**/api/sync/push")
    sign_in(page, "anggota12")
    second_client = page.evaluate("import('/js/sync/profiles.js').then(m => m.currentProfile()).then(p => p.clientId)")
    assert second_client != first_client
    assert outbox(page) == []  # the other user's queue is not here, and was not pushed with this token
    page.wait_for_timeout(500)
    assert all(w["amount"] != 44_000 for w in server_rows(pwa, "/api/withdrawals", 11))
    logout(page)
    sign_in(page, "anggota11")
    assert (
        page.evaluate("import('/js/sync/profiles.js').then(m => m.currentProfile()).then(p => p.clientId)")
        == first_client
    )
    wait_for(lambda: pending(page) == 0, timeout=20, page=page)
    assert [w["amount"] for w in server_rows(pwa, "/api/withdrawals", 11)] == [44_000]


def test_expired_access_token_is_refreshed_without_counting_as_a_failure(
    browser, demo_template: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # 3 s, not 1: on a loaded machine a refreshed token of 1 s could expire again before the retried
    # push reached the server (seen once in CI), which is not what this test is about
    server = PwaServer(copy_template(demo_template, tmp_path / "data"), access_token_ttl=3)
    try:
        ctx = browser.new_context(base_url=server.url, viewport={"width": 360, "height": 800}, bypass_csp=True)
        page = ctx.new_page()
        login(page, "anggota13")
        page.wait_for_timeout(3500)  # the access token has expired
        queue_withdrawal(page, "55.000")
        wait_for(lambda: pending(page) == 0, timeout=20, page=page)
        assert "/api/auth/refresh" in server.hits.paths
        state = page.evaluate("""async () => {
          const { currentProfile } = await import('/js/sync/profiles.js');
          const { profileDb, getMeta } = await import('/js/sync/db.js');
          return getMeta(await profileDb((await currentProfile()).clientId), ['lastError']);
        }""")
        assert state["lastError"] is None
        expect(page.locator("#reload-app, .banner.warn")).to_have_count(0)
        ctx.close()
    finally:
        server.stop()


def test_refused_protocol_version_keeps_the_outbox_and_asks_for_an_update(page: Page, context) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota14")
    body = json.dumps(
        {
            "code": "protocol_version_unsupported",
            "message": "Versi aplikasi tidak cocok dengan server; perbarui aplikasi.",
            "detail": {"supported": [2], "sent": "1"},
        }
    )
    context.route(
        "**/api/sync/push", lambda route: route.fulfill(status=426, body=body, content_type="application/json")
    )
    queue_withdrawal(page, "66.000")
    expect(page.locator(".banner.warn")).to_contain_text("Perbarui aplikasi")
    assert pending(page) == 1


def test_revoked_session_stops_and_asks_for_a_login_keeping_the_outbox(page: Page, context, pwa) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota15")
    admin = api_login(pwa.url, "admin")
    assert admin.http.post("/api/admin/users/15/revoke-sessions").json()["revoked"] >= 1
    admin.close()
    context.route("**/api/sync/push", lambda route: route.abort())
    queue_withdrawal(page, "77.000")
    context.unroute("**/api/sync/push")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator(".banner.warn")).to_contain_text("Masuk", timeout=20000)
    assert pending(page) == 1
    page.click(".banner.warn a")
    sign_in(page, "anggota15")
    wait_for(lambda: pending(page) == 0, timeout=20, page=page)
    assert [w["amount"] for w in server_rows(pwa, "/api/withdrawals", 15)] == [77_000]


def test_a_logout_made_offline_ends_the_session_once_the_device_is_online(page: Page, context, pwa) -> None:  # type: ignore[no-untyped-def]
    """Review finding: "Keluar" while offline dropped the tokens and never told the server, so on a
    shared device the previous user's session (and its notices) lived on for up to 30 days."""
    login(page, "anggota16")
    token = page.evaluate("async () => (await import('/js/app-state.js')).app.syncer.session.profile.accessToken")
    headers = {"Authorization": f"Bearer {token}", "X-Lumbung-Protocol": "1"}
    go_offline(page, context, pwa)
    page.locator("text=Keluar").click()
    expect(page).to_have_url(f"{pwa.url}/#/masuk")
    assert httpx.get(f"{pwa.url}/api/auth/me", headers=headers).status_code == 200  # not told yet: offline
    kept = "async () => (await (await import('/js/sync/db.js')).deviceDb()).getAllKeys('device')"
    assert len([k for k in page.evaluate(kept) if k.startswith("pending-logout:")]) == 1
    context.set_offline(False)
    login(page, "anggota17")  # the next user, online: the pending logout goes first
    wait_for(lambda: httpx.get(f"{pwa.url}/api/auth/me", headers=headers).status_code == 401, timeout=15, page=page)
    assert "/api/auth/logout" in pwa.hits.paths
    wait_for(lambda: not [k for k in page.evaluate(kept) if k.startswith("pending-logout:")], timeout=10, page=page)
    profile = page.evaluate(
        "async () => (await (await import('/js/sync/db.js')).deviceDb()).get('profiles', 'anggota16')"
    )
    assert profile["loggedIn"] is False and profile["refreshToken"] is None and "pendingLogout" not in profile
