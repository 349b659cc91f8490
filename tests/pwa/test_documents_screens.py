"""Documents and QR in the PWA against a real server: PDFs fetched with the token are application/pdf
(and offline the page says so while the HTML slip stays); a QR from a real server document, fed to
the page's decoder as an image file, reads *Asli* offline and a tampered one *Tidak cocok*; the
member card an anggota's screen shows, scanned by an officer offline, opens Setor Tunai for that
member, a Setoran request QR prefills amount and type; fees show before confirming.
Screenshots (360×800) go to $LUMBUNG_SCREENSHOTS when set."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import segno
from playwright.sync_api import Browser, Page, expect

from server.protocol import LoanApply, WithdrawalCreate
from tests.documents.helpers import pdf_qr_codes, pdf_text, render_png
from tests.support.api import login as api_login
from tests.support.servers import copy_template

from .conftest import PwaServer
from .helpers import DECODER, app_requests, caches_holding_decoder, login, outbox, wait_decoder_cached
from .test_screens import axe_problems

TRANSFER_FEE = 6_500


@pytest.fixture
def pwa(demo_template: Path, tmp_path: Path) -> Iterator[PwaServer]:
    """The shared fixture's server, with a withdrawal transfer fee set (so the fee has a figure to show)."""
    server = PwaServer(copy_template(demo_template, tmp_path / "data"), withdrawal_transfer_fee=TRANSFER_FEE)
    yield server
    server.stop()


