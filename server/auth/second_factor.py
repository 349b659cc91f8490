"""The TOTP use cases: enrol, confirm, check at login, recovery codes, reset by an admin.

Every check of a code and the memory of its time step run in one write task on the single writer,
so two logins racing with the same code cannot both pass. Wrong codes are counted like wrong
passwords (``throttle.py``) under the key ``mfa:<username>``: after a few failures the account must
wait, after more it is locked, and a throttled key is refused before any code is looked at.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from msgspec import Struct

from server.errors import AuthError, InvalidInput, InvalidState, TooManyAttempts
from server.storage import accounts
from server.storage import mfa as store
from server.storage.accounts import UserRecord
from server.storage.admin import record_audit
from server.storage.database import Connection, Database
from server.storage.interface import ReadTx

from . import mfa
from .throttle import ThrottlePolicy, after_failure, wait_seconds
from .totp_key import TotpKey, is_sealed

__all__ = ["SecondFactor", "Enrolment", "Confirmed", "MfaStatus", "mfa_key", "reset_mfa"]

log = logging.getLogger(__name__)

MFA_REQUIRED = "Masukkan kode 6 angka dari aplikasi autentikator (atau kode pemulihan)."
MFA_INVALID = "Kode verifikasi salah."
MFA_REUSED = "Kode verifikasi ini sudah dipakai; tunggu kode berikutnya."
TOO_MANY = "Terlalu banyak kode verifikasi yang salah; coba lagi dalam {seconds} detik."


def reset_mfa(conn: Connection, user_id: int, admin_id: int, at: dt.datetime) -> bool:
    """Remove ``user_id``'s second factor, audited as ``user.mfa_reset`` under ``admin_id`` in the same
    transaction (the secret itself is never logged): the one reset the API and ``lumbung-server
    mfa-reset`` share. True when there was one to remove."""
    removed = store.remove(conn, user_id)
    record_audit(
        conn,
        user_id=admin_id,
        action="user.mfa_reset",
        entity="user",
        entity_id=user_id,
        before={"mfa_enrolled": removed},
        after={"mfa_enrolled": False},
        at=at,
    )
    return removed


def reseal_secrets(conn: Connection, key: TotpKey, admin_id: int, at: dt.datetime) -> tuple[int, list[int]]:
    """Key rotation step 2 (``totp_key.py``): every stored secret sealed again under the ring's first
    key, in one transaction, audited as ``mfa.key_rotated`` under ``admin_id`` (counts only, never a
    secret). Returns how many, and the users whose secret no key of the ring opens (sealed under a
    key this folder lost: they sign in with a recovery code, or an admin resets their MFA)."""
    resealed, unreadable = 0, []
    for user_id, stored in store.stored_secrets(conn):
        try:
            store.replace_secret(conn, user_id, key.reseal(stored))
        except AuthError:
            unreadable.append(user_id)
            continue
        resealed += 1
    record_audit(
        conn,
        user_id=admin_id,
        action="mfa.key_rotated",
        entity="mfa_key",
        entity_id=0,
        before=None,
        after={"resealed": resealed, "unreadable": len(unreadable)},
        at=at,
    )
    return resealed, unreadable


def mfa_key(username: str) -> str:
    return "mfa:" + username.strip().casefold()[:200]


class Enrolment(Struct):
    """Shown once while enrolling: scan the QR (or type the secret), then confirm with a code."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class Confirmed(Struct):
    enrolled: bool
    recovery_codes: list[str]
    """Shown this once; only their hashes are kept. Each works once instead of a TOTP code."""


