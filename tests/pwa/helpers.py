"""Steps the browser tests share: log in through the form, wait for the service worker, read the outbox."""

from __future__ import annotations

from playwright.sync_api import Page, expect

PASSWORD = "rahasia123"


def submit_login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Open the app once its service worker controls the page, and send the login form."""
    page.goto("/")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def login(page: Page, username: str) -> None:
    submit_login(page, username)
    expect(page.locator("#last-sync")).to_contain_text("Sinkron ", timeout=15000)


def outbox(page: Page) -> list[dict]:
    """Every outbox item of the current profile, straight from IndexedDB."""
    return page.evaluate("""async () => {
      const { currentProfile } = await import('/js/sync/profiles.js');
      const { profileDb } = await import('/js/sync/db.js');
      const p = await currentProfile();
      const db = await profileDb(p.clientId);
      return (await db.getAllFromIndex('outbox', 'id')).map(({op, ...rest}) => ({...rest, name: op.name, op}));
    }""")


def pending(page: Page) -> int:
    return sum(1 for i in outbox(page) if i["state"] == "pending")


def go_offline(page: Page, context, pwa) -> int:  # type: ignore[no-untyped-def]
    """Take the browser offline and return how many requests the server had seen by then.

    A request the page started just before (its live channel reconnecting, say) may reach the server
    a moment after ``set_offline``; it is let land first, so what is counted after is the offline app's.
    """
    context.set_offline(True)
    page.wait_for_timeout(250)
    return len(pwa.hits.paths)


def app_requests(paths: list[str]) -> list[str]:
    """What the app itself asked the server for. The browser's own service-worker update check
    (``/sw.js``), which it may start before the page went offline, is not the app's traffic."""
    return [p for p in paths if p != "/sw.js"]


DECODER = "/vendor/jsqr/jsQR.js"
CACHES_HOLDING_DECODER = """async (path) => {
  const out = [];
  for (const key of await caches.keys()) if (await (await caches.open(key)).match(path)) out.push(key);
  return out;
}"""


def caches_holding_decoder(page: Page) -> list[str]:
    """The Cache Storage caches that hold the QR decoder (jsQR), by name."""
    return list(page.evaluate(CACHES_HOLDING_DECODER, DECODER))


def wait_decoder_cached(page: Page, timeout: float = 15.0) -> list[str]:
    """Wait for the background prefetch of the roles that scan: the decoder in its own cache, not the shell's."""
    import time

    deadline = time.monotonic() + timeout
    while not (held := caches_holding_decoder(page)):
        assert time.monotonic() < deadline, "the QR decoder was not prefetched"
        page.wait_for_timeout(50)
    return held
