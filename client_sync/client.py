"""``SyncClient``: the one object an application uses (login, queue, local view, sync).

It ties the parts together and keeps the device-level rules in one place: which profile is active
(one per user on a shared device, each with its own client id, outbox and replica), that an outbox
item is committed before ``queue`` returns, and that only one sync runs at a time per database file
(a file lock, so the CLI and a background loop in another process do not interleave pages).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
import uuid as uuidlib
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec

from server.domain import loans as rules
from server.domain.loans import LoanProduct, LoanSettings, PayrollProfile, PlafonBreakdown, RuleCheck
from server.domain.models import COOP_TZ
from server.domain.schedule import Schedule
from server.protocol import (
    PROTOCOL_VERSION,
    DeductionChangeCreate,
    LoanApply,
    LoanRepay,
    LoginRequest,
    Mutation,
    MutationOp,
    UserInfo,
    encode,
)

from . import loans, view
from .attachments import LoadedAttachment, load_attachment
from .errors import (
    UPDATE_REQUIRED_MESSAGE,
    InvalidMutation,
    LoginRequired,
    NotConfigured,
    ProtocolMismatch,
    Rejected,
    RuleViolation,
    SyncError,
    TransportError,
)
from .models import (
    BalanceView,
    CashInHand,
    DeductionChangeView,
    DepositView,
    ErrorInfo,
    LoanDetail,
    LoanView,
    MemberView,
    QueuedItem,
    SyncStatus,
    SyncSummary,
    WithdrawalView,
)
from .session import Session, expiry_from
from .store import Profile, Store
from .sync import Progress, Round
from .transport import DEFAULT_TIMEOUT, Transport

try:  # POSIX; elsewhere the in-process lock alone guards sync
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

__all__ = ["SyncClient", "new_client_id", "META_ACTIVE"]

META_ACTIVE = "active_client_id"
_SERVER = "server_url"
_DEVICE = "device_name"
_NEEDS_UPDATE = "needs_update"
_mutation_decoder = msgspec.json.Decoder(Mutation)
T = TypeVar("T")


def new_client_id() -> str:
    """A fresh client id: random, one per (device, user)."""
    return uuidlib.uuid4().hex


class SyncClient:
    """Local-first access to the cooperative for one device.

    ``db_path`` is the device database (created if missing); ``base_url`` the server, remembered in the
    database so later runs may omit it. ``loan_settings``: overrides the cooperative's loan settings,
    which otherwise come from the server's feed (entity ``loan_settings``).
    """

    def __init__(
        self,
        db_path: str | Path,
        base_url: str | None = None,
        *,
        device_name: str | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        protocol_version: int = PROTOCOL_VERSION,
        batch_size: int = 1000,
        page_limit: int = 1000,
        http: httpx.Client | None = None,
        loan_settings: LoanSettings | None = None,
    ) -> None:
        self.db_path = str(db_path)
        self._loan_settings_override = loan_settings
        self.store = Store(db_path)
        if base_url:
            self.store.set_meta(_SERVER, base_url.rstrip("/"))
        if device_name or self.store.get_meta(_DEVICE) is None:
            self.store.set_meta(_DEVICE, device_name or socket.gethostname())
        self.batch_size = batch_size
        self.page_limit = page_limit
        self._timeout = timeout
        self._protocol_version = protocol_version
        self._http = http
        self._transport: Transport | None = None
        self._transport_lock = threading.Lock()
        self._sync_lock = threading.Lock()

    # --- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self.store.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def base_url(self) -> str | None:
        return self.store.get_meta(_SERVER)

    @property
    def device_name(self) -> str:
        return self.store.get_meta(_DEVICE) or ""

    def _require_transport(self) -> Transport:
        url = self.base_url
        if not url:
            raise NotConfigured("no_server", "Alamat server belum diatur (gunakan --server URL).")
        with self._transport_lock:
            if self._transport is None or self._transport.base_url != url:
                if self._transport is not None:
                    self._transport.close()
                self._transport = Transport(url, timeout=self._timeout, protocol_version=self._protocol_version,
                                            http=self._http)
            return self._transport

    # --- identity -----------------------------------------------------------------------------

    @property
    def profile(self) -> Profile | None:
        """The logged-in user's profile on this device (None if nobody is logged in)."""
        client_id = self.store.get_meta(META_ACTIVE)
        return self.store.profile(client_id) if client_id else None

    @property
    def user(self) -> UserInfo | None:
        profile = self.profile
        return profile.user if profile else None

    @property
    def client_id(self) -> str | None:
        profile = self.profile
        return profile.client_id if profile else None

    def _require_profile(self) -> Profile:
        profile = self.profile
        if profile is None or profile.user is None:
            raise LoginRequired("not_logged_in", "Belum masuk; jalankan login saat terhubung ke server.")
        return profile

    def _online(self, fn: Callable[[], T]) -> T:
        """Run an online call, remembering whether the server wants a newer app."""
        try:
            result = fn()
        except ProtocolMismatch:
            self.store.set_meta(_NEEDS_UPDATE, "1")
            raise
        self.store.set_meta(_NEEDS_UPDATE, None)
        return result

    def login(self, username: str, password: str) -> UserInfo:
        """Log in online; the user's profile (client id, outbox, replica) becomes the active one."""
        transport = self._require_transport()
        username = username.strip()
        profile = self.store.profile_for_username(username) or self.store.create_profile(new_client_id(), username)
        for attempt in range(2):
            request = LoginRequest(username=username, password=password, client_id=profile.client_id)
            try:
                tokens = self._online(partial(transport.login, request))
            except Rejected as exc:
                if exc.code == "client_owned_by_other_user" and attempt == 0:
                    profile = self.store.create_profile(new_client_id(), username)
                    continue
                raise
            if profile.user_id is not None and profile.user_id != tokens.user.id and attempt == 0:
                # the username now names another person: never mix two people's queues
                with contextlib.suppress(SyncError):
                    transport.logout(tokens.access_token)
                profile = self.store.create_profile(new_client_id(), username)
                continue
            break
        self.store.save_tokens(
            profile.client_id, user=tokens.user, access_token=tokens.access_token,
            refresh_token=tokens.refresh_token, expires_at=expiry_from(tokens),
        )
        self.store.set_meta(META_ACTIVE, profile.client_id)
        return tokens.user

    def logout(self) -> None:
        """End the session (online if possible) and forget the replica; the outbox is kept for next login."""
        profile = self.profile
        if profile is None:
            return
        if profile.refresh_token and self.base_url:
            with contextlib.suppress(SyncError):
                transport = self._require_transport()
                Session(self.store, transport, profile.client_id).call(transport.logout)
        self.store.clear_tokens(profile.client_id)
        self.store.reset_replica(profile.client_id)
        self.store.set_meta(META_ACTIVE, None)

    # --- outbox -------------------------------------------------------------------------------

    @staticmethod
    def new_id() -> str:
        """A uuid4 string for a new deposit or withdrawal (``deposit_id``/``withdrawal_id``)."""
        return str(uuidlib.uuid4())

    @staticmethod
    def attachment_hash(path: str | Path) -> str:
        """The SHA-256 to put in an op's ``attachment`` field for that file (checks type and size)."""
        return load_attachment(path).sha256

    def queue(self, op: MutationOp, attachments: str | Path | Sequence[str | Path] | None = None) -> QueuedItem:
        """Queue a mutation offline. It is on disk with the next id when this returns.

        ``attachments``: file(s) to upload before the mutation is pushed; the op's ``attachment`` hash
        must be one of them (or already stored on this device).
        """
        profile = self._require_profile()
        assert profile.user is not None
        if isinstance(attachments, (str, Path)):
            attachments = [attachments]
        loaded: list[LoadedAttachment] = []
        for path in attachments or []:
            try:
                loaded.append(load_attachment(path))
            except ValueError as exc:
                raise InvalidMutation(str(exc)) from exc
        named = getattr(op, "attachment", None)
        if named and named not in {a.sha256 for a in loaded} and not self.store.has_attachment(named):
            raise InvalidMutation(f"Lampiran {named[:12]}… belum disertakan; berikan berkas buktinya.")
        mutation_uuid = str(uuidlib.uuid4())
        device_time = dt.datetime.now().astimezone()
        candidate = Mutation(id=1, uuid=mutation_uuid, user_id=profile.user.id, op=op, device_time=device_time)
        try:
            _mutation_decoder.decode(encode(candidate))  # constructors do not check constraints; decoding does
        except msgspec.ValidationError as exc:
            raise InvalidMutation(f"Transaksi tidak sesuai protokol: {exc}") from exc
        return self.store.enqueue(
            profile.client_id, uuid=mutation_uuid, user_id=profile.user.id, op=op,
            device_time=device_time.isoformat(),
            attachments=[(a.sha256, a.content_type, a.path, a.content) for a in loaded],
        )

    def pending(self) -> list[QueuedItem]:
        """Items still shown as pending: not yet answered, or applied but not yet pulled back."""
        profile = self.profile
        return self.store.overlay_items(profile.client_id) if profile else []

    def rejected(self, limit: int | None = None) -> list[QueuedItem]:
        """Items the server refused, newest first, each with its ``code`` and ``message``."""
        profile = self.profile
        if profile is None:
            return []
        return self.store.items(profile.client_id, states=["rejected"], limit=limit, newest_first=True)

    def history(self, limit: int = 50) -> list[QueuedItem]:
        profile = self.profile
        return self.store.items(profile.client_id, limit=limit, newest_first=True) if profile else []

    # --- local view (works offline) -----------------------------------------------------------

    def _rows(self, entity: str) -> list[dict[str, Any]]:
        profile = self.profile
        return self.store.replica(profile.client_id, entity) if profile else []

    def members(self, search: str | None = None) -> list[MemberView]:
        return view.search_members(self._rows("member"), search)

    def member(self, ref: str | int) -> MemberView | None:
        """A member by number (exact, case-insensitive) or, failing that, by numeric id."""
        text = str(ref).strip()
        members = view.member_views(self._rows("member"))
        for m in members:
            if m.number.casefold() == text.casefold():
                return m
        if text.isdigit():
            for m in members:
                if m.id == int(text):
                    return m
        return None

    def savings_types(self) -> list[dict[str, Any]]:
        return self._rows("savings_type")

    def locations(self) -> list[dict[str, Any]]:
        return self._rows("location")

    def deposits(self, member_id: int | None = None, status: str | None = None) -> list[DepositView]:
        profile = self.profile
        if profile is None:
            return []
        rows = (self.store.replica_where(profile.client_id, "deposit", "member_id", member_id)
                if member_id is not None else self._rows("deposit"))
        return view.deposit_views(rows, self.store.overlay_items(profile.client_id), member_id=member_id,
                                  status=status)

    def withdrawals(self, member_id: int | None = None, status: str | None = None) -> list[WithdrawalView]:
        profile = self.profile
        if profile is None:
            return []
        rows = (self.store.replica_where(profile.client_id, "withdrawal", "member_id", member_id)
                if member_id is not None else self._rows("withdrawal"))
        return view.withdrawal_views(rows, self.store.overlay_items(profile.client_id), member_id=member_id,
                                     status=status)

    def balances(self, member_id: int) -> list[BalanceView]:
        profile = self.profile
        if profile is None:
            return []
        accounts = self.store.replica_where(profile.client_id, "savings_account", "member_id", member_id)
        return view.balance_views(member_id, accounts, self.savings_types(), self.deposits(member_id),
                                  self.withdrawals(member_id))

    def cash_in_hand(self) -> CashInHand:
        """The logged-in officer's cash not yet handed in (unverified + pending offline deposits)."""
        profile = self.profile
        if profile is None or profile.user is None:
            return CashInHand(0, 0, 0, 0)
        rows = self.store.replica_where(profile.client_id, "deposit", "created_by", profile.user.id)
        return view.cash_in_hand(view.deposit_views(rows, self.store.overlay_items(profile.client_id)), profile.user.id)

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
            member_id, self.payroll_profile(member_id), self._member_rows("loan", member_id),
            self._member_rows("deduction_change", member_id),
        )

    def simulate_loan(
        self, product_id: str | int, amount: int, tenor: int, start_date: dt.date | None = None
    ) -> Schedule:
        """*Simulasi Pinjaman* offline: the schedule the server would fix (product limits are not checked here)."""
        product = self._require_product(product_id)
        with loans.domain_rules():
            return rules.simulate(product, amount, tenor, start_date or loans.today_wib())

    def _evaluate(
        self, member_id: int, product: LoanProduct, purpose: str, amount: int, tenor: int, start_date: dt.date,
        settings: LoanSettings | None,
    ) -> loans.Evaluation:
        return loans.evaluate_application(
            product=product, member_id=member_id, profile=self.payroll_profile(member_id),
            loan_rows=self._member_rows("loan", member_id),
            account_rows=self._member_rows("savings_account", member_id),
            purpose=purpose, amount=amount, tenor=tenor, start_date=start_date, settings=settings or self.loan_settings,
            change_rows=self._member_rows("deduction_change", member_id),
        )

    def check_loan(
        self, member_id: int, product_id: str | int, purpose: str, amount: int, tenor: int,
        start_date: dt.date | None = None, settings: LoanSettings | None = None,
    ) -> list[RuleCheck]:
        """Every application rule, passed or not, in the server's order (``APPLICATION_RULES``)."""
        product = self._require_product(product_id)
        start = start_date or loans.today_wib()
        return self._evaluate(member_id, product, purpose, amount, tenor, start, settings).checks

    def apply_loan(
        self, member_id: int, product_id: str | int, purpose: str, amount: int, tenor: int, *,
        requested_disbursement_date: dt.date | None = None, location_id: int | None = None,
        disbursement_method: str = "tunai", bank_name: str | None = None, account_number: str | None = None,
        account_holder: str | None = None, settings: LoanSettings | None = None, loan_id: str | None = None,
    ) -> QueuedItem:
        """*Pengajuan Pinjaman* offline: check every rule on the device, then queue ``loan.apply``.

        Raises ``RuleViolation`` (``failed`` = every failed check) and queues nothing if the server would
        refuse it. The schedule is simulated from ``requested_disbursement_date`` (default: today, WIB).
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
        start = requested_disbursement_date or loans.today_wib()
        evaluation = self._evaluate(member_id, product, purpose, amount, tenor, start, settings)
        loan_id = loan_id or self.new_id()
        with loans.domain_rules(evaluation.failed):
            rules.apply_loan(
                loan_id=loan_id, code="", actor=actor, member_id=member_id, product=product, purpose=purpose,
                amount=amount, tenor=tenor, requested_disbursement_date=start, location_id=location_id,
                disbursement_method=disbursement_method, bank_name=bank_name, account_number=account_number,
                account_holder=account_holder, checks=evaluation.checks, schedule=evaluation.schedule,
                now=dt.datetime.now(COOP_TZ),
            )
        return self.queue(LoanApply(
            loan_id=loan_id, member_id=member_id, product_id=product.id, purpose=purpose.strip(), amount=amount,
            tenor=tenor, requested_disbursement_date=start, location_id=location_id,
            disbursement_method=disbursement_method,  # type: ignore[arg-type]
            bank_name=bank_name, account_number=account_number, account_holder=account_holder,
        ))

    def loans(self, member_id: int | None = None, status: str | None = None) -> list[LoanView]:
        """Loans newest first, applications queued here included (``status='pending'``)."""
        profile = self.profile
        if profile is None:
            return []
        rows = self._member_rows("loan", member_id) if member_id is not None else self._rows("loan")
        return loans.loan_views(rows, self.store.overlay_items(profile.client_id), self.loan_products(),
                                member_id=member_id, status=status)

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
            found, self.store.replica_row(cid, "loan", found.id),
            self.store.replica_row(cid, "loan_schedule", found.id),
            self.store.replica_where(cid, "loan_repayment", "loan_id", found.id), self.store.overlay_items(cid),
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
        loans.check_repayment(loans.actor_for(profile.user), row, self.store.replica_row(cid, "loan_schedule", loan_id),
                              self.store.replica_where(cid, "loan_repayment", "loan_id", loan_id),
                              self.store.overlay_items(cid), amount)
        return self.queue(LoanRepay(repayment_id=repayment_id or self.new_id(), loan_id=loan_id, amount=amount))

    def request_deduction_change(self, member_id: int, new_amount: int, *, change_id: str | None = None) -> QueuedItem:
        """*Pengajuan Perubahan Setoran*: the member's new voluntary payroll deduction, checked against sisa plafon."""
        profile = self._require_profile()
        assert profile.user is not None
        change_id = change_id or self.new_id()
        base = self.payroll_profile(member_id) or PayrollProfile(member_id)
        history = loans.deduction_history(self._member_rows("deduction_change", member_id), member_id)
        in_effect = rules.deduction_for_month(base, history, loans.today_wib().strftime("%Y-%m"))
        with loans.domain_rules():  # as the server: the deduction in effect this month is what gets replaced
            rules.request_deduction_change(
                change_id=change_id, actor=loans.actor_for(profile.user),
                profile=msgspec.structs.replace(base, voluntary_deduction=in_effect),
                active_monthly_installments=loans.plafon_installments(self._member_rows("loan", member_id), member_id),
                new_amount=new_amount, now=dt.datetime.now(COOP_TZ),
            )
        return self.queue(DeductionChangeCreate(change_id=change_id, member_id=member_id, savings_type="sukarela",
                                                new_amount=new_amount))

    def deduction_changes(self, member_id: int | None = None, status: str | None = None) -> list[DeductionChangeView]:
        """Changes of the voluntary deduction newest first, those queued here included (``status='pending'``)."""
        profile = self.profile
        if profile is None:
            return []
        rows = (self._member_rows("deduction_change", member_id) if member_id is not None
                else self._rows("deduction_change"))
        return loans.deduction_change_views(rows, self.store.overlay_items(profile.client_id),
                                            loans.profiles_by_member(self._rows("payroll_profile")),
                                            member_id=member_id, status=status)

    def status(self) -> SyncStatus:
        profile = self.profile
        needs_update = self.store.get_meta(_NEEDS_UPDATE) == "1"
        counts = self.store.count_items(profile.client_id) if profile else {"pending": 0, "unsent": 0, "rejected": 0}
        others = self.store.count_items(None, exclude=profile.client_id if profile else "")["unsent"]
        last_error = None
        if profile is not None and profile.last_error_code:
            last_error = ErrorInfo(
                profile.last_error_code, profile.last_error_message or "", profile.last_error_retryable
            )
        if needs_update:
            last_error = ErrorInfo("protocol_version_unsupported", UPDATE_REQUIRED_MESSAGE, False)
        return SyncStatus(
            user=profile.user if profile else None,
            server_url=self.base_url,
            pending=counts["pending"],
            unsent=counts["unsent"],
            rejected=counts["rejected"],
            last_sync_at=profile.last_sync_at if profile else None,
            last_error=last_error,
            needs_update=needs_update,
            needs_login=profile is None or not profile.refresh_token,
            position=profile.position if profile else 0,
            other_users_pending=others,
        )

    # --- sync ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One sync at a time for this database file, across threads and processes."""
        with self._sync_lock:
            if fcntl is None or self.db_path == ":memory:":
                yield
                return
            fd = os.open(self.db_path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                with contextlib.suppress(OSError):
                    fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def sync_once(self, progress: Progress | None = None) -> SyncSummary:
        """Upload attachments, push the outbox, pull the feed. Errors are reported in the summary."""
        summary = SyncSummary()
        try:
            profile = self._require_profile()
            transport = self._require_transport()
        except SyncError as exc:
            summary.errors.append(ErrorInfo(exc.code, exc.message, exc.retryable))
            return summary
        with self._exclusive():
            session = Session(self.store, transport, profile.client_id)
            Round(self.store, transport, session, profile.client_id, summary, self.batch_size, self.page_limit,
                  progress).run()
        if any(e.code == "protocol_version_unsupported" for e in summary.errors):
            self.store.set_meta(_NEEDS_UPDATE, "1")
        elif not any(e.code in ("network", "timeout") for e in summary.errors):
            self.store.set_meta(_NEEDS_UPDATE, None)
        return summary

    def listen(self, stop: threading.Event, on_poke: Callable[[], object] | None = None) -> None:
        """Follow the live channel until ``stop`` is set, calling ``on_poke`` (default: ``sync_once``) per poke."""
        from .loop import backoff_delay

        poke = on_poke or self.sync_once
        failures = 0
        while not stop.is_set():
            try:
                profile = self._require_profile()
                transport = self._require_transport()
                session = Session(self.store, transport, profile.client_id)

                def follow(token: str, transport: Transport = transport, client_id: str = profile.client_id) -> None:
                    for event in transport.events(token, client_id):
                        if stop.is_set():
                            return
                        if event in ("poke", "ready"):  # "ready": (re)connected, pokes may have been missed
                            poke()

                session.call(follow)
                failures = 0
            except (LoginRequired, NotConfigured, ProtocolMismatch):
                failures = max(failures, 6)
            except TransportError:
                failures += 1
            except SyncError:
                failures += 1
            stop.wait(backoff_delay(max(failures, 1)))

    def run_forever(self, stop: threading.Event, interval: float = 30.0, *, listen: bool = False) -> None:
        """Sync every ``interval`` seconds (sooner on a poke) until ``stop`` is set; see ``SyncLoop``."""
        from .loop import SyncLoop

        SyncLoop(self, interval=interval, listen=listen).run(stop)
