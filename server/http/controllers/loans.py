"""Loans for the seed's screens (Pengajuan Pinjaman, Detail Pinjaman, Pengajuan Perubahan Setoran),
the admin's loan products and payroll profiles, and the monthly payroll run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Struct

from server.access import reach_of
from server.auth.service import utcnow
from server.domain import loans
from server.domain.timezone import local_date, zone
from server.errors import InvalidInput, InvalidState, NotFound, RequestError
from server.operations.payroll_run import ImportReport, export_month, import_month
from server.protocol import MAX_AMOUNT
from server.storage import loans as store
from server.storage import savings
from server.storage.admin import record_audit, time_zone
from server.storage.interface import ReadTx, Tx
from server.sync.loan_handlers import evaluate_application

from ..scoping import member_for, member_not_found, visible_loan
from ..security import actor_of, roles
from ..strict import strict_body

__all__ = ["LoanController", "LoanAdminController", "PlafonController", "PayrollController"]


class Simulation(Struct):
    """Simulasi Pinjaman: the schedule and every rule, passed or not (the member sees all of them)."""

    schedule: loans.Schedule
    checks: list[loans.RuleCheck]
    plafon: loans.PlafonBreakdown | None
    admin_fee: int
    disbursed_amount: int = 0
    """What the member receives: the amount less the admin fee (shown before confirming)."""


class LoanDetail(Struct):
    loan: loans.Loan
    status_label: str
    product_name: str
    installments: list[dict[str, Any]]
    repayments: list[dict[str, Any]]


class PayrollProfileInput(Struct, forbid_unknown_fields=True):
    plafon: int | None = None
    birth_date: dt.date | None = None
    category: str = "karyawan"
    voluntary_deduction: int = 0
    mandatory_savings: int = 0


class LoanController(Controller):
    path = "/api"
    tags = ["loans"]

    @get("/loan-products")
    async def products(self, request: Request) -> list[loans.LoanProduct]:
        """Jenis pinjaman: every product with its rates, limits and rounding."""
        return await request.app.state.services.db.read(store.products)

    @get("/loans/simulate")
    async def simulate(
        self,
        request: Request,
        product_id: FromQuery[int],
        amount: FromQuery[int],
        tenor: FromQuery[int],
        purpose: FromQuery[str] = "",
        start_date: FromQuery[dt.date | None] = None,
        member_id: FromQuery[int | None] = None,
    ) -> Simulation:
        """Langkah 2: the schedule of an amount and tenor, with the application rules for the member."""
        reach, settings = reach_of(request.user), request.app.state.services.settings.loan_settings
        if not (0 < amount <= MAX_AMOUNT and 0 < tenor <= 600):
            raise InvalidInput("terms_out_of_range", "Jumlah atau jangka waktu di luar batas yang dapat dihitung.")

        def read(conn: ReadTx) -> Simulation:
            start = start_date or dt.datetime.now(zone(time_zone(conn))).date()  # today in the cooperative's zone
            product = store.load_product(conn, product_id)
            if product is None:
                raise NotFound("product_not_found", f"Jenis pinjaman {product_id} tidak ditemukan.")
            member = member_for(conn, reach, member_id)
            try:
                schedule, checks, breakdown = evaluate_application(
                    conn,
                    member["id"],
                    product,
                    purpose or (product.purposes[0] if product.purposes else "-"),
                    amount,
                    tenor,
                    start,
                    settings,
                    utcnow(),
                )
            except InvalidState as no_plafon:  # plafon not set: still show the schedule
                schedule = loans.simulate(product, amount, tenor, start)
                checks = [loans.RuleCheck(no_plafon.code, False, no_plafon.message)]
                breakdown = None
            fee = loans.admin_fee(product, amount)
            return Simulation(schedule, checks, breakdown, fee, amount - fee)

        return await request.app.state.services.db.read(read)

    @get("/loans")
    async def list_loans(
        self, request: Request, member_id: FromQuery[int | None] = None, status: FromQuery[list[str] | None] = None
    ) -> list[dict[str, Any]]:
        """Riwayat pinjaman of a member (members: their own)."""
        reach = reach_of(request.user)

        def read(conn: ReadTx) -> list[dict[str, Any]]:
            member = member_for(conn, reach, member_id)
            return [
                {**_builtins(loan), "status_label": loans.LOAN_STATUS_LABELS[loan.status]}
                for loan in store.member_loans(conn, member["id"], tuple(status or ()))
            ]

        return await request.app.state.services.db.read(read)

    @get("/loans/{loan_id:str}")
    async def detail(self, request: Request, loan_id: FromPath[str]) -> LoanDetail:
        """Detail Pinjaman / Lihat Angsuran: the schedule with what is paid of each installment."""
        reach = reach_of(request.user)

        def read(conn: ReadTx) -> LoanDetail:
            loan = visible_loan(conn, reach, loan_id)
            product = store.load_product(conn, loan.product_id)
            installments = [
                {**_builtins(inst), "paid": paid, "is_paid": paid >= inst.amount}
                for inst, paid in store.schedule_paid(conn, loan.id)
            ]
            return LoanDetail(
                loan,
                loans.LOAN_STATUS_LABELS[loan.status],
                product.name if product else "",
                installments,
                store.repayments(conn, loan.id),
            )

        return await request.app.state.services.db.read(read)

    @get("/deduction-changes")
    async def deduction_changes(
        self, request: Request, member_id: FromQuery[int | None] = None
    ) -> list[dict[str, Any]]:
        """Pengajuan Perubahan Setoran: history, newest first."""
        reach = reach_of(request.user)

        def read(conn: ReadTx) -> list[dict[str, Any]]:
            return store.member_deduction_changes(conn, member_for(conn, reach, member_id)["id"])

        return await request.app.state.services.db.read(read)


def _builtins(value: Any) -> dict[str, Any]:
    return msgspec.to_builtins(value)


class LoanAdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]
    guards = [roles("admin")]

    @put("/loan-products/{product_id:int}")
    async def save_product(
        self, request: Request, product_id: FromPath[int], data: JSONBody[loans.LoanProduct]
    ) -> loans.LoanProduct:
        """Create or change a loan product (submitted loans keep the terms they applied with)."""
        product = loans.validate_product(await strict_body(request, loans.LoanProduct))
        if product.id != product_id:
            raise RequestError("id_mismatch", "Id produk di alamat dan isi tidak sama.")

        user_id, now = request.user.id, utcnow()

        def write(conn: Tx) -> None:
            if store.product_name_taken(conn, product.name, product.id):
                raise InvalidState("product_name_taken", f"Nama produk '{product.name}' sudah dipakai produk lain.")
            before = store.load_product(conn, product.id)
            store.save_product(conn, product)
            record_audit(
                conn,
                user_id=user_id,
                action="loan_product.save",
                entity="loan_product",
                entity_id=product.id,
                before=before,
                after=product,
                at=now,
            )

        await request.app.state.services.db.write(write)
        return product

    @put("/members/{member_id:int}/payroll-profile")
    async def save_profile(
        self, request: Request, member_id: FromPath[int], data: JSONBody[PayrollProfileInput]
    ) -> loans.PayrollProfile:
        """Plafon angsuran (kept with its history), birth date, category and payroll deductions."""
        given = await strict_body(request, PayrollProfileInput)
        profile = loans.PayrollProfile(member_id, **{f: getattr(given, f) for f in given.__struct_fields__})
        for name in ("plafon", "voluntary_deduction", "mandatory_savings"):
            if (getattr(profile, name) or 0) < 0:
                raise InvalidInput("amount_negative", "Nominal tidak boleh negatif.", {"field": name})
            if (getattr(profile, name) or 0) > MAX_AMOUNT:  # the payroll export would tell HR to deduct it
                raise InvalidInput(
                    "amount_too_large",
                    "Nominal melebihi batas Rp1.000.000.000.000.",
                    {"field": name, "max": MAX_AMOUNT},
                )
        categories = sorted(request.app.state.services.settings.loan_settings.retirement_ages)
        if profile.category not in categories:  # the retirement age (loan rules) is looked up by it
            raise InvalidInput(
                "category_invalid",
                f"Kategori harus salah satu dari: {', '.join(categories)}.",
                {"field": "category", "allowed": categories},
            )
        user_id, now = request.user.id, utcnow()

        def write(conn: Tx) -> loans.PayrollProfile:
            today = local_date(now, zone(time_zone(conn)))  # the cooperative's date
            if profile.birth_date is not None and not dt.date(1900, 1, 1) <= profile.birth_date < today:
                raise InvalidInput("birth_date_invalid", "Tanggal lahir harus setelah 1900 dan sebelum hari ini.")
            if savings.load_member(conn, member_id) is None:
                raise member_not_found()
            before = store.load_profile(conn, member_id)
            store.save_profile(conn, profile, user_id, now)
            record_audit(
                conn,
                user_id=user_id,
                action="payroll_profile.save",
                entity="payroll_profile",
                entity_id=member_id,
                before=before,
                after=profile,
                at=now,
            )
            return profile

        return await request.app.state.services.db.write(write)


class PlafonController(Controller):
    path = "/api/members"
    tags = ["loans"]
    guards = [roles("admin", "pengurus")]

    @get("/{member_id:int}/plafon-history")
    async def plafon_history(self, request: Request, member_id: FromPath[int]) -> list[dict[str, Any]]:
        """Every plafon angsuran a member has had, who set it and when."""
        return await request.app.state.services.db.read(lambda c: store.plafon_history(c, member_id))


class PayrollController(Controller):
    path = "/api/payroll"
    tags = ["payroll"]
    guards = [roles("pengurus", "admin")]

    @post("/{month:str}/export", status_code=200)
    async def export(self, request: Request, month: FromPath[str]) -> Response[str]:
        """The month's deductions for HR as CSV (exporting again gives the same line ids)."""
        actor, now = actor_of(request.user), utcnow()
        text = await request.app.state.services.db.write(lambda c: export_month(c, month, actor, now))
        return Response(
            text,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="potong-gaji-{month}.csv"'},
        )

    @post("/{month:str}/import", status_code=200)
    async def import_results(self, request: Request, month: FromPath[str]) -> ImportReport:
        """HR's result file (the export plus a ``status`` column: lunas/gagal); the raw CSV is the body."""
        body = await request.body()
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RequestError("not_utf8", "Berkas hasil harus teks UTF-8 (CSV).") from None
        actor, now = actor_of(request.user), utcnow()
        return await request.app.state.services.db.write(lambda c: import_month(c, month, text, actor, now))
