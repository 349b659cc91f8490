"""Every main screen, as each role sees it: no serious or critical axe-core violation, and a 360×800
screenshot of each (into $LUMBUNG_SCREENSHOTS when set, e.g. docs/screenshots; else a temp dir)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from server.protocol import LoanApply, WithdrawalCreate
from tests.support.api import login as api_login

from .helpers import login
from .test_member_offline import fill_deposit

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()


def axe_problems(page: Page) -> list[str]:
    page.evaluate(AXE)
    return page.evaluate("""() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`))""")


def check(page: Page, shots: Path, name: str, problems: dict[str, list[str]]) -> None:
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    page.wait_for_timeout(150)
    found = axe_problems(page)
    if found:
        problems[name] = found
    page.screenshot(path=str(shots / f"{name}.png"))


def test_main_screens_have_no_serious_accessibility_violations(
    page: Page, context, browser, pwa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    shots = Path(os.environ.get("LUMBUNG_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    for username, member in (("anggota01", 1), ("anggota03", 3)):
        s = api_login(pwa.url, username)
        s.push_ops(
            LoanApply(
                loan_id=str(uuid.uuid4()),
                member_id=member,
                product_id=1,
                purpose="Pendidikan",
                amount=5_000_000,
                tenor=12,
                requested_disbursement_date=today,
                location_id=1,
                disbursement_method="tunai",
            ),
            WithdrawalCreate(
                withdrawal_id=str(uuid.uuid4()),
                member_id=member,
                savings_type="sukarela",
                amount=150_000,
                method="tunai",
                location_id=1,
            ),
        )
        s.close()
    problems: dict[str, list[str]] = {}

    login(page, "anggota01")
    expect(page.locator("#ledger-check")).to_contain_text("terverifikasi")
    check(page, shots, "member-dashboard", problems)
    page.goto("/#/kartu")
    page.fill("#card-start", f"{today[:4]}-01-01")
    page.click("text=Terapkan")
    expect(page.locator("#savings-card tbody tr").first).to_be_visible()
    expect(page.locator("#closing-balance")).to_have_text("Rp625.000")
    check(page, shots, "savings-card", problems)
    page.goto("/#/setoran")
    first = page.locator("#deposit-list .tx").first
    first.locator("summary").click()
    first.locator("text=Cetak Slip").click()
    expect(page.locator(".slip")).to_contain_text("rupiah")
    check(page, shots, "deposit-slip", problems)
    page.goto("/#/pengaturan")
    check(page, shots, "settings", problems)
    fill_deposit(page, "350000")
    page.fill("#note", "Setoran sukarela Desember")
    check(page, shots, "deposit-form", problems)
    context.set_offline(True)
    page.click("#save-deposit")
    expect(page.locator("#saved")).to_be_visible()
    page.goto("/#/setoran")
    expect(page.locator("#deposit-list .tx").first).to_contain_text("Menunggu sinkronisasi")
    check(page, shots, "deposit-list", problems)
    page.goto("/#/")
    check(page, shots, "offline-header", problems)
    page.goto("/#/penarikan")
    page.click("#add-withdrawal")
    page.fill("#amount", "200000")
    page.fill("#bank_name", "BRI")
    check(page, shots, "withdrawal-form", problems)
    page.goto("/#/penarikan")
    check(page, shots, "withdrawal-list", problems)
    page.goto("/#/pinjaman/baru")
    page.click("#next-1")
    page.fill("#amount", "6.000.000")
    page.fill("#tenor", "12")
    page.click("#simulate")
    check(page, shots, "loan-wizard-step2", problems)
    page.click("#next-2")
    expect(page.locator("#summary")).to_be_visible()
    check(page, shots, "loan-wizard-step3", problems)
    page.goto("/#/perubahan-setoran/baru")
    check(page, shots, "deduction-change", problems)
    context.set_offline(False)
    expect(page.locator("#pending-count")).to_have_text("0 menunggu", timeout=15000)

    officer_ctx = browser.new_context(
        base_url=pwa.url,
        viewport={"width": 360, "height": 800},
        bypass_csp=True,
        timezone_id="Asia/Jakarta",
        locale="id-ID",
    )
    officer = officer_ctx.new_page()
    login(officer, "petugas1")
    officer.goto("/#/verifikasi")
    expect(officer.locator("#verify-deposits .tx").first).to_be_visible()
    check(officer, shots, "officer-verification", problems)
    officer.goto("/#/petugas")
    officer_ctx.set_offline(True)
    officer.fill("#member-q", "Siti")
    officer.locator("#member-results button").first.click()
    officer.fill("#amount", "75000")
    check(officer, shots, "officer-cash-deposit", problems)
    officer.click("#save-cash")
    officer.goto("/#/kas")
    expect(officer.locator("#cash-total")).to_have_text("Rp75.000")
    check(officer, shots, "cash-in-hand", problems)
    officer_ctx.close()

    board_ctx = browser.new_context(
        base_url=pwa.url,
        viewport={"width": 360, "height": 800},
        bypass_csp=True,
        timezone_id="Asia/Jakarta",
        locale="id-ID",
    )
    board = board_ctx.new_page()
    login(board, "pengurus1")
    expect(board.locator("#approvals .tx").first).to_be_visible()
    check(board, shots, "board-approvals", problems)
    board.locator("#approvals .tx").first.locator("text=Setujui").click()
    expect(board.locator("#approvals .tx .badge").first).to_be_visible()
    board_ctx.close()

    login_page = browser.new_page(base_url=pwa.url, viewport={"width": 360, "height": 800}, bypass_csp=True)
    login_page.goto("/")
    expect(login_page.locator("h1")).to_have_text("Masuk")
    check(login_page, shots, "login", problems)
    login_page.evaluate(
        "document.body.append(Object.assign(document.createElement('img'), {src: '/icons/icon-192.png'}))"
    )
    assert any(p.startswith("image-alt") for p in axe_problems(login_page)), "axe must see a known violation"
    login_page.close()
    assert problems == {}
