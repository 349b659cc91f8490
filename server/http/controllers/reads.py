"""Read API for the seed guide's screens: dashboard, histories, savings card, slip, officer views."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from msgspec import Struct

from server.access import reach_of
from server.auth.service import utcnow
from server.domain.models import DEPOSIT_STATUS_LABELS
from server.domain.savings import SavingsCard, savings_card
from server.domain.terbilang import terbilang
from server.errors import NotFound, RequestError
from server.storage import loans as loan_store
from server.storage import reads, savings
from server.storage.interface import ReadTx

from ..scoping import check_dates, check_page, member_for
from ..security import roles

__all__ = ["ReadController", "history_query"]


class Page(Struct):
    items: list[dict[str, Any]]
    total: int
    page: int
    page_size: int


class Dashboard(Struct):
    member: dict[str, Any]
    balances: list[dict[str, Any]]
    total_savings: int
    plafon_angsuran: int | None = None
    sisa_plafon: int | None = None
    plafon_parts: dict[str, int] | None = None
    """plafon - active_installments - voluntary_deduction = remaining (docs/LOANS.md)."""
    active_loans: list[dict[str, Any]] = []


class CashInHand(Struct):
    officer_id: int
    total: int
    count: int
    items: list[dict[str, Any]]


def _with_loans(conn: ReadTx, dashboard: Dashboard) -> Dashboard:
    """Plafon angsuran, sisa plafon with its parts, and the active loans with their next installment."""
    member_id = dashboard.member["id"]
    if loan_store.load_profile(conn, member_id).plafon is not None:
        parts = loan_store.plafon(conn, member_id, utcnow())
        dashboard.plafon_angsuran, dashboard.sisa_plafon = parts.plafon, parts.remaining
        dashboard.plafon_parts = msgspec.to_builtins(parts)
    for loan in loan_store.member_loans(conn, member_id, ("active",)):
        schedule = loan_store.schedule_paid(conn, loan.id)
        unpaid = [(inst, paid) for inst, paid in schedule if paid < inst.amount]
        nxt = unpaid[0] if unpaid else None
        dashboard.active_loans.append(
            {
                "id": loan.id,
                "code": loan.code,
                "product_id": loan.product_id,
                "amount": loan.amount,
                "tenor": loan.tenor,
                "outstanding": loan.outstanding,
                "monthly_installment": loan.monthly_installment,
                "next_due_date": nxt[0].due_date.isoformat() if nxt else None,
                "next_amount_due": nxt[0].amount - nxt[1] if nxt else 0,
                "installments_paid": len(schedule) - len(unpaid),
            }
        )
    return dashboard


def history_query(
    q: FromQuery[str | None] = None,
    status: FromQuery[list[str] | None] = None,
    date_from: FromQuery[str | None] = None,
    date_to: FromQuery[str | None] = None,
    location_id: FromQuery[int | None] = None,
    member_id: FromQuery[int | None] = None,
    page: FromQuery[int] = 1,
    page_size: FromQuery[int] = 20,
) -> reads.HistoryFilter:
    """The query both histories share (search by code, status, dates, location, member, page), checked."""
    check_page(page, page_size)
    check_dates(date_from, date_to)
    return reads.HistoryFilter(
        q=q,
        statuses=tuple(status or ()),
        date_from=date_from,
        date_to=date_to,
        location_id=location_id,
        member_id=member_id,
        page=page,
        page_size=page_size,
    )


_HISTORY = {"history": Provide(history_query, sync_to_thread=False)}


class ReadController(Controller):
    path = "/api"
    tags = ["reads"]

    @get("/dashboard")
    async def dashboard(self, request: Request, member_id: FromQuery[int | None] = None) -> Dashboard:
        """Dashboard Anggota: balance of each savings type; plafon fields arrive with the loans module."""
        reach = reach_of(request.user)

        def read(conn: ReadTx) -> Dashboard:
            member = member_for(conn, reach, member_id)
            lines = reads.balances(conn, member["id"])
            for line in lines:
                line["available"] = line["balance"] - line["held"]
            dashboard = Dashboard(member=member, balances=lines, total_savings=sum(x["balance"] for x in lines))
            return _with_loans(conn, dashboard)

        return await request.app.state.services.db.read(read)

    async def _history(self, request: Request, table: str, f: reads.HistoryFilter) -> Page:
        reach = reach_of(request.user)
        rows, total = await request.app.state.services.db.read(lambda c: reads.history(c, table, reach, f))
        for row in rows:
            row["status_label"] = DEPOSIT_STATUS_LABELS[row["status"]]
        return Page(rows, total, f.page, f.page_size)

    @get("/deposits", dependencies=_HISTORY)
    async def deposits(
        self, request: Request, history: NamedDependency[reads.HistoryFilter], kind: FromQuery[list[str] | None] = None
    ) -> Page:
        """Riwayat setoran: search by code, filter by type, status, dates and location."""
        return await self._history(request, "deposits", msgspec.structs.replace(history, kinds=tuple(kind or ())))

    @get("/withdrawals", dependencies=_HISTORY)
    async def withdrawals(
        self,
        request: Request,
        history: NamedDependency[reads.HistoryFilter],
        method: FromQuery[list[str] | None] = None,
    ) -> Page:
        """Riwayat penarikan: search by code, filter by status, method, dates and location (each row with
        the transfer ``fee`` fixed when the request was taken)."""
        return await self._history(
            request, "withdrawals", msgspec.structs.replace(history, methods=tuple(method or ()))
        )

    @get("/deposits/{deposit_id:str}/slip")
    async def slip(self, request: Request, deposit_id: FromPath[str]) -> dict[str, Any]:
        """Data for Cetak Slip: the deposit with names, amount in words and verification."""
        reach = reach_of(request.user)

        def read(conn: ReadTx) -> dict[str, Any]:
            slip = reads.slip(conn, deposit_id, reach)
            if slip is None:  # unknown, or not the caller's to see: the same answer
                raise NotFound("deposit_not_found", "Setoran tidak ditemukan.")
            slip["status_label"] = DEPOSIT_STATUS_LABELS[slip["status"]]
            slip["amount_words"] = terbilang(slip["amount"])
            slip["kind_label"] = "Offline (melalui petugas)" if slip["kind"] == "offline" else "Mandiri (transfer)"
            return slip

        return await request.app.state.services.db.read(read)

    @get("/savings-card")
    async def savings_card(
        self,
        request: Request,
        savings_type: FromQuery[str],
        period_start: FromQuery[str],
        period_end: FromQuery[str],
        member_id: FromQuery[int | None] = None,
    ) -> SavingsCard:
        """Kartu Simpanan: opening balance, the period's entries with running balance, closing balance."""
        check_dates(period_start, period_end)
        if period_start > period_end:
            raise RequestError("invalid_period", "Awal periode harus sebelum akhir periode.")
        reach = reach_of(request.user)

        def read(conn: ReadTx) -> SavingsCard:
            member = member_for(conn, reach, member_id)
            if savings.load_savings_type(conn, savings_type) is None:
                raise NotFound("savings_type_not_found", f"Jenis simpanan '{savings_type}' tidak dikenal.")
            opening = reads.opening_balance(conn, member["id"], savings_type, period_start)
            moves = reads.movements(conn, member["id"], savings_type, period_start, period_end)
            return savings_card(savings_type, period_start, period_end, opening, moves)

        return await request.app.state.services.db.read(read)

    @get("/members", guards=[roles("petugas", "pengurus", "admin")])
    async def members(self, request: Request, q: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        """Members the caller may serve (an officer: their locations), searchable by name or number."""
        reach = reach_of(request.user)
        return await request.app.state.services.db.read(lambda c: reads.members(c, reach, q))

    @get("/cash-in-hand", guards=[roles("petugas")])
    async def cash_in_hand(self, request: Request) -> CashInHand:
        """Cash the officer collected that is not yet verified at the branch."""
        user = request.user
        items = await request.app.state.services.db.read(lambda c: reads.cash_in_hand(c, user.id))
        return CashInHand(user.id, sum(i["amount"] for i in items), len(items), items)

    @get("/ledger/verify", guards=[roles("pengurus", "admin")])
    async def verify_ledger(self, request: Request) -> savings.LedgerCheck:
        """Recompute the hash chain and check every balance equals the sum of its ledger entries."""
        return await request.app.state.services.db.read(savings.check_ledger)
