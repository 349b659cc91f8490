"""Web Push in Chromium, end to end without a real push service.

The browser cannot make a real subscription here (`pushManager.subscribe` needs Google's push
service), so the page's `PushManager.subscribe` answers with a synthetic subscription whose endpoint
is a loopback receiver (tests/push/receiver.py) and whose keys the test holds. Everything else is
real: the app's own click-to-enable flow registers it at the server with the page's session, an
officer's verification makes the server encrypt and send the notice, the receiver decrypts it with
the device's private key, and the test hands that exact payload to the page's service worker through
the DevTools protocol (`ServiceWorker.deliverPushMessage`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from server.protocol import DepositCreate, DepositReject, DepositVerify
from tests.push.receiver import Device, PushReceiver
from tests.support.api import ApiSession
from tests.support.servers import copy_template

from .conftest import PwaServer, wait_for
from .helpers import login

PUSH_SETTINGS = {
    "push_allow_loopback_http": True,
    "push_retry_base_seconds": 0.05,
    "push_retry_max_seconds": 0.5,
    "push_timeout_seconds": 3.0,
    "vapid_subject": "mailto:ops@koperasi.invalid",
}

# Runs before the app in every page: records permission requests, and stands in for the push service.
FAKE_PUSH = """
window.__permissionRequests = [];
const realRequest = Notification.requestPermission.bind(Notification);
Notification.requestPermission = (...args) => { window.__permissionRequests.push(location.hash); return realRequest(...args); };
const fake = () => { try { return JSON.parse(localStorage.getItem('fake-subscription') || 'null'); } catch { return null; } };
PushManager.prototype.subscribe = async function (options) {
  const json = fake();
  if (!json) throw new DOMException('Registration failed - permission denied', 'AbortError');
  localStorage.setItem('fake-subscribed', '1');
  return { endpoint: json.endpoint, options, toJSON: () => json, unsubscribe: async () => { localStorage.removeItem('fake-subscribed'); return true; } };
};
PushManager.prototype.getSubscription = async function () {
  const json = fake();
  return json && localStorage.getItem('fake-subscribed')
    ? { endpoint: json.endpoint, options: {}, toJSON: () => json, unsubscribe: async () => { localStorage.removeItem('fake-subscribed'); return true; } }
    : null;
};
"""


@pytest.fixture
def pwa(demo_template: Path, tmp_path: Path) -> Iterator[PwaServer]:
    """The PWA's server with Web Push allowed to a loopback push service (overrides conftest's)."""
    server = PwaServer(copy_template(demo_template, tmp_path / "data"), **PUSH_SETTINGS)
    yield server
    server.stop()


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    r = PushReceiver()
    yield r
    r.stop()


def use_fake_push(page: Page, device: Device | None) -> None:
    page.add_init_script(FAKE_PUSH)
    if device is not None:
        page.add_init_script(
            f"localStorage.setItem('fake-subscription', {json.dumps(json.dumps(device.subscription()))})"
        )


def enable_push(page: Page) -> None:
    page.goto("/#/pengaturan")
    page.click("#enable-push")
    expect(page.locator("#push-state")).to_have_text("Notifikasi aktif di perangkat ini.", timeout=10000)


def subscriptions(pwa: PwaServer) -> list[tuple]:
    with sqlite3.connect(pwa.data_dir / "lumbung.sqlite3") as conn:
        return conn.execute(
            "SELECT u.username, s.client_id, s.endpoint, s.status FROM push_subscriptions s "
            "JOIN users u ON u.id = s.user_id ORDER BY s.id"
        ).fetchall()


def client_id(page: Page) -> str:
    return page.evaluate("import('/js/app-state.js').then(m => m.app.profile.clientId)")


def new_deposit(officer: ApiSession, member_id: int, amount: int) -> str:
    deposit_id = str(uuid.uuid4())
    [result] = officer.push_ops(
        DepositCreate(
            deposit_id=deposit_id,
            member_id=member_id,
            savings_type="sukarela",
            kind="offline",
            amount=amount,
            location_id=1,
        )
    )
    assert result["status"] == "applied", result
    return deposit_id


def deposit_code(session: ApiSession, deposit_id: str) -> str:
    return next(c["data"]["code"] for c in session.pull_all() if c["entity"] == "deposit" and c["id"] == deposit_id)


def registration_id(context: BrowserContext, page: Page, origin: str) -> tuple[Any, str]:
    cdp = context.new_cdp_session(page)
    regs: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda ev: regs.extend(ev["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 5
    while not any(r["scopeURL"] == origin + "/" and not r["isDeleted"] for r in regs):
        assert time.monotonic() < deadline
        page.wait_for_timeout(20)
    return cdp, next(r for r in regs if r["scopeURL"] == origin + "/" and not r["isDeleted"])["registrationId"]


def deliver(context: BrowserContext, page: Page, origin: str, data: str) -> None:
    """Hand a push message to the page's service worker as the push service would."""
    before = page.evaluate("window.__lumbungNotified ?? 0")
    cdp, reg = registration_id(context, page, origin)
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": origin, "registrationId": reg, "data": data})
    page.wait_for_function(f"(window.__lumbungNotified ?? 0) > {before}", timeout=10000)
    cdp.detach()


