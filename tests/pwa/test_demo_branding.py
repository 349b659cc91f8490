"""The demo cooperative names itself alike everywhere a person looks: the login page, the app's header
(from the feed's ``branding`` row), the installed app's manifest, and the PDFs (tests/documents)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from server.demo import DEMO_BRANDING

from .helpers import login


def test_the_demo_header_and_login_page_name_the_cooperative_of_the_pdfs(page: Page, pwa) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    expect(page.locator("#coop-name")).to_contain_text(DEMO_BRANDING.name)
    login(page, "anggota01")
    expect(page.locator("#brand-name")).to_have_text(DEMO_BRANDING.short_name)
    expect(page.locator("#brand-name")).to_have_attribute("title", DEMO_BRANDING.name)
    assert page.evaluate("document.querySelector('meta[name=theme-color]').content") == DEMO_BRANDING.theme_color
    from_feed = page.evaluate("""async () => {
      const { app } = await import('/js/app-state.js');
      return app.view?.branding?.[0]?.short_name ?? null;
    }""")
    assert from_feed == DEMO_BRANDING.short_name  # the header reads the feed's row, not a fallback
    manifest = httpx.get(f"{pwa.url}/manifest.webmanifest").json()
    assert manifest["short_name"] == DEMO_BRANDING.short_name and manifest["name"] == DEMO_BRANDING.name
