"""Issue 10 in the PWA: the admin's screens (members, import with a dry run, board, reference data,
users, time zone, branding), the board's audit log, the board structure for everyone, MFA enrolment
and the login's second step, and *Setor untuk karyawan/badan* through the member directory. Each role
sees only its screens and the API refuses the rest anyway. Screenshots at 360×800 into
$LUMBUNG_SCREENSHOTS (docs/screenshots) when set."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from server.auth import mfa
from tests.support.api import login as api_login
from tests.support.servers import copy_template

from .conftest import PwaServer
from .helpers import PASSWORD, login, outbox
from .test_member_offline import fill_deposit, tiny_png
from .test_screens import axe_problems

BAD_CSV = (
    b"nomor,nama,lokasi,tanggal_lahir\n"
    b"X0001,Ani Lestari,1,1990-05-01\n"
    b"X0001,Ani Kembar,1,1991-01-01\n"
    b"X0002,Bayu Aji,Gudang Timur,1988-02-30\n"
    b"X0003,,1,31/12/1985\n"
)
GOOD_CSV = b"nomor,nama,lokasi,tanggal_lahir\nX0001,Ani Lestari,1,1990-05-01\nX0002,Bayu Aji,1,1988-02-03\n"


def shot(page: Page, tmp_path: Path, name: str, scroll_to: str | None = None) -> None:
    """A 360×800 screenshot (scrolled to ``scroll_to`` when given), after checking the screen has no
    serious or critical axe-core violation."""
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    if scroll_to:
        page.evaluate(
            "(sel) => { const el = document.querySelector(sel); window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 130); }",
            scroll_to,
        )
    page.wait_for_timeout(150)
    problems = axe_problems(page)
    assert not problems, f"{name}: {problems}"
    shots = Path(os.environ.get("LUMBUNG_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"))


def test_admin_creates_edits_and_deactivates_a_member_and_imports_after_a_dry_run(
    page: Page, pwa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    login(page, "admin")
    page.goto("/#/admin/anggota")
    expect(page.locator("#member-list .tx").first).to_be_visible()
    shot(page, tmp_path, "admin-members")

    page.click("#new-member")
    page.fill("#m-number", "Z0001")
    page.fill("#m-name", "Zainal Abidin")
    page.select_option("#m-kind", "badan")
    page.fill("#m-birth", "1980-03-04")
    page.select_option("#m-category", "pns")
    page.click("#save-member")
    row = page.locator("#member-list .tx[data-number=Z0001]")
    expect(row).to_contain_text("Zainal Abidin", timeout=15000)  # back through the feed
    expect(row).to_contain_text("Badan")
    expect(row).to_contain_text("4 Maret 1980")
    row.locator("text=Ubah").click()
    page.fill("#m-name", "Zainal Abidin Hasan")
    page.click("#save-member")
    expect(row).to_contain_text("Zainal Abidin Hasan", timeout=15000)
    admin = api_login(pwa.url, "admin")
    leave = row.locator(".action[data-action='deactivate']")
    leave.locator(".action-run").click()  # the first press only asks
    expect(leave.locator(".confirm-q")).to_contain_text("Nonaktifkan Z0001 Zainal Abidin Hasan?")
    leave.locator(".confirm-no").click()  # Batal: nothing changes
    expect(leave.locator(".confirm")).to_have_count(0)
    expect(row.locator(".badge")).to_have_text("Aktif")
    assert [m["number"] for m in admin.get("/api/directory/members", q="Z0001").json()] == ["Z0001"]
    leave.locator(".action-run").click()
    leave.locator(".confirm-yes").click()
    expect(row.locator(".badge")).to_have_text("Nonaktif", timeout=15000)
    expect(row.locator(".action-note")).to_have_text("Zainal Abidin Hasan dinonaktifkan.")

    assert admin.get("/api/directory/members", q="Z0001").json() == []  # inactive members leave the directory

    page.goto("/#/admin/pengguna")
    expect(page.locator("#user-list li[data-username=petugas1]")).to_be_visible()
    page.click("#new-user")
    page.fill("#u-username", "petugas9")
    page.fill("#u-name", "Dewi Kasir")
    page.select_option("#u-role", "petugas")
    page.check("#user-form input[type=checkbox] >> nth=0")
    page.fill("#u-password", "Lumbung-Koperasi-2026")
    page.click("#save-user")
    expect(page.locator("#user-list li[data-username=petugas9]")).to_contain_text("Dewi Kasir")
    shot(page, tmp_path, "admin-users")
    created = next(u for u in admin.get("/api/admin/users").json() if u["username"] == "petugas9")
    assert (created["role"], created["location_ids"]) == ("petugas", [1])
    row = page.locator("#user-list li[data-username=petugas9]")
    row.get_by_role("button", name="Kelola").click()
    row.locator(".officer-locations input[data-location='1']").uncheck()
    row.locator(".officer-locations input[data-location='2']").check()
    row.locator(".save-locations").click()
    expect(row).to_contain_text("Lokasi petugas disimpan")
    moved = next(u for u in admin.get("/api/admin/users").json() if u["username"] == "petugas9")
    assert moved["location_ids"] == [2]  # the officer moved from location 1 to 2

    page.goto("/#/admin/impor")
    page.set_input_files("#import-file", files=[{"name": "anggota.csv", "mimeType": "text/csv", "buffer": BAD_CSV}])
    page.click("#import-dry-run")
    problems = page.locator("#import-problems tbody tr")
    expect(problems.first).to_be_visible()
    text = page.locator("#import-problems").inner_text()
    for row_no in ("3", "4", "5"):
        assert any(line.startswith(row_no + "\t") for line in text.splitlines()), text
    assert problems.count() >= 4  # duplicate, unknown location, bad date, empty name
    expect(page.locator("#import-run")).to_have_count(0)  # nothing to import while a problem remains
    shot(page, tmp_path, "admin-import-dry-run", scroll_to="#import-report")
    assert admin.get("/api/directory/members", q="X0002").json() == []

    page.set_input_files("#import-file", files=[{"name": "anggota.csv", "mimeType": "text/csv", "buffer": GOOD_CSV}])
    page.click("#import-dry-run")
    expect(page.locator("#import-run")).to_be_visible()
    page.click("#import-run")
    expect(page.locator("#import-report h2")).to_have_text("Impor selesai")
    assert [r["name"] for r in admin.get("/api/directory/members", q="X0002").json()] == ["Bayu Aji"]
    admin.close()


def test_admin_sets_board_time_zone_branding_and_the_board_reads_the_audit_log(page: Page, pwa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    login(page, "admin")
    page.goto("/#/admin/pengurus")
    for body, position, name in (
        ("pengurus", "Ketua", "Dr. Suharti"),
        ("pengurus", "Bendahara", "Agus Salim"),
        ("pengawas", "Ketua", "Hj. Ratna"),
    ):
        page.select_option("#bp-body", body)
        page.select_option("#bp-position", position)
        page.fill("#bp-name", name)
        page.fill("#bp-start", "2025-01-01")
        page.fill("#bp-end", "2029-12-31")
        page.click("#save-board")
        expect(page.locator("#board-seats")).to_contain_text(name, timeout=15000)

    shot(page, tmp_path, "admin-board")
    page.goto("/#/admin/koperasi")
    expect(page.locator("#branding")).to_be_visible()
    shot(page, tmp_path, "admin-coop")
    page.fill("#br-name", "Koperasi Karyawan Sejahtera Makassar")
    page.fill("#br-short", "KKS Makassar")
    page.set_input_files("#br-logo", files=[{"name": "logo.png", "mimeType": "image/png", "buffer": tiny_png()}])
    page.click("#save-branding")
    expect(page.locator("#brand-name")).to_have_text("KKS Makassar", timeout=15000)
    expect(page.locator("#brand-name img.brand-logo")).to_be_visible()
    page.select_option("#tz", "WITA")
    page.click("#save-tz")
    expect(page.locator("#time-zone")).to_contain_text("Sekarang: WITA", timeout=15000)
    expect(page.locator("#last-sync")).to_contain_text("WITA")  # every date a person sees, in the cooperative's zone
    manifest = httpx.get(f"{pwa.url}/manifest.webmanifest").json()
    assert manifest["short_name"] == "KKS Makassar"
    through_worker = page.evaluate(
        "fetch('/manifest.webmanifest').then((r) => r.json())"
    )  # the service worker does not serve a stale copy
    assert through_worker["name"] == "Koperasi Karyawan Sejahtera Makassar"
    assert page.evaluate("document.querySelector('link[rel=manifest]').getAttribute('href')") == "/manifest.webmanifest"

    page.goto("/#/audit")
    expect(page.locator("#audit-list li[data-action='board_position.save']", has_text="Dr. Suharti")).to_have_count(1)
    expect(page.locator("#audit-list li[data-action='settings.save']").first).to_contain_text("WITA")
    shot(page, tmp_path, "audit-log")

    # the board (pengurus) reads the audit log too, and every member sees the board structure
    page.click("text=Keluar")
    expect(page.locator("#username")).to_be_visible()
    board = page
    login(board, "pengurus1")
    board.goto("/#/audit")
    expect(board.locator("#audit-list .tx").first).to_be_visible()
    expect(board.locator("nav.menu")).not_to_contain_text("Data Anggota")
    board.goto("/#/admin/anggota")
    expect(board).to_have_url(f"{pwa.url}/#/persetujuan")  # a pengurus is sent home, the admin screen never shows
    expect(board.locator("#member-form, #member-list")).to_have_count(0)


def test_a_member_sees_the_board_structure_but_never_an_admin_screen_and_the_api_refuses(
    page: Page, pwa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    admin = api_login(pwa.url, "admin")
    for pid, body, position, name in (
        (1, "pengurus", "Ketua", "Dr. Suharti"),
        (2, "pengurus", "Sekretaris", "Lina Marlina"),
        (3, "pengurus", "Bendahara", "Agus Salim"),
        (4, "pengawas", "Ketua", "Hj. Ratna"),
        (5, "pengawas", "Anggota", "Yusuf Maulana"),
        (6, "pengurus", "Ketua", "Pak Lama"),
    ):
        term = ("2019-01-01", "2023-12-31") if name == "Pak Lama" else ("2025-01-01", "2029-12-31")
        r = admin.http.put(
            f"/api/admin/board/{pid}",
            json={"body": body, "position": position, "name": name, "term_start": term[0], "term_end": term[1]},
        )
        assert r.status_code == 200, r.text
    admin.close()
    login(page, "anggota01")
    nav = page.locator("nav.menu")
    for label in ("Data Anggota", "Pengguna", "Data Koperasi", "Log Audit"):
        expect(nav).not_to_contain_text(label)
    for path in (
        "#/admin/anggota",
        "#/admin/impor",
        "#/admin/koperasi",
        "#/admin/pengguna",
        "#/admin/pengurus",
        "#/audit",
    ):
        page.goto(f"/{path}")
        expect(page).to_have_url(f"{pwa.url}/#/")
        expect(page.locator("#member-form, #import-file, #board-form, #user-list, #audit-list")).to_have_count(0)
    page.goto("/#/struktur")
    pengurus = page.locator("#board-pengurus li")
    expect(pengurus).to_have_count(3)
    expect(pengurus.first).to_contain_text("Ketua")
    expect(pengurus.first).to_contain_text("Dr. Suharti")
    expect(page.locator("#board-pengurus")).not_to_contain_text("Pak Lama")  # a past term is not today's board
    expect(page.locator("#board-pengawas li")).to_have_count(2)
    shot(page, tmp_path, "board-structure")

    member = api_login(pwa.url, "anggota01")
    for method, path in (
        ("GET", "/api/admin/users"),
        ("GET", "/api/audit"),
        ("POST", "/api/admin/members/import"),
        ("PUT", "/api/admin/settings"),
        ("PUT", "/api/admin/board/9"),
    ):
        r = member.http.request(method, path, json={} if method != "GET" else None)
        assert (r.status_code, r.json()["code"]) == (403, "role_not_allowed"), (path, r.text)
    member.close()


def test_admin_enrols_mfa_from_a_qr_image_and_the_next_login_asks_for_the_code(page: Page, pwa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    login(page, "admin")
    page.goto("/#/pengaturan")
    page.click("#mfa-start")
    qr = page.locator("#mfa-qr")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("blob:")  # the server's SVG as an image, never as page markup
    page.wait_for_function("document.getElementById('mfa-qr').naturalWidth > 0")
    assert page.locator("#mfa svg").count() == 0
    secret = page.locator("#mfa-secret").inner_text().strip()
    shot(page, tmp_path, "mfa-enrolment", scroll_to="#mfa")
    step = int(time.time() // mfa.STEP_SECONDS)
    page.fill("#mfa-code", f"{(int(mfa.code_at(secret, step)) + 1) % 1_000_000:06d}")
    page.click("#mfa-confirm")
    expect(page.locator("#mfa-code-err")).to_be_visible()
    page.fill("#mfa-code", mfa.code_at(secret, step))
    page.click("#mfa-confirm")
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    expect(page.locator("#mfa-state")).to_contain_text("Aktif")
    shot(page, tmp_path, "mfa-recovery-codes", scroll_to="#mfa")

    page.click("text=Keluar")
    expect(page.locator("#username")).to_be_visible()
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#otp")).to_be_visible()
    page.fill("#otp", "000000" if mfa.code_at(secret, step + 1) != "000000" else "111111")
    page.click("button[type=submit]")
    expect(page.locator("#otp-err")).to_be_visible()
    page.fill("#otp", mfa.code_at(secret, step + 1))
    page.click("button[type=submit]")
    expect(page.locator("#last-sync")).to_contain_text("Sinkron ", timeout=15000)
    expect(page.locator("nav.menu")).to_contain_text("Data Anggota")


def test_deposit_for_another_member_finds_the_recipient_in_the_directory(page: Page, pwa) -> None:  # type: ignore[no-untyped-def]
    login(page, "anggota01")
    fill_deposit(page, "200000")
    page.check("#for-other")
    page.fill("#recipient-q", "Siti")
    page.click("#recipient-search")
    pick = page.locator("#recipient-results li", has_text="Siti Rahayu")
    expect(pick).to_contain_text("A0002")
    expect(pick).to_contain_text("Anggota")
    pick.locator("button").click()
    expect(page.locator("#recipient-chosen")).to_contain_text("Siti Rahayu")
    page.click("#save-deposit")
    expect(page.locator("#saved")).to_be_visible()
    op = [i for i in outbox(page) if i["name"] == "deposit.create"][-1]["op"]
    assert op["member_id"] == 2


def test_an_enforced_board_member_is_kept_on_the_enrolment_until_the_factor_is_confirmed(
    page: Page, demo_template: Path, tmp_path: Path
) -> None:
    server = PwaServer(copy_template(demo_template, tmp_path / "enforced"), mfa_enforced=True)
    try:
        page.goto(f"{server.url}/")
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=15000)
        page.fill("#username", "pengurus1")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("#mfa-enforced")).to_be_visible(timeout=15000)
        page.goto(f"{server.url}/#/persetujuan")
        expect(page).to_have_url(f"{server.url}/#/pengaturan")
        page.click("#mfa-start")
        secret = page.locator("#mfa-secret").inner_text().strip()
        page.fill("#mfa-code", mfa.code_at(secret, int(time.time() // mfa.STEP_SECONDS)))
        page.click("#mfa-confirm")
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        expect(page.locator("#mfa-enforced")).to_have_count(0)
        page.goto(f"{server.url}/#/persetujuan")
        expect(page.locator("h1")).to_have_text("Persetujuan Pinjaman")
        expect(page.locator("#last-sync")).to_contain_text("Sinkron ", timeout=15000)
    finally:
        server.stop()