def notifications(page: Page) -> list[dict]:
    return page.evaluate(
        "navigator.serviceWorker.ready.then(r => r.getNotifications())"
        ".then(ns => ns.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))"
    )


def test_permission_is_asked_only_after_the_explaining_click_which_follows_the_install_offer(
    page: Page, pwa: PwaServer, receiver: PushReceiver
) -> None:
    device = receiver.device("m1-phone")
    use_fake_push(page, device)
    login(page, "anggota01")
    for route in ("#/", "#/setoran", "#/pengaturan"):
        page.goto(f"/{route}")
        page.wait_for_timeout(300)
    assert page.evaluate("window.__permissionRequests") == []
    assert subscriptions(pwa) == []
    # The install offer comes first; the browser's own prompt is used when it offered one.
    cards = page.locator("main section.card h2").all_inner_texts()
    assert cards.index("Pasang aplikasi") < cards.index("Notifikasi")
    page.evaluate("""() => { const ev = new Event('beforeinstallprompt', {cancelable: true});
      ev.prompt = () => { window.__installPrompted = true; };
      ev.userChoice = Promise.resolve({outcome: 'accepted'}); window.dispatchEvent(ev); }""")
    page.click("#install-app")
    expect(page.locator("#install-card [role=status]")).to_have_text("Aplikasi sedang dipasang.")
    assert page.evaluate("window.__installPrompted") is True
    assert page.evaluate("window.__permissionRequests") == []
    expect(page.locator("#notification-card")).to_contain_text("walau aplikasi tertutup")
    page.click("#enable-push")
    expect(page.locator("#push-state")).to_have_text("Notifikasi aktif di perangkat ini.", timeout=10000)
    assert page.evaluate("window.__permissionRequests") == ["#/pengaturan"]
    assert subscriptions(pwa) == [("anggota01", client_id(page), device.endpoint, "active")]
    expect(page.locator("#push-msg")).to_have_count(0)  # said once, not twice
    expect(page.locator("#disable-push")).to_be_visible()
    wait_for(
        lambda: (
            page.evaluate(
                "import('/js/app-state.js').then(m => (m.app.view.push_subscription || [])"
                ".filter(r => r.status === 'active').length)"
            )
            == 1
        ),
        page=page,
    )  # the feed's row
    page.click("#disable-push")
    expect(page.locator("#push-msg")).to_have_text("Notifikasi dimatikan di perangkat ini.")
    assert [s[3] for s in subscriptions(pwa)] == ["removed"]
    expect(page.locator("#enable-push")).to_be_visible(timeout=10000)


def test_verified_deposit_is_shown_as_its_notice_and_a_click_opens_that_deposit(
    page: Page, context: BrowserContext, pwa: PwaServer, receiver: PushReceiver
) -> None:
    device = receiver.device("m1-phone")
    use_fake_push(page, device)
    login(page, "anggota01")
    enable_push(page)
    officer, checker = ApiSession(pwa.url, "petugas1"), ApiSession(pwa.url, "petugas2")
    key = officer.get("/api/push/vapid-public-key").json()["public_key"]
    deposit_id = new_deposit(officer, member_id=1, amount=500_000)
    [result] = checker.push_ops(DepositVerify(deposit_id=deposit_id))
    assert result["status"] == "applied", result
    code = deposit_code(officer, deposit_id)
    receiver.wait_for(lambda: receiver.hits(device))
    [message] = receiver.messages(device, key, subject="mailto:ops@koperasi.invalid")
    payload = message["payload"]
    assert payload["body"] == f"Setoran {code} Rp500.000 telah diverifikasi" and code.startswith("STR-")

    page.goto("/#/pengaturan")  # somewhere else: the click must bring the deposit up
    deliver(context, page, pwa.url, json.dumps(payload))
    assert notifications(page) == [
        {
            "title": "Setoran diverifikasi",
            "body": f"Setoran {code} Rp500.000 telah diverifikasi",
            "tag": payload["tag"],
            "url": f"/#/setoran/{deposit_id}",
        }
    ]

    [worker] = context.service_workers
    clicked = worker.evaluate("""async () => {
      const [n] = await self.registration.getNotifications();
      self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n }));
      return n.data.url; }""")
    assert clicked == f"/#/setoran/{deposit_id}"
    page.wait_for_url(f"**/#/setoran/{deposit_id}", timeout=10000)
    focus = page.locator("#focus-tx")
    expect(focus).to_contain_text(code, timeout=10000)
    expect(focus).to_contain_text("Rp500.000")
    expect(focus).to_contain_text("Verifikasi")  # the pull the push triggered brought the verdict
    assert focus.get_attribute("data-id") == deposit_id
    if os.environ.get("LUMBUNG_SCREENSHOTS"):
        page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
        page.screenshot(path=str(Path(os.environ["LUMBUNG_SCREENSHOTS"]) / "notice-opened-deposit.png"))
    wait_for(lambda: notifications(page) == [], page=page)  # the click closed it