class MfaStatus(Struct):
    enrolled: bool
    required: bool
    """The role must pass a second factor at login (admin, pengurus once enrolled or when enforced)."""
    enrolment_required: bool
    """Enforced and not yet enrolled: only enrolment is allowed until it is done."""
    recovery_codes_left: int


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class SecondFactor:
    def __init__(self, db: Database, policy: ThrottlePolicy, *, enforced: bool, issuer: str, key: TotpKey) -> None:
        self.db = db
        self.policy = policy
        self.enforced = enforced
        self.issuer = issuer
        self.key = key
        """Seals every stored secret (``totp_key.py``): the table never holds one in clear."""

    async def prepare(self) -> None:
        """At start-up: make the key at first start, seal what is still clear, and warn when a new key
        meets secrets sealed under another (a database restored without its ``totp.key``)."""
        had_key = self.key.exists()
        self.key.ensure()
        if sealed := await self.db.write(self.seal_clear_secrets):
            log.info("sealed %d TOTP secret(s) stored in clear", sealed)
        if not had_key and any(is_sealed(s) for _, s in await self.db.read(store.stored_secrets)):
            log.warning("a new %s meets sealed TOTP secrets: restored without the key? (docs/BACKUP.md)", self.key.path)

    def seal_clear_secrets(self, conn: Connection) -> int:
        """Start-up step: seal the secrets stored in clear before sealing existed; returns how many."""
        clear = [(user_id, s) for user_id, s in store.stored_secrets(conn) if not is_sealed(s)]
        for user_id, secret in clear:
            store.replace_secret(conn, user_id, self.key.seal(secret))
        return len(clear)

    # --- who must -----------------------------------------------------------------------------

    def enrolment_required(self, user: UserRecord, enrolled: bool) -> bool:
        return self.enforced and user.role in mfa.BOARD_ROLES and not enrolled

    def is_enrolled_sync(self, user_id: int) -> bool:
        return self.db.read_sync(lambda c: store.enrolled(c, user_id))

    async def status(self, user: UserRecord) -> MfaStatus:
        def read(conn: ReadTx) -> MfaStatus:
            enrolled = store.enrolled(conn, user.id)
            return MfaStatus(
                enrolled=enrolled,
                required=enrolled or self.enrolment_required(user, enrolled),
                enrolment_required=self.enrolment_required(user, enrolled),
                recovery_codes_left=store.recovery_codes_left(conn, user.id) if enrolled else 0,
            )

        return await self.db.read(read)

    # --- enrolment ----------------------------------------------------------------------------

    async def start(self, user: UserRecord) -> Enrolment:
        secret = mfa.new_secret()

        def write(conn: Connection) -> None:
            row = store.totp_of(conn, user.id)
            if row is not None and row.confirmed:
                raise InvalidState("mfa_already_enrolled", "Verifikasi dua langkah sudah aktif untuk akun ini.")
            # sealed inside the write transaction: a key rotation's re-seal (one write transaction
            # too) is ordered before or after it, never beside it (see totp_key.py)
            store.start_enrolment(conn, user.id, self.key.seal(secret), _now())

        await self.db.write(write)
        uri = mfa.otpauth_uri(secret, user.username, self.issuer)
        return Enrolment(secret=secret, otpauth_uri=uri, qr_svg=mfa.qr_svg(uri))

    async def confirm(self, user: UserRecord, code: str) -> Confirmed:
        await self._refuse_if_throttled(user.username)
        codes = mfa.new_recovery_codes()

        def write(conn: Connection) -> bool:
            row = store.totp_of(conn, user.id)
            if row is None:
                raise InvalidState("mfa_not_started", "Mulai pendaftaran verifikasi dua langkah terlebih dahulu.")
            if row.confirmed:
                raise InvalidState("mfa_already_enrolled", "Verifikasi dua langkah sudah aktif untuk akun ini.")
            step = mfa.accepted_step(self.key.open(row.secret), code, row.last_step)
            if step is None:
                return False
            store.confirm_enrolment(conn, user.id, step, _now())
            store.store_recovery_codes(conn, user.id, [mfa.hash_recovery_code(c) for c in codes])
            return True

        if not await self.db.write(write):
            await self._record_failure(user.username)
            raise InvalidInput("mfa_invalid", MFA_INVALID)
        await self.db.write(lambda c: accounts.clear_login_attempts(c, [mfa_key(user.username)]))
        return Confirmed(enrolled=True, recovery_codes=codes)

    async def new_recovery_codes(self, user: UserRecord) -> Confirmed:
        codes = mfa.new_recovery_codes()

        def write(conn: Connection) -> None:
            if not store.enrolled(conn, user.id):
                raise InvalidState("mfa_not_enrolled", "Verifikasi dua langkah belum aktif untuk akun ini.")
            store.store_recovery_codes(conn, user.id, [mfa.hash_recovery_code(c) for c in codes])

        await self.db.write(write)
        return Confirmed(enrolled=True, recovery_codes=codes)

    async def reset(self, user_id: int, admin_id: int) -> bool:
        """An admin removes a user's second factor (a lost phone); they may enrol again."""
        at = dt.datetime.now(dt.UTC)
        return await self.db.write(lambda conn: reset_mfa(conn, user_id, admin_id, at))

    # --- at login -----------------------------------------------------------------------------

    async def check_login(self, user: UserRecord, code: str | None) -> None:
        """Pass when the user has no second factor, or ``code`` is a fresh TOTP code or an unused
        recovery code; else 401 (``mfa_required``, ``mfa_invalid``, ``mfa_code_reused``) or 429."""
        row = await self.db.read(lambda c: store.totp_of(c, user.id))
        if row is None or not row.confirmed:
            return
        if not code:
            raise AuthError("mfa_required", MFA_REQUIRED, {"mfa": "totp"})
        await self._refuse_if_throttled(user.username)
        totp = mfa.looks_like_totp(code)

        def write(conn: Connection) -> str:
            current = store.totp_of(conn, user.id)
            if current is None or not current.confirmed:
                return "ok"  # reset meanwhile
            if totp:
                secret = self.key.open(current.secret)
                step = mfa.accepted_step(secret, code, current.last_step)
                if step is not None and store.accept_step(conn, user.id, step):
                    return "ok"
                # right code of a step already used: a replay
                return "reused" if mfa.accepted_step(secret, code, -1) is not None else "invalid"
            return "ok" if store.use_recovery_code(conn, user.id, mfa.hash_recovery_code(code), _now()) else "invalid"

        verdict = await self.db.write(write)
        if verdict == "ok":
            await self.db.write(lambda c: accounts.clear_login_attempts(c, [mfa_key(user.username)]))
            return
        await self._record_failure(user.username)
        if verdict == "reused":
            raise AuthError("mfa_code_reused", MFA_REUSED)
        raise AuthError("mfa_invalid", MFA_INVALID)

    # --- throttling ---------------------------------------------------------------------------

    async def _refuse_if_throttled(self, username: str) -> None:
        key = mfa_key(username)
        rows = await self.db.read(lambda c: accounts.login_attempts(c, [key]))
        wait = wait_seconds(list(rows.values()), time.time())
        if wait:
            raise TooManyAttempts("too_many_attempts", TOO_MANY.format(seconds=wait), wait)

    async def _record_failure(self, username: str) -> None:
        key, now, policy = mfa_key(username), time.time(), self.policy

        def write(conn: Connection) -> None:
            previous = accounts.login_attempts(conn, [key]).get(key)
            accounts.save_login_attempt(
                conn, after_failure(previous, key, now, policy), forget_before=now - policy.window_seconds
            )

        await self.db.write(write)
