"""The service worker: an update waits for the user and never breaks the outbox; Web Push shows the
payload's notification and triggers a pull."""

from __future__ import annotations

import json
import time

from playwright.sync_api import Page, expect

from .conftest import wait_for
from .helpers import login, outbox, pending
from .test_sync_faults import queue_withdrawal


def test_update_waits_for_the_user_and_keeps_the_queued_outbox(page: Page, context) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota09")
    context.route("**/api/sync/push", lambda route: route.abort())  # the queue cannot drain for now
    queue_withdrawal(page, "33.000")
    assert pending(page) == 1
    page.evaluate("caches.open('lumbung-shell-0-old').then(c => c.put('/x', new Response('old')))")
    # A new worker script (another URL is an update to the browser); it installs and then waits.
    page.evaluate("navigator.serviceWorker.register('/sw.js?update=1', {scope: '/'})")
    expect(page.locator("#reload-app")).to_be_visible(timeout=15000)
    assert "Versi baru tersedia" in page.locator("header").inner_text()
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")
    page.click("#reload-app")
    page.wait_for_function(
        "navigator.serviceWorker.controller && navigator.serviceWorker.controller.scriptURL.endsWith('update=1')",
        timeout=15000,
    )
    page.wait_for_load_state()
    expect(page.locator("#pending-count")).to_have_text("1 menunggu", timeout=10000)
    keys = page.evaluate("caches.keys()")
    assert "lumbung-shell-0-old" not in keys and any(k.startswith("lumbung-shell-") for k in keys)
    context.unroute("**/api/sync/push")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_for(lambda: pending(page) == 0, timeout=20, page=page)
    assert [i["state"] for i in outbox(page)] == ["applied"]


def test_push_message_shows_its_notification_and_triggers_a_pull(page: Page, context, pwa) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota10")
    cdp = context.new_cdp_session(page)
    regs: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda ev: regs.extend(ev["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 5
    while not any(r["scopeURL"] == pwa.url + "/" and not r["isDeleted"] for r in regs):
        assert time.monotonic() < deadline
        page.wait_for_timeout(20)
    reg = next(r for r in regs if r["scopeURL"] == pwa.url + "/" and not r["isDeleted"])
    pulls_before = pwa.hits.paths.count("/api/sync/pull")
    payload = {
        "v": 1,
        "kind": "deposit.verified",
        "title": "Setoran diverifikasi",
        "body": "Setoran STR-2612-000062 Rp500.000 telah diverifikasi",
        "url": "/#/setoran/abc",
        "tag": "deposit:abc",
        "ref": {},
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": pwa.url, "registrationId": reg["registrationId"], "data": json.dumps(payload)},
    )
    page.wait_for_function("(window.__lumbungNotified ?? 0) > 0", timeout=10000)
    notes = page.evaluate(
        "navigator.serviceWorker.ready.then(r => r.getNotifications())"
        ".then(ns => ns.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url})))"
    )
    assert notes == [
        {"title": "Setoran diverifikasi", "body": payload["body"], "tag": "deposit:abc", "url": "/#/setoran/abc"}
    ]
    wait_for(lambda: pwa.hits.paths.count("/api/sync/pull") > pulls_before, page=page)
    cdp.detach()


def test_a_newer_database_version_in_another_tab_is_not_kept_waiting(page: Page, context) -> None:  # type: ignore[no-untyped-def]
    """The day a release raises the profile database's version, a tab still running the old code must
    let it upgrade (close its connection, ask for a reload), not leave the new tab blocked forever."""
    login(page, "anggota09")
    context.route("**/api/sync/push", lambda route: route.abort())  # the item stays queued
    queue_withdrawal(page, "34.000")
    client_id = page.evaluate("import('/js/sync/profiles.js').then(async (m) => (await m.currentProfile()).clientId)")
    newer = context.new_page()
    newer.goto("/")
    opened = newer.evaluate(
        """(name) => new Promise((resolve) => {
          const request = indexedDB.open(name, 2);
          let blocked = false;
          request.onblocked = () => { blocked = true; };
          request.onupgradeneeded = () => {};
          request.onsuccess = () => {
            const db = request.result;
            const tx = db.transaction('outbox');
            const all = tx.objectStore('outbox').getAll();
            all.onsuccess = () => { resolve({ version: db.version, blocked, items: all.result.map((i) => i.state) }); db.close(); };
          };
          request.onerror = () => resolve({ error: String(request.error) });
          setTimeout(() => resolve({ timedOut: true, blocked }), 10000);
        })""",
        f"lumbung-p-{client_id}",
    )
    # the upgrade went through, and the queued withdrawal is still there for the new version to send
    assert opened.get("version") == 2, opened
    assert opened["items"] == ["pending"]
    expect(page.locator("#reload-app")).to_be_visible(timeout=5000)
    assert "Versi baru tersedia" in page.locator("header").inner_text()
    newer.close()