def test_a_kind_turned_off_in_pengaturan_is_never_sent_and_stays_off_after_reload(
    page: Page, pwa: PwaServer, receiver: PushReceiver
) -> None:
    device = receiver.device("m1-phone")
    use_fake_push(page, device)
    login(page, "anggota01")
    enable_push(page)
    box = page.locator("#notice-kinds input[name='deposit.verified']")
    expect(box).to_be_checked()
    box.uncheck()
    member = ApiSession(pwa.url, "anggota01")  # another device of the same member
    wait_for(lambda: member.get("/api/push/preferences").json()["kinds"]["deposit.verified"] is False, page=page)
    page.reload()
    expect(page.locator("#notice-kinds input[name='deposit.verified']")).not_to_be_checked(timeout=10000)
    expect(page.locator("#notice-kinds input[name='deposit.rejected']")).to_be_checked()
    assert any(
        c["entity"] == "notice_preferences" and c["data"]["kinds"]["deposit.verified"] is False
        for c in member.pull_all()
    )

    officer, checker = ApiSession(pwa.url, "petugas1"), ApiSession(pwa.url, "petugas2")
    key = officer.get("/api/push/vapid-public-key").json()["public_key"]
    verified, rejected = new_deposit(officer, 1, 250_000), new_deposit(officer, 1, 300_000)
    [a] = checker.push_ops(DepositVerify(deposit_id=verified))
    [b] = checker.push_ops(DepositReject(deposit_id=rejected, reason="Bukti tidak terbaca"))
    assert a["status"] == b["status"] == "applied"
    receiver.wait_for(lambda: receiver.hits(device))  # the kind still on arrives: the sender is working
    time.sleep(1.0)  # room for a wrong notice of the kind turned off
    kinds = [m["payload"]["kind"] for m in receiver.messages(device, key)]
    assert kinds == ["deposit.rejected"]


def test_bad_input_paths_show_a_clear_message(page: Page, context: BrowserContext, pwa: PwaServer) -> None:
    use_fake_push(page, None)  # the browser's push service refuses (as it does in CI for real)
    login(page, "anggota01")
    page.goto("/#/pengaturan")
    page.click("#enable-push")
    expect(page.locator("#push-msg")).to_have_text(
        "Notifikasi belum dapat diaktifkan: Browser tidak dapat mendaftar ke layanan notifikasi. Coba lagi nanti.",
        timeout=10000,
    )
    assert subscriptions(pwa) == []

    # A subscription the server refuses (not https, not loopback): its Indonesian message is shown.
    bad = {
        "endpoint": "http://push.example.invalid/x",
        "expirationTime": None,
        "keys": {"p256dh": "AAAA", "auth": "AAAA"},
    }
    page.evaluate("s => localStorage.setItem('fake-subscription', JSON.stringify(s))", bad)
    page.click("#enable-push")
    msg = page.locator("#push-msg")
    expect(msg).to_contain_text("Notifikasi belum dapat diaktifkan: ", timeout=10000)
    assert "Browser tidak dapat" not in msg.inner_text() and len(msg.inner_text()) > 40
    assert subscriptions(pwa) == []

    # Offline, a changed kind is not saved: the box goes back and says why.
    box = page.locator("#notice-kinds input[name='loan.installment']")
    expect(box).to_be_checked()
    context.set_offline(True)
    box.click()  # not uncheck(): the box is put back at once, which is the point
    expect(page.locator("#prefs-note")).to_contain_text("Pilihan belum tersimpan: Tidak ada koneksi")
    expect(box).to_be_checked()
    context.set_offline(False)

    # A push that is not our notice still shows a neutral one; a foreign url never leaves the origin.
    deliver(context, page, pwa.url, "bukan json")
    deliver(
        context,
        page,
        pwa.url,
        json.dumps(
            {
                "v": 1,
                "kind": "deposit.verified",
                "title": "Setoran diverifikasi",
                "body": "x",
                "url": "https://evil.example/steal",
                "tag": "t1",
            }
        ),
    )
    notes = {n["tag"]: n for n in notifications(page)}
    assert notes["lumbung"]["title"] == "Lumbung" and "kabar baru" in notes["lumbung"]["body"]
    assert notes["t1"]["url"] == "/"


