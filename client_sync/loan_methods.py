"""Loans on the device: ``SyncClient``'s loan methods, run offline with the server's own rules.

``server.domain.loans`` runs here on the replica's rows (products, payroll profile, loans, savings,
deduction changes), so the device refuses exactly what the server would refuse, with the same codes
and messages. Kept apart from ``client.py`` so each file holds one idea.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import msgspec

from server.domain import loans as rules
from server.domain.loans import LoanProduct, LoanSettings, PayrollProfile, PlafonBreakdown, RuleCheck
from server.domain.schedule import Schedule
from server.protocol import DeductionChangeCreate, LoanApply, LoanRepay

from . import loans, view
from .coop_time import COOP_SETTINGS, coop_month, coop_today, coop_zone
from .errors import RuleViolation
from .models import DeductionChangeView, LoanDetail, LoanView, QueuedItem

if TYPE_CHECKING:
    from .store import Profile, Store

__all__ = ["LoanMethods"]


class LoanMethods:
    """Mixed into ``SyncClient``: needs its ``store``, ``profile``, ``queue`` and ``new_id``."""

    store: Store
    _loan_settings_override: LoanSettings | None

    if TYPE_CHECKING:

        @property
        def profile(self) -> Profile | None: ...
        def _require_profile(self) -> Profile: ...
        def _rows(self, entity: str) -> list[dict[str, Any]]: ...
        def queue(self, op: Any, attachments: Any = None) -> QueuedItem: ...
        def now(self) -> dt.datetime: ...
        @staticmethod
        def new_id() -> str: ...

    # --- the cooperative's calendar (its time zone, as the server published it) ---------------

    @property
    def coop_zone(self) -> ZoneInfo:
        """The cooperative's time zone: the replica's ``coop_settings`` row, else WIB (none pulled yet)."""
        profile = self.profile
        return coop_zone(self.store.replica_row(profile.client_id, *COOP_SETTINGS) if profile else None)

    def coop_today(self) -> dt.date:
        """Today in the cooperative's zone (at ``now()``): the date the server's date rules will use."""
        profile = self.profile
        return coop_today(self.store.replica_row(profile.client_id, *COOP_SETTINGS) if profile else None, self.now())

    # --- loans (offline: the server's own rules, ``server.domain.loans``, run on the replica) ----

    def _member_rows(self, entity: str, member_id: int) -> list[dict[str, Any]]:
        profile = self.profile
        return self.store.replica_where(profile.client_id, entity, "member_id", member_id) if profile else []

    def loan_products(self) -> list[LoanProduct]:
        """Every product the feed carries (check ``active`` before offering one), by id."""
        return loans.product_list(self._rows("loan_product"))

    def loan_product(self, ref: str | int) -> LoanProduct | None:
        """A product by id or name (see ``loans.find_product``)."""
        return loans.find_product(self.loan_products(), ref)

    def _require_product(self, ref: str | int) -> LoanProduct:
        product = self.loan_product(ref)
        if product is None:
            raise RuleViolation(
                "product_not_found",
                f"Produk pinjaman {ref} tidak ada di data lokal; jalankan sinkronisasi saat online.",
            )
        return product

    def payroll_profile(self, member_id: int) -> PayrollProfile | None:
        """The member's payroll profile (plafon, birth date, deductions); None if the replica has none."""
        profile = self.profile
        row = self.store.replica_row(profile.client_id, "payroll_profile", str(member_id)) if profile else None
        return loans.payroll_profile(row)

    @property
    def loan_settings(self) -> LoanSettings:
        """The cooperative's loan settings: as given to the constructor, else as the server published
        them (feed entity ``loan_settings``), else the defaults."""
        if self._loan_settings_override is not None:
            return self._loan_settings_override
        profile = self.profile
        row = self.store.replica_row(profile.client_id, "loan_settings", "current") if profile else None
        return msgspec.convert(row, LoanSettings) if row else LoanSettings()

    def sisa_plafon(self, member_id: int) -> PlafonBreakdown:
        """Plafon - installments of approved/active loans - voluntary deduction; ``RuleViolation("plafon_not_set")``."""
        return loans.plafon(
            member_id,
            self.payroll_profile(member_id),
            self._member_rows("loan", member_id),
            self._member_rows("deduction_change", member_id),
            self.coop_today(),
        )

    def simulate_loan(
        self, product_id: str | int, amount: int, tenor: int, start_date: dt.date | None = None
    ) -> Schedule:
        """*Simulasi Pinjaman* offline: the schedule the server would fix (product limits are not checked here)."""
        product = self._require_product(product_id)
        with loans.domain_rules():
            return rules.simulate(product, amount, tenor, start_date or self.coop_today())

    def _evaluate(
        self,
        member_id: int,
        product: LoanProduct,
        purpose: str,
        amount: int,
        tenor: int,
        start_date: dt.date,
        settings: LoanSettings | None,
    ) -> loans.Evaluation:
        return loans.evaluate_application(
            product=product,
            member_id=member_id,
            profile=self.payroll_profile(member_id),
            loan_rows=self._member_rows("loan", member_id),
            account_rows=self._member_rows("savings_account", member_id),
            purpose=purpose,
            amount=amount,
            tenor=tenor,
            start_date=start_date,
            settings=settings or self.loan_settings,
            change_rows=self._member_rows("deduction_change", member_id),
            today=self.coop_today(),
        )

    def check_loan(
        self,
        member_id: int,
        product_id: str | int,
        purpose: str,
        amount: int,
        tenor: int,
        start_date: dt.date | None = None,
        settings: LoanSettings | None = None,
    ) -> list[RuleCheck]:
        """Every application rule, passed or not, in the server's order (``APPLICATION_RULES``)."""
        product = self._require_product(product_id)
        start = start_date or self.coop_today()
        return self._evaluate(member_id, product, purpose, amount, tenor, start, settings).checks

    def apply_loan(
        self,
        member_id: int,
        product_id: str | int,
        purpose: str,
        amount: int,
        tenor: int,
        *,
        requested_disbursement_date: dt.date | None = None,
        location_id: int | None = None,
        disbursement_method: str = "tunai",
        bank_name: str | None = None,
        account_number: str | None = None,
        account_holder: str | None = None,
        settings: LoanSettings | None = None,
        loan_id: str | None = None,
    ) -> QueuedItem:
        """*Pengajuan Pinjaman* offline: check every rule on the device, then queue ``loan.apply``.

        Raises ``RuleViolation`` (``failed`` = every failed check) and queues nothing if the server would
        refuse it. The schedule is simulated from ``requested_disbursement_date`` (default: today in the cooperative's zone).
        """
        profile = self._require_profile()
        assert profile.user is not None
        actor = loans.actor_for(profile.user)
        if actor.member_id != member_id:
            raise RuleViolation("not_owner", "Anda hanya dapat mengajukan pinjaman untuk diri sendiri.")
        product = self._require_product(product_id)
        member = next((m for m in view.member_views(self._rows("member")) if m.id == member_id), None)
        if location_id is None:
            locations = [member.location_id] if member is not None else profile.user.location_ids
            if len(locations) != 1:
                raise RuleViolation("location_required", "Pilih lokasi pengajuan pinjaman.")
            location_id = locations[0]
        start = requested_disbursement_date or self.coop_today()
        evaluation = self._evaluate(member_id, product, purpose, amount, tenor, start, settings)
        loan_id = loan_id or self.new_id()
        with loans.domain_rules(evaluation.failed):
            rules.apply_loan(
                loan_id=loan_id,
                code="",
                actor=actor,
                member_id=member_id,
                product=product,
                purpose=purpose,
                amount=amount,
                tenor=tenor,
                requested_disbursement_date=start,
                location_id=location_id,
                disbursement_method=disbursement_method,
                bank_name=bank_name,
                account_number=account_number,
                account_holder=account_holder,
                checks=evaluation.checks,
                schedule=evaluation.schedule,
                now=self.now(),
                tz=self.coop_zone,
            )
        return self.queue(
            LoanApply(
                loan_id=loan_id,
                member_id=member_id,
                product_id=product.id,
                purpose=purpose.strip(),
                amount=amount,
                tenor=tenor,
                requested_disbursement_date=start,
                location_id=location_id,
                disbursement_method=disbursement_method,  # type: ignore[arg-type]  # rules.apply_loan refused others
                bank_name=bank_name,
                account_number=account_number,
                account_holder=account_holder,
            )
        )

    def loans(self, member_id: int | None = None, status: str | None = None) -> list[LoanView]:
        """Loans newest first, applications queued here included (``status='pending'``)."""
        profile = self.profile
        if profile is None:
            return []
        rows = self._member_rows("loan", member_id) if member_id is not None else self._rows("loan")
        return loans.loan_views(
            rows,
            self.store.overlay_items(profile.client_id),
            self.loan_products(),
            member_id=member_id,
            status=status,
            today=self.coop_today(),
        )

    def loan(self, ref: str) -> LoanView | None:
        """A loan by code (PJM-…), id, or an id prefix of 8+ characters."""
        return loans.find_loan(self.loans(), ref)

    def loan_detail(self, ref: str) -> LoanDetail | None:
        """The loan with its installments (paid, fully paid, pending cash allocated) and repayments."""
        profile = self.profile
        found = self.loan(ref)
        if profile is None or found is None:
            return None
        cid = profile.client_id
        return loans.loan_detail(
            found,
            self.store.replica_row(cid, "loan", found.id),
            self.store.replica_row(cid, "loan_schedule", found.id),
            self.store.replica_where(cid, "loan_repayment", "loan_id", found.id),
            self.store.overlay_items(cid),
            self.coop_today(),
        )

    def repay_loan(self, ref: str, amount: int, *, repayment_id: str | None = None) -> QueuedItem:
        """Queue cash an officer received for a loan (``loan.repay``), refused here as the server would."""
        profile = self._require_profile()
        assert profile.user is not None
        found = self.loan(ref)
        row = self.store.replica_row(profile.client_id, "loan", found.id) if found else None
        if row is None:
            raise RuleViolation("loan_not_found", f"Pinjaman {ref} tidak ada di data lokal; jalankan sinkronisasi.")
        cid, loan_id = profile.client_id, str(row["id"])
        loans.check_repayment(
            loans.actor_for(profile.user),
            row,
            self.store.replica_row(cid, "loan_schedule", loan_id),
            self.store.replica_where(cid, "loan_repayment", "loan_id", loan_id),
            self.store.overlay_items(cid),
            amount,
        )
        return self.queue(LoanRepay(repayment_id=repayment_id or self.new_id(), loan_id=loan_id, amount=amount))

    def request_deduction_change(self, member_id: int, new_amount: int, *, change_id: str | None = None) -> QueuedItem:
        """*Pengajuan Perubahan Setoran*: the member's new voluntary payroll deduction, checked against sisa plafon."""
        profile = self._require_profile()
        assert profile.user is not None
        change_id = change_id or self.new_id()
        base = self.payroll_profile(member_id) or PayrollProfile(member_id)
        history = loans.deduction_history(self._member_rows("deduction_change", member_id), member_id)
        in_effect = rules.deduction_for_month(base, history, coop_month(self.coop_today()))
        with loans.domain_rules():  # as the server: the deduction in effect this month is what gets replaced
            rules.request_deduction_change(
                change_id=change_id,
                actor=loans.actor_for(profile.user),
                profile=msgspec.structs.replace(base, voluntary_deduction=in_effect),
                active_monthly_installments=loans.plafon_installments(self._member_rows("loan", member_id), member_id),
                new_amount=new_amount,
                now=self.now(),
                tz=self.coop_zone,
            )
        return self.queue(
            DeductionChangeCreate(
                change_id=change_id, member_id=member_id, savings_type="sukarela", new_amount=new_amount
            )
        )

    def deduction_changes(self, member_id: int | None = None, status: str | None = None) -> list[DeductionChangeView]:
        """Changes of the voluntary deduction newest first, those queued here included (``status='pending'``)."""
        profile = self.profile
        if profile is None:
            return []
        rows = (
            self._member_rows("deduction_change", member_id)
            if member_id is not None
            else self._rows("deduction_change")
        )
        return loans.deduction_change_views(
            rows,
            self.store.overlay_items(profile.client_id),
            loans.profiles_by_member(self._rows("payroll_profile")),
            member_id=member_id,
            status=status,
            today=self.coop_today(),
        )