def shots_dir(tmp_path: Path) -> Path:
    shots = Path(os.environ.get("LUMBUNG_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def shoot(page: Page, shots: Path, name: str) -> None:
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    page.wait_for_timeout(150)
    assert axe_problems(page) == [], name
    page.screenshot(path=str(shots / f"{name}.png"))


def opening_deposit(url: str) -> dict:
    """Member 1's verified opening sukarela deposit (Rp625.000) from the demo loader."""
    member = api_login(url, "anggota01")
    items = member.get("/api/deposits", member_id=1, page_size=50).json()["items"]
    member.close()
    return next(d for d in items if d["savings_type"] == "sukarela" and d["amount"] == 625_000)


def qr_png(payload: str, target: Path) -> Path:
    segno.make_qr(payload, error="m").save(str(target), scale=6, border=4)
    return target


def body_of(payload: str) -> dict:
    part = payload.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def with_body(payload: str, body: dict) -> str:
    """The same signature over a changed body: what a forger who edits the amount produces."""
    prefix, _, sig = payload.split(".")
    raw = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return f"{prefix}.{base64.urlsafe_b64encode(raw).rstrip(b'=').decode()}.{sig}"


def scan(page: Page, image: Path) -> None:
    page.set_input_files("#qr-file", str(image))


def test_pdf_buttons_fetch_application_pdf_and_offline_the_html_slip_stays(page: Page, context, pwa) -> None:  # type: ignore[no-untyped-def]
    deposit = opening_deposit(pwa.url)
    login(page, "anggota01")
    page.goto(f"/#/slip/{deposit['id']}")
    expect(page.locator("h1")).to_have_text("Slip Setoran Simpanan")
    with (
        page.expect_response(lambda r: "/api/documents/deposits/" in r.url) as answer,
        page.expect_download() as download,
    ):
        page.click("#slip-pdf")
    assert answer.value.status == 200 and answer.value.headers["content-type"].startswith("application/pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    assert download.value.suggested_filename == f"slip-{deposit['code']}.pdf"
    expect(page.locator("#slip-pdf ~ .pdf-open")).to_have_attribute("data-type", "application/pdf")

    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    page.goto("/#/kartu")
    page.fill("#card-start", "2020-01-01")
    page.click("text=Terapkan")
    with (
        page.expect_response(lambda r: "/api/documents/savings-statement" in r.url) as answer,
        page.expect_download() as download,
    ):
        page.click("#card-pdf")
    assert answer.value.status == 200 and answer.value.headers["content-type"].startswith("application/pdf")
    assert "period_start=2020-01-01" in answer.value.url and f"period_end={today}" in answer.value.url
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

    context.set_offline(True)
    page.goto(f"/#/slip/{deposit['id']}")
    before = len(pwa.hits.paths)
    page.click("#slip-pdf")
    expect(page.locator(".pdf-error")).to_contain_text("sambungkan ke internet")
    expect(page.locator("h1")).to_have_text("Slip Setoran Simpanan")  # the printable HTML slip is still there
    expect(page.locator(".slip")).to_contain_text("Rp625.000")
    assert [p for p in pwa.hits.paths[before:] if p.startswith("/api/documents")] == []


def test_officer_cash_report_and_withdrawal_slip_are_pdfs(page: Page, pwa) -> None:  # type: ignore[no-untyped-def]
    login(page, "petugas1")
    page.goto("/#/kas")
    with (
        page.expect_response(lambda r: "/api/documents/cash-report" in r.url) as answer,
        page.expect_download() as download,
    ):
        page.click("#cash-report-pdf")
    assert answer.value.status == 200 and answer.value.headers["content-type"].startswith("application/pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")


def test_withdrawal_slip_and_loan_statement_are_pdfs_from_their_screens(page: Page, pwa) -> None:  # type: ignore[no-untyped-def]
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    withdrawal_id, loan_id = str(uuid.uuid4()), str(uuid.uuid4())
    member = api_login(pwa.url, "anggota01")
    assert [
        r["status"]
        for r in member.push_ops(
            WithdrawalCreate(
                withdrawal_id=withdrawal_id,
                member_id=1,
                savings_type="sukarela",
                amount=200_000,
                method="transfer",
                location_id=1,
                bank_name="BRI",
                account_number="0021010001",
                account_holder="Budi Santoso",
            ),
            LoanApply(
                loan_id=loan_id,
                member_id=1,
                product_id=1,
                purpose="Pendidikan",
                amount=5_000_000,
                tenor=12,
                requested_disbursement_date=today,
                location_id=1,
                disbursement_method="tunai",
            ),
        )
    ] == ["applied", "applied"]
    member.close()
    login(page, "anggota01")
    page.goto("/#/penarikan")
    row = page.locator(f"#withdrawal-list .tx[data-id='{withdrawal_id}']")
    # the fee the server stored on the row, and what the member receives
    expect(row.locator(".tx-fee")).to_have_text("Biaya transfer Rp6.500 · Diterima anggota Rp193.500")
    page.goto(f"/#/penarikan/{withdrawal_id}")  # the withdrawal's own card (a notice's link opens it)
    expect(page.locator("#focus-tx .tx-fee")).to_have_text("Biaya transfer Rp6.500 · Diterima anggota Rp193.500")
    row.locator("summary").click()
    with (
        page.expect_response(lambda r: f"/api/documents/withdrawals/{withdrawal_id}/slip" in r.url) as answer,
        page.expect_download() as download,
    ):
        row.locator("text=Cetak Slip").click()
    assert answer.value.headers["content-type"].startswith("application/pdf")
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert "Rp6.500" in text and "Rp193.500" in text  # the transfer fee and what the member receives

    page.goto(f"/#/pinjaman/{loan_id}")
    expect(page.locator("main")).to_contain_text("Biaya administrasi")
    with (
        page.expect_response(lambda r: f"/api/documents/loans/{loan_id}/statement" in r.url) as answer,
        page.expect_download() as download,
    ):
        page.click("#loan-pdf")
    assert answer.value.headers["content-type"].startswith("application/pdf")
    assert "Rp50.000" in pdf_text(Path(download.value.path()).read_bytes())  # 1 % admin fee


def test_a_real_slip_qr_reads_asli_offline_and_a_tampered_one_tidak_cocok(
    page: Page, context, pwa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    shots = shots_dir(tmp_path)
    deposit = opening_deposit(pwa.url)
    member = api_login(pwa.url, "anggota01")
    pdf = member.get(f"/api/documents/deposits/{deposit['id']}/slip").content
    member.close()
    [payload] = pdf_qr_codes(pdf)
    page_png = render_png(pdf, tmp_path / "slip-page.png", dpi=150)  # the printed page, as a photo of it

    login(page, "petugas1")  # serves member 1's location: the ledger entry is in this replica
    # Pindai QR was never opened online: the decoder came by the background prefetch of the roles
    # that scan, into its own cache (not the shell's), and the shell itself never loaded it.
    held = wait_decoder_cached(page)
    assert held and all(k.startswith("lumbung-decoder-") for k in held), held
    assert page.evaluate("typeof self.jsQR") == "undefined"
    assert page.evaluate("'BarcodeDetector' in self") is False  # so jsQR, not the browser, decodes below
    context.set_offline(True)
    page.goto("/#/pindai")
    before = len(pwa.hits.paths)
    scan(page, page_png)
    expect(page.locator("#qr-verdict")).to_have_text("Asli", timeout=15000)
    expect(page.locator("#qr-where")).to_contain_text("perangkat")
    expect(page.locator("#qr-result")).to_contain_text(deposit["code"])
    expect(page.locator("#qr-result")).to_contain_text("Rp625.000")
    shoot(page, shots, "pindai-qr-asli")

    forged = with_body(payload, {**body_of(payload), "a": 6_250_000})
    scan(page, qr_png(forged, tmp_path / "forged.png"))
    expect(page.locator("#qr-verdict")).to_have_text("Tidak cocok")
    expect(page.locator("#qr-reason")).to_contain_text("diubah")
    expect(page.locator("#qr-result")).not_to_contain_text("Rp625.000")
    expect(page.locator("#qr-result")).not_to_contain_text("Rp6.250.000")  # a forger's figures are not shown as fact
    shoot(page, shots, "pindai-qr-tidak-cocok")

    other_hash = with_body(payload, {**body_of(payload), "h": "0" * 64})  # signed fields changed: still the signature
    scan(page, qr_png(other_hash, tmp_path / "other.png"))
    expect(page.locator("#qr-verdict")).to_have_text("Tidak cocok")
    assert app_requests(pwa.hits.paths[before:]) == []  # all of it on the device


def test_a_member_offline_before_the_decoder_was_fetched_is_told_so_and_it_loads_once_online(
    page: Page, context, pwa, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    shots = shots_dir(tmp_path)
    deposit = opening_deposit(pwa.url)
    member = api_login(pwa.url, "anggota01")
    [payload] = pdf_qr_codes(member.get(f"/api/documents/deposits/{deposit['id']}/slip").content)
    member.close()
    login(page, "anggota01")  # a member's device does not prefetch the decoder: the shell stays small
    page.wait_for_timeout(500)
    assert caches_holding_decoder(page) == []
    context.set_offline(True)
    page.goto("/#/pindai")
    expect(page.locator("h1")).to_have_text("Pindai QR")
    expect(page.locator("#qr-unavailable")).to_contain_text("Pemindai QR belum tersedia offline")
    expect(page.locator("#qr-file")).to_have_count(0)  # no control that cannot work
    expect(page.locator("#qr-camera")).to_have_count(0)
    shoot(page, shots, "pindai-qr-belum-tersedia")
    assert DECODER not in pwa.hits.paths

    context.set_offline(False)  # the page hears 'online' and loads the decoder: first use, now cached
    expect(page.locator("#qr-unavailable")).to_have_count(0)
    expect(page.locator("#qr-camera")).to_be_visible()
    wait_decoder_cached(page)
    context.set_offline(True)
    page.reload()
    expect(page.locator("h1")).to_have_text("Pindai QR")
    scan(page, qr_png(payload, tmp_path / "slip.png"))
    expect(page.locator("#qr-verdict")).to_have_text("Asli", timeout=15000)
    expect(page.locator("#qr-where")).to_contain_text("perangkat")
    expect(page.locator("#qr-unavailable")).to_have_count(0)


def test_online_a_document_outside_the_replica_is_checked_by_the_server(page: Page, pwa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    deposit = opening_deposit(pwa.url)
    member = api_login(pwa.url, "anggota01")
    [payload] = pdf_qr_codes(member.get(f"/api/documents/deposits/{deposit['id']}/slip").content)
    member.close()
    login(page, "anggota03")  # another member: the signature verifies, the entry is not on this device
    page.goto("/#/pindai")
    scan(page, qr_png(payload, tmp_path / "slip.png"))
    expect(page.locator("#qr-verdict")).to_have_text("Asli", timeout=15000)
    expect(page.locator("#qr-where")).to_contain_text("server")
    assert "/api/qr/verify" in pwa.hits.paths


def test_member_card_scanned_offline_opens_the_cash_form_and_a_setoran_request_prefills_it(  # type: ignore[no-untyped-def]
    page: Page, context, browser: Browser, browser_context_args, pwa, tmp_path: Path
) -> None:
    shots = shots_dir(tmp_path)
    login(page, "anggota01")
    page.goto("/#/kartu-anggota")
    expect(page.locator("#card-qr")).to_be_visible()
    expect(page.locator("#member-card")).to_contain_text("A0001")
    shoot(page, shots, "kartu-anggota")
    context.set_offline(True)  # the card was kept on the device: it still shows without a connection
    page.reload()
    expect(page.locator("#card-qr")).to_be_visible(timeout=15000)
    card_png = tmp_path / "card.png"
    page.locator("#card-qr").screenshot(path=str(card_png))
    page.select_option("#req-type", "sukarela")
    page.fill("#req-amount", "150000")
    page.click("#make-request")  # offline: an unsigned request
    expect(page.locator("#request-qr")).to_contain_text("Rp150.000")
    expect(page.locator("#request-qr")).to_contain_text("tanpa sinyal")
    request_png = tmp_path / "request.png"
    page.locator("#request-qr svg").screenshot(path=str(request_png))

    officer_context = browser.new_context(**browser_context_args)
    officer = officer_context.new_page()
    try:
        login(officer, "petugas1")
        wait_decoder_cached(officer)
        officer_context.set_offline(True)
        before = len(pwa.hits.paths)
        officer.goto("/#/pindai")
        scan(officer, card_png)
        expect(officer.locator("#cash-form")).to_be_visible(timeout=15000)
        assert "member=1" in officer.url
        expect(officer.locator("#cash-form .lead")).to_contain_text("A0001")
        expect(officer.locator("#amount")).to_have_value("")

        officer.goto("/#/pindai")
        scan(officer, request_png)
        expect(officer.locator("#cash-form")).to_be_visible(timeout=15000)
        expect(officer.locator("#amount")).to_have_value("150.000")
        expect(officer.locator("#savings_type")).to_have_value("sukarela")
        officer.click("#save-cash")
        expect(officer.locator("#saved")).to_contain_text("Rp150.000")
        [item] = [i for i in outbox(officer) if i["name"] == "deposit.create"]
        assert (
            item["op"]["member_id"] == 1
            and item["op"]["amount"] == 150_000
            and item["op"]["savings_type"] == "sukarela"
        )
        assert app_requests(pwa.hits.paths[before:]) == []
    finally:
        officer_context.close()


def test_fees_are_shown_before_confirming(page: Page, pwa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shots = shots_dir(tmp_path)
    member = api_login(pwa.url, "anggota08")
    today = dt.datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    sim = member.get(
        "/api/loans/simulate",
        product_id=1,
        amount=10_000_000,
        tenor=6,
        purpose="Pendidikan",
        start_date=today,
        member_id=8,
    ).json()
    member.close()
    assert sim["admin_fee"] == 100_000  # demo product 1: 1 %
    login(page, "anggota08")
    page.goto("/#/pinjaman/baru")
    page.select_option("#product_id", "1")
    page.click("#next-1")
    page.fill("#amount", "10.000.000")
    page.fill("#tenor", "6")
    page.click("#next-2")
    rp = lambda v: "Rp" + f"{v:,}".replace(",", ".")  # noqa: E731
    expect(page.locator("#summary-admin-fee")).to_have_text(rp(sim["admin_fee"]))
    expect(page.locator("#summary-disbursed")).to_have_text(rp(sim["disbursed_amount"]))
    shoot(page, shots, "pinjaman-konfirmasi-biaya")

    page.goto("/#/penarikan/baru")
    page.select_option("#method", "transfer")
    page.fill("#amount", "200000")
    expect(page.locator("#withdrawal-fee")).to_have_text(rp(TRANSFER_FEE))
    expect(page.locator("#withdrawal-received")).to_have_text(rp(200_000 - TRANSFER_FEE))
    page.select_option("#method", "tunai")
    expect(page.locator("#withdrawal-fees")).to_contain_text("Tanpa biaya")
    expect(page.locator("#withdrawal-fee")).to_have_text("Rp0")


def y4m_of(png: Path, target: Path, size: int = 480, frames: int = 5) -> Path:
    """A still picture as a Y4M clip (grey QR: Y plane only, neutral chroma) for Chromium's fake camera."""
    from PIL import Image

    image = Image.open(png).convert("L")
    canvas = Image.new("L", (size, size), 255)
    image.thumbnail((size - 40, size - 40))
    canvas.paste(image, ((size - image.width) // 2, (size - image.height) // 2))
    chroma = bytes([128]) * ((size // 2) * (size // 2) * 2)
    with target.open("wb") as out:
        out.write(f"YUV4MPEG2 W{size} H{size} F5:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + canvas.tobytes() + chroma)
    return target


def test_the_camera_reads_a_slip_and_says_asli(browser_type, pwa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from .conftest import CHROMIUM, CHROMIUM_ARGS

    deposit = opening_deposit(pwa.url)
    member = api_login(pwa.url, "anggota01")
    [payload] = pdf_qr_codes(member.get(f"/api/documents/deposits/{deposit['id']}/slip").content)
    member.close()
    clip = y4m_of(qr_png(payload, tmp_path / "slip.png"), tmp_path / "slip.y4m")
    browser = browser_type.launch(
        executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}",
        ],
    )
    try:
        context = browser.new_context(
            base_url=pwa.url,
            viewport={"width": 360, "height": 800},
            permissions=["camera"],
            service_workers="allow",
            locale="id-ID",
            timezone_id="Asia/Jakarta",
            bypass_csp=True,
        )
        page = context.new_page()
        login(page, "petugas1")
        wait_decoder_cached(page)
        context.set_offline(True)
        page.goto("/#/pindai")
        page.click("#qr-camera")
        expect(page.locator("#qr-verdict")).to_have_text("Asli", timeout=20000)
        expect(page.locator("#qr-result")).to_contain_text(deposit["code"])
        expect(page.locator("#qr-camera")).to_be_visible()  # the camera is closed after a read
        context.close()
    finally:
        browser.close()


def test_an_officer_of_another_location_gets_no_cash_form_for_the_card(page: Page, pwa, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    member = api_login(pwa.url, "anggota01")
    card = member.get("/api/qr/member-card", member_id=1).json()["payload"]
    member.close()
    login(page, "petugas3")  # serves location 2; member 1 is at location 1
    page.goto("/#/pindai")
    scan(page, qr_png(card, tmp_path / "card.png"))
    expect(page.locator("#qr-reason")).to_contain_text("bukan dari lokasi Anda", timeout=15000)
    assert "#/pindai" in page.url
    expect(page.locator("#cash-form")).to_have_count(0)
