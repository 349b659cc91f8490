"""Documents as PDF with a signed QR, QR verification, member-card and Setoran-request QRs, and the
fees shown before confirming (issue 10.5, 10.6, 10.12; docs/DOCUMENTS.md).

Who may fetch what is the access policy's answer (``server/access.py``): a member their own
documents, an officer their locations', the board and the admin everything. Another's record is
answered like an unknown one (404).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import msgspec
import segno
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Meta, Struct

from server.access import reach_of
from server.auth.service import utcnow
from server.documents import render
from server.documents.payloads import (
    card_body,
    cash_report_code,
    cash_report_hash,
    check_setoran,
    doc_body,
    setoran_body,
    statement_code,
)
from server.documents.qr import QrKey, QrSigner
from server.documents.verify import Verdict, verify_payload
from server.domain.fees import FeePreview, withdrawal_preview
from server.domain.savings import savings_card
from server.domain.timezone import local_date, zone
from server.errors import InvalidInput, NotFound, RequestError
from server.protocol import MAX_AMOUNT
from server.storage import branding as branding_store
from server.storage import documents as store
from server.storage import loans as loan_store
from server.storage import reads, savings
from server.storage.admin import time_zone
from server.storage.interface import ReadTx

from ..scoping import check_dates, member_for, visible_loan
from ..security import roles
from ..strict import strict_body

__all__ = ["DocumentController", "QrController", "FeeController", "signer_of", "publish_document_references"]

PDF = "application/pdf"


def signer_of(request_or_app: Any) -> QrSigner:
    app = getattr(request_or_app, "app", request_or_app)
    signer = getattr(app.state, "qr_signer", None)
    if signer is None:
        signer = app.state.qr_signer = QrSigner(app.state.services.settings.signing_key())
    return signer


class FeeSettings(Struct, frozen=True):
    withdrawal_transfer_fee: int


async def publish_document_references(app: Any) -> None:
    """At start-up: the QR public key and the fee settings into the feed (audience all), once per change."""
    signer, fee = signer_of(app), FeeSettings(app.state.services.settings.withdrawal_transfer_fee)

    def write(conn: Any) -> None:
        branding_store.publish_reference(conn, "qr_key", signer.key)
        branding_store.publish_reference(conn, "fee_settings", fee)

    await app.state.services.db.write(write)


def _zone(conn: ReadTx) -> ZoneInfo:
    """The cooperative's time zone (its setting): the day a QR is issued, every time a PDF prints."""
    return zone(time_zone(conn))


def _today(conn: ReadTx) -> str:
    return local_date(utcnow(), _zone(conn)).isoformat()


def _pdf(data: bytes, name: str) -> Response[bytes]:
    return Response(
        data,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"', "Cache-Control": "no-store"},
    )


def _head(conn: ReadTx, printed_by: str) -> render.Letterhead:
    """The cooperative's branding and logo, who prints, and its time zone, for every page."""
    logo = branding_store.load_logo(conn)
    return render.Letterhead(
        branding_store.load_branding(conn), (logo[0], logo[1]) if logo else None, printed_by, _zone(conn)
    )


_SLIP_DOCUMENT = {"deposit": "setoran", "withdrawal": "penarikan"}


def _signed_slip(
    conn: ReadTx, signer: QrSigner, slip: dict[str, Any], kind: Literal["deposit", "withdrawal"]
) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """A slip's row, its ledger entry (None until verified) and the signed QR of its code and entry hash."""
    entry = store.posting_of(conn, slip["id"], kind)
    payload = signer.sign(
        doc_body(
            _SLIP_DOCUMENT[kind],
            slip["code"],
            (entry or {}).get("hash", ""),
            slip["amount"],
            slip["member_number"],
            _today(conn),
        )
    )
    return slip, entry, payload


def _svg(payload: str) -> str:
    return segno.make_qr(payload, error="m", boost_error=False).svg_inline(scale=4, border=4)


