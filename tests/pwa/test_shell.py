"""The app shell: served at /, strict CSP, revalidated, every module precached, installable."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from .helpers import login

ROOT = Path(__file__).resolve().parents[2]
PWA = ROOT / "pwa"


def test_shell_is_served_with_strict_csp_and_no_cache(pwa) -> None:  # type: ignore[no-untyped-def]
    for path in ["/", "/sw.js", "/js/main.js", "/manifest.webmanifest"]:
        r = httpx.get(pwa.url + path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["cache-control"] == "no-cache"
    assert "javascript" in httpx.get(pwa.url + "/sw.js").headers["content-type"]
    html = httpx.get(pwa.url + "/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script in index.html"
    assert not re.search(r"\son[a-z]+=", html), "inline handler in index.html"
    assert "content-security-policy" not in httpx.get(pwa.url + "/api/health").headers


def sw_list(sw: str, name: str) -> set[str]:
    return set(re.findall(r"'(/[^']*)'", sw.split(f"{name} = [")[1].split("];")[0]))


def test_service_worker_precaches_every_shell_file() -> None:
    sw = (PWA / "sw.js").read_text()
    listed = sw_list(sw, "SHELL_FILES")
    decoder = sw_list(sw, "DECODER_FILES")
    shipped = {
        "/" + p.relative_to(PWA).as_posix()
        for p in PWA.rglob("*")
        if p.is_file() and p.suffix in {".js", ".css", ".png", ".webmanifest", ".html"} and p.name != "sw.js"
    }
    assert decoder == {"/vendor/jsqr/jsQR.js"}, "the QR decoder is loaded on first use, in its own cache"
    assert listed & decoder == set(), "the QR decoder must stay out of the precached shell"
    assert shipped - listed - decoder == set(), "files the service worker would not have offline"
    assert listed - shipped - {"/"} == set(), "precached files that do not exist"
    # The decoder cache is versioned by the vendored decoder's own version (VERSIONS.md).
    jsqr = re.search(r"^\| jsqr \| ([0-9.]+) \|", (PWA / "vendor" / "VERSIONS.md").read_text(), re.M)
    assert jsqr and f"const DECODER_VERSION = 'jsqr-{jsqr.group(1)}';" in sw


def test_installable_with_no_errors(page: Page, context) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
    cdp = context.new_cdp_session(page)
    errors = [e["errorId"] for e in cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    assert [e for e in errors if e != "in-incognito"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest.get("errors", []) == []


def test_login_shows_member_dashboard(page: Page) -> None:
    login(page, "anggota01")
    expect(page.locator("h1")).to_have_text("Dashboard Anggota")
    expect(page.locator(".balance[data-type=sukarela]")).to_have_text("Rp625.000")
    expect(page.locator("#ledger-check")).to_contain_text("Buku besar terverifikasi")


def test_app_runs_under_its_own_csp_without_violations(browser, pwa) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=pwa.url, viewport={"width": 360, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Masuk")
    page.fill("#username", "anggota02")
    page.fill("#password", "rahasia123")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Dashboard Anggota")
    assert [p for p in problems if "Content Security Policy" in p or "Refused" in p] == []
    context.close()