def test_pushsubscriptionchange_registers_the_renewed_subscription(
    page: Page, context: BrowserContext, pwa: PwaServer, receiver: PushReceiver
) -> None:
    use_fake_push(page, None)
    login(page, "anggota01")
    renewed = receiver.device("m1-renewed")
    [worker] = context.service_workers
    worker.evaluate(
        """sub => {
      const ev = new ExtendableEvent('pushsubscriptionchange');
      Object.defineProperty(ev, 'oldSubscription', { value: null });
      Object.defineProperty(ev, 'newSubscription', { value: { toJSON: () => sub } });
      self.dispatchEvent(ev); }""",
        renewed.subscription(),
    )
    wait_for(lambda: subscriptions(pwa), page=page)
    assert subscriptions(pwa) == [("anggota01", client_id(page), renewed.endpoint, "active")]


def test_notification_settings_screen_is_accessible_and_photographed(
    page: Page, pwa: PwaServer, receiver: PushReceiver, tmp_path: Path
) -> None:
    """Pengaturan with notices on and one kind off: axe finds nothing serious; a 360×800 screenshot
    (into $LUMBUNG_SCREENSHOTS when set, e.g. docs/screenshots)."""
    from .test_screens import axe_problems

    use_fake_push(page, receiver.device("m1-phone"))
    login(page, "anggota01")
    enable_push(page)
    page.locator("#notice-kinds input[name='loan.installment']").uncheck()
    expect(page.locator("#disable-push")).to_be_visible(timeout=10000)
    expect(page.locator("#last-sync")).to_contain_text("Sinkron ", timeout=10000)
    page.wait_for_timeout(300)
    page.evaluate(
        "document.activeElement && document.activeElement.blur();"
        "const card = document.getElementById('notification-card');"
        "window.scrollTo(0, card.getBoundingClientRect().top + window.scrollY - document.querySelector('header').offsetHeight - 8)"
    )
    page.wait_for_timeout(200)
    assert axe_problems(page) == []
    shots = Path(os.environ.get("LUMBUNG_SCREENSHOTS") or tmp_path)
    page.screenshot(path=str(shots / "settings-notifications.png"))


def test_after_a_key_rotation_the_app_subscribes_again_with_the_new_key_without_asking(
    page: Page, pwa: PwaServer, receiver: PushReceiver
) -> None:
    from server.cli import main as cli_main

    device = receiver.device("m1-phone")
    use_fake_push(page, device)
    login(page, "anggota01")
    enable_push(page)
    asked = page.evaluate("window.__permissionRequests.length")
    member = ApiSession(pwa.url, "anggota01")
    old_key = member.get("/api/push/vapid-public-key").json()["key_id"]
    assert cli_main(["--data-dir", str(pwa.data_dir), "push", "rotate-keys"]) == 0
    new_key = member.get("/api/push/vapid-public-key").json()["key_id"]
    assert new_key != old_key and [s[3] for s in subscriptions(pwa)] == ["resubscribe"]
    page.evaluate("import('/js/app-state.js').then(m => m.app.syncer.flush())")  # the next sync (a poke does it too)

    def renewed() -> bool:
        with sqlite3.connect(pwa.data_dir / "lumbung.sqlite3") as conn:
            return conn.execute("SELECT status, vapid_key_id FROM push_subscriptions").fetchall() == [
                ("active", new_key)
            ]

    wait_for(renewed, timeout=15, page=page)
    assert page.evaluate("window.__permissionRequests.length") == asked  # renewed without a new prompt
    expect(page.locator("#push-state")).to_have_text("Notifikasi aktif di perangkat ini.", timeout=10000)


def test_a_refused_permission_says_so_and_registers_nothing(page: Page, pwa: PwaServer) -> None:
    page.add_init_script("""
      let permission = 'default';
      Object.defineProperty(Notification, 'permission', { get: () => permission });
      Notification.requestPermission = async () => { permission = 'denied'; return 'denied'; };""")
    login(page, "anggota01")
    page.goto("/#/pengaturan")
    page.click("#enable-push")
    expect(page.locator("#push-msg")).to_contain_text("Izin notifikasi tidak diberikan.")
    expect(page.locator("#push-state")).to_contain_text("Notifikasi diblokir untuk situs ini.")
    expect(page.locator("#enable-push")).to_have_count(0)
    assert subscriptions(pwa) == []