class DocumentController(Controller):
    path = "/api/documents"
    tags = ["documents"]

    @get("/deposits/{deposit_id:str}/slip", media_type=PDF)
    async def deposit_slip(self, request: Request, deposit_id: FromPath[str]) -> Response[bytes]:
        """Cetak Slip: the deposit with its amount in words and a QR of its code and ledger hash."""
        reach, signer, user = reach_of(request.user), signer_of(request), request.user

        def read(conn: ReadTx) -> bytes:
            slip = reads.slip(conn, deposit_id, reach)
            if slip is None:
                raise NotFound("deposit_not_found", "Setoran tidak ditemukan.")
            return render.deposit_slip(_head(conn, user.name), *_signed_slip(conn, signer, slip, "deposit"))

        return _pdf(await request.app.state.services.db.read(read), f"slip-setoran-{deposit_id}")

    @get("/withdrawals/{withdrawal_id:str}/slip", media_type=PDF)
    async def withdrawal_slip(self, request: Request, withdrawal_id: FromPath[str]) -> Response[bytes]:
        """Slip penarikan: amount in words, the transfer fee stored on the withdrawal (fixed when the server
        took the request, whatever the setting says now) and what the member receives, and the QR."""
        reach, signer, user = reach_of(request.user), signer_of(request), request.user

        def read(conn: ReadTx) -> bytes:
            slip = store.withdrawal_slip(conn, withdrawal_id, reach)
            if slip is None:
                raise NotFound("withdrawal_not_found", "Penarikan tidak ditemukan.")
            return render.withdrawal_slip(_head(conn, user.name), *_signed_slip(conn, signer, slip, "withdrawal"))

        return _pdf(await request.app.state.services.db.read(read), f"slip-penarikan-{withdrawal_id}")

    @get("/savings-statement", media_type=PDF)
    async def savings_statement(
        self,
        request: Request,
        savings_type: FromQuery[str],
        period_start: FromQuery[str],
        period_end: FromQuery[str],
        member_id: FromQuery[int | None] = None,
    ) -> Response[bytes]:
        """Kartu Simpanan for a period: opening balance, each entry with running balance, closing balance."""
        check_dates(period_start, period_end)
        if period_start > period_end:
            raise RequestError("invalid_period", "Awal periode harus sebelum akhir periode.")
        reach, signer, user = reach_of(request.user), signer_of(request), request.user

        def read(conn: ReadTx) -> bytes:
            member = member_for(conn, reach, member_id)
            st = savings.load_savings_type(conn, savings_type)
            if st is None:
                raise NotFound("savings_type_not_found", f"Jenis simpanan '{savings_type}' tidak dikenal.")
            opening = reads.opening_balance(conn, member["id"], savings_type, period_start)
            card = savings_card(
                savings_type,
                period_start,
                period_end,
                opening,
                reads.movements(conn, member["id"], savings_type, period_start, period_end),
            )
            last = store.last_entry_in_period(conn, member["id"], savings_type, period_end)
            code = statement_code(member["number"], savings_type, period_start, period_end)
            payload = signer.sign(
                doc_body("kartu_simpanan", code, last, card.closing_balance, member["number"], _today(conn))
            )
            return render.savings_statement(_head(conn, user.name), member, card, st.name, payload)

        return _pdf(await request.app.state.services.db.read(read), "kartu-simpanan")

    @get("/loans/{loan_id:str}/statement", media_type=PDF)
    async def loan_statement(self, request: Request, loan_id: FromPath[str]) -> Response[bytes]:
        """A loan's schedule (with what is paid of each installment) and its repayment history."""
        reach, signer, user = reach_of(request.user), signer_of(request), request.user

        def read(conn: ReadTx) -> bytes:
            loan = visible_loan(conn, reach, loan_id)
            member = savings.load_member(conn, loan.member_id)
            assert member is not None  # a loan's member is never deleted (foreign key)
            product = loan_store.load_product(conn, loan.product_id)
            installments = [
                {**msgspec.to_builtins(inst), "paid": paid} for inst, paid in loan_store.schedule_paid(conn, loan.id)
            ]
            payload = signer.sign(
                doc_body(
                    "pinjaman",
                    loan.code,
                    store.last_loan_entry(conn, loan.id),
                    loan.amount,
                    member.number,
                    _today(conn),
                )
            )
            return render.loan_statement(
                _head(conn, user.name),
                msgspec.to_builtins(loan),
                {"number": member.number, "name": member.name},
                product.name if product else "",
                installments,
                loan_store.repayments(conn, loan.id),
                payload,
            )

        return _pdf(await request.app.state.services.db.read(read), f"pinjaman-{loan_id}")

    @get("/cash-report", media_type=PDF, guards=[roles("petugas", "pengurus", "admin")])
    async def cash_report(
        self, request: Request, day: FromQuery[str | None] = None, officer_id: FromQuery[int | None] = None
    ) -> Response[bytes]:
        """Laporan kas harian: the cash an officer collected on a day (default today in the cooperative's
        zone), by status.

        An officer gets only their own report; the board and the admin any officer's.
        """
        check_dates(day)
        user, signer = request.user, signer_of(request)
        target = officer_id if officer_id is not None else user.id
        if user.role == "petugas" and target != user.id:
            raise NotFound("officer_not_found", "Petugas tidak ditemukan.")

        def read(conn: ReadTx) -> tuple[bytes, str]:
            officer = store.user_brief(conn, target)
            if officer is None or officer["role"] != "petugas" and target != user.id:
                raise NotFound("officer_not_found", "Petugas tidak ditemukan.")
            today = _today(conn)
            report_day = day or today
            items = store.cash_report(conn, target, report_day)
            digest = cash_report_hash([(i["code"], i["amount"]) for i in items])
            payload = signer.sign(
                doc_body(
                    "kas_harian",
                    cash_report_code(officer["username"], report_day),
                    digest,
                    sum(i["amount"] for i in items),
                    officer["username"],
                    today,
                )
            )
            pdf = render.cash_report(_head(conn, user.name), officer, report_day, items, payload)
            return pdf, report_day

        pdf, report_day = await request.app.state.services.db.read(read)
        return _pdf(pdf, f"kas-harian-{report_day}")


