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

from server.domain.loans import LoanSettings
from server.protocol import (
    PROTOCOL_VERSION,
    LoginRequest,
    Mutation,
    MutationOp,
    UserInfo,
    encode,
)

from . import view
from .attachments import LoadedAttachment, load_attachment
from .errors import (
    UPDATE_REQUIRED_MESSAGE,
    InvalidMutation,
    LoginRequired,
    NotConfigured,
    ProtocolMismatch,
    Rejected,
    SyncError,
    TransportError,
)
from .ledger import LedgerVerification, verify_replica
from .loan_methods import LoanMethods
from .models import (
    BalanceView,
    CashInHand,
    DepositView,
    ErrorInfo,
    MemberView,
    QueuedItem,
    SyncStatus,
    SyncSummary,
    WithdrawalView,
)
from .reports import ReportMethods
from .session import Session, expiry_from
from .store import Profile, Store
from .sync import Progress, Round
from .transport import DEFAULT_TIMEOUT, Transport

try:  # POSIX; elsewhere the in-process lock alone guards sync
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]  # no module on Windows; checked before use

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


class SyncClient(LoanMethods, ReportMethods):
    """Local-first access to the cooperative for one device.

    ``db_path`` is the device database (created if missing); ``base_url`` the server, remembered in the
    database so later runs may omit it. ``loan_settings``: overrides the cooperative's loan settings,
    which otherwise come from the server's feed (entity ``loan_settings``). ``clock``: the instant the
    device's date rules use (default: the system clock; dates are taken in the cooperative's zone).
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
        page_limit: int = 5000,
        http: httpx.Client | None = None,
        loan_settings: LoanSettings | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.db_path = str(db_path)
        self._clock = clock
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

    def now(self) -> dt.datetime:
        """This instant (aware, UTC) as the device's date rules see it; ``clock`` replaces it in tests."""
        return self._clock() if self._clock is not None else dt.datetime.now(dt.UTC)

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
                self._transport = Transport(
                    url, timeout=self._timeout, protocol_version=self._protocol_version, http=self._http
                )
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

    def login(self, username: str, password: str, otp: str | None = None) -> UserInfo:
        """Log in online; the user's profile (client id, outbox, replica) becomes the active one.
        ``otp``: the second factor's code, for a user who enrolled one (else ``Rejected`` ``mfa_required``)."""
        transport = self._require_transport()
        username = username.strip()
        profile = self.store.profile_for_username(username) or self.store.create_profile(new_client_id(), username)
        for attempt in range(2):
            request = LoginRequest(username=username, password=password, client_id=profile.client_id, otp=otp)
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
            profile.client_id,
            user=tokens.user,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=expiry_from(tokens),
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
            profile.client_id,
            uuid=mutation_uuid,
            user_id=profile.user.id,
            op=op,
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
        rows = (
            self.store.replica_where(profile.client_id, "deposit", "member_id", member_id)
            if member_id is not None
            else self._rows("deposit")
        )
        return view.deposit_views(rows, self.store.overlay_items(profile.client_id), member_id=member_id, status=status)

    def withdrawals(self, member_id: int | None = None, status: str | None = None) -> list[WithdrawalView]:
        profile = self.profile
        if profile is None:
            return []
        rows = (
            self.store.replica_where(profile.client_id, "withdrawal", "member_id", member_id)
            if member_id is not None
            else self._rows("withdrawal")
        )
        fees = self.store.replica_row(profile.client_id, "fee_settings", "current") or {}
        return view.withdrawal_views(
            rows,
            self.store.overlay_items(profile.client_id),
            member_id=member_id,
            status=status,
            transfer_fee=int(fees.get("withdrawal_transfer_fee") or 0),
        )

    def balances(self, member_id: int) -> list[BalanceView]:
        profile = self.profile
        if profile is None:
            return []
        accounts = self.store.replica_where(profile.client_id, "savings_account", "member_id", member_id)
        return view.balance_views(
            member_id, accounts, self.savings_types(), self.deposits(member_id), self.withdrawals(member_id)
        )

    def verify_ledger(self, member_id: int | None = None) -> LedgerVerification:
        """Check every ledger account chain this device holds (one member's, if given), offline.

        Meaningful after a complete pull (``sync_once``): see ``client_sync.ledger``."""
        profile = self.profile
        if profile is None:
            return verify_replica([])
        if member_id is None:
            entries, accounts, loans = (self._rows(e) for e in ("ledger_entry", "savings_account", "loan"))
        else:
            entries, accounts, loans = (self.store.replica_where(profile.client_id, e, "member_id", member_id)
                                        for e in ("ledger_entry", "savings_account", "loan"))  # fmt: skip
        return verify_replica(entries, accounts, loans, member_id=member_id)

    def cash_in_hand(self) -> CashInHand:
        """The logged-in officer's cash not yet handed in (unverified + pending offline deposits)."""
        profile = self.profile
        if profile is None or profile.user is None:
            return CashInHand(0, 0, 0, 0)
        rows = self.store.replica_where(profile.client_id, "deposit", "created_by", profile.user.id)
        return view.cash_in_hand(view.deposit_views(rows, self.store.overlay_items(profile.client_id)), profile.user.id)

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
            Round(
                self.store, transport, session, profile.client_id, summary, self.batch_size, self.page_limit, progress
            ).run()
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