class VerifyInput(Struct, forbid_unknown_fields=True):
    payload: Annotated[str, Meta(min_length=1, max_length=2000)]


class SetoranInput(Struct, forbid_unknown_fields=True):
    savings_type: Annotated[str, Meta(min_length=1, max_length=32)]
    amount: Annotated[int, Meta(ge=1, le=MAX_AMOUNT)]
    member_id: int | None = None


class QrCode(Struct):
    payload: str
    svg: str
    """The same payload drawn as an SVG QR (for screens that show it without a decoder library)."""


class QrController(Controller):
    path = "/api/qr"
    tags = ["qr"]

    @get("/keys")
    async def keys(self, request: Request) -> list[QrKey]:
        """The public keys that verify our QR signatures offline (also in the feed as ``qr_key``)."""
        return [signer_of(request).key]

    @post("/verify", status_code=200)
    async def verify(self, request: Request, data: JSONBody[VerifyInput]) -> Verdict:
        """Check a scanned payload: ``Asli`` when the signature and the record agree, else ``Tidak cocok``."""
        given = await strict_body(request, VerifyInput)
        reach, signer = reach_of(request.user), signer_of(request)
        return await request.app.state.services.db.read(lambda c: verify_payload(c, signer, given.payload, reach))

    @get("/member-card")
    async def member_card(self, request: Request, member_id: FromQuery[int | None] = None) -> QrCode:
        """Kartu anggota: member number and name signed by the server; an officer verifies it offline."""
        reach, signer = reach_of(request.user), signer_of(request)

        def read(conn: ReadTx) -> QrCode:
            member = member_for(conn, reach, member_id)
            payload = signer.sign(card_body(member["id"], member["number"], member["name"], _today(conn)))
            return QrCode(payload, _svg(payload))

        return await request.app.state.services.db.read(read)

    @post("/setoran", status_code=200)
    async def setoran(self, request: Request, data: JSONBody[SetoranInput]) -> QrCode:
        """A member's Setoran request (amount and savings type) as a QR the officer scans to prefill the form."""
        given = await strict_body(request, SetoranInput)
        settings = request.app.state.services.settings
        check_setoran(given.savings_type, given.amount, settings.min_deposit, settings.max_deposit)
        reach, signer = reach_of(request.user), signer_of(request)

        def read(conn: ReadTx) -> QrCode:
            member = member_for(conn, reach, given.member_id)
            if savings.load_savings_type(conn, given.savings_type) is None:
                raise NotFound("savings_type_not_found", f"Jenis simpanan '{given.savings_type}' tidak dikenal.")
            payload = signer.sign(setoran_body(member["id"], member["number"], given.savings_type, given.amount))
            return QrCode(payload, _svg(payload))

        return await request.app.state.services.db.read(read)


class FeeController(Controller):
    path = "/api/fees"
    tags = ["fees"]

    @get("/withdrawal")
    async def withdrawal(self, request: Request, amount: FromQuery[int], method: FromQuery[str]) -> FeePreview:
        """What a withdrawal costs before the member confirms: the transfer fee and the amount received."""
        if not 0 < amount <= MAX_AMOUNT:
            raise InvalidInput("amount_out_of_range", "Nominal di luar batas.")
        return withdrawal_preview(method, amount, request.app.state.services.settings.withdrawal_transfer_fee)
