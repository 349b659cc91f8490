"""Login, refresh, logout and password changes: the use cases behind ``/api/auth``.

Password checks (argon2, deliberately slow and memory-hard) run on worker threads through a bounded
gate (``gate.py``), never on the single writer. Failed checks are counted per account and per
client address (``throttle.py``); a throttled key is refused before any hashing, so a flood costs
the server a database read per request, not 64 MiB.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from server.errors import AccessDenied, AuthError, InvalidInput, TooManyAttempts
from server.protocol import LoginRequest, RefreshRequest, TokenResponse, UserInfo
from server.settings import Settings
from server.storage import accounts, feed
from server.storage import mfa as mfa_store
from server.storage.accounts import UserRecord
from server.storage.database import Connection, Database

from .gate import PasswordGate
from .passwords import Passwords
from .policy import check_password
from .second_factor import SecondFactor
from .throttle import ThrottlePolicy, account_key, address_key, after_failure, wait_seconds
from .tokens import TokenSigner, hash_refresh_token, new_refresh_token

__all__ = ["AuthService", "LoginLimits", "user_info", "utcnow"]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def user_info(user: UserRecord) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        name=user.name,
        role=user.role,
        member_id=user.member_id,
        location_ids=list(user.location_ids),
    )


class LoginLimits:
    """The throttling policies and the password rules, from the settings."""

    def __init__(self, account: ThrottlePolicy, address: ThrottlePolicy, gate: PasswordGate, min_length: int) -> None:
        self.account = account
        self.address = address
        self.gate = gate
        self.min_length = min_length

    @classmethod
    def from_settings(cls, s: Settings) -> LoginLimits:
        account = ThrottlePolicy(
            s.login_free_failures,
            s.login_delay_seconds,
            s.login_delay_max_seconds,
            s.login_lockout_failures,
            s.login_lockout_seconds,
            s.login_window_seconds,
        )
        # an address gets no small waits (an office behind one NAT shares it), only the lockout
        address = ThrottlePolicy(
            s.login_address_failures, 0, 0, s.login_address_failures, s.login_lockout_seconds, s.login_window_seconds
        )
        gate = PasswordGate(s.password_checks_concurrent, s.password_checks_waiting)
        return cls(account, address, gate, s.password_min_length)


TOO_MANY = "Terlalu banyak percobaan masuk yang gagal; coba lagi dalam {seconds} detik."


class AuthService:
    def __init__(
        self,
        db: Database,
        passwords: Passwords,
        signer: TokenSigner,
        refresh_ttl: int,
        limits: LoginLimits,
        second_factor: SecondFactor,
    ) -> None:
        self.second_factor = second_factor
        self.db = db
        self.passwords = passwords
        self.signer = signer
        self.refresh_ttl = refresh_ttl
        self.limits = limits
        # checked when the username is unknown, with the same cost, so timing reveals no usernames
        self._dummy_hash = passwords.hash(secrets.token_hex(16))

    # --- password checks, throttled ---------------------------------------------------------------

    async def _refuse_if_throttled(self, keys: list[str]) -> dict[str, accounts.AttemptRow]:
        """The keys' counts; a key that must still wait is refused here, before any hashing."""
        now = time.time()
        rows = await self.db.read(lambda c: accounts.login_attempts(c, keys))
        wait = wait_seconds(list(rows.values()), now)
        if wait:
            raise TooManyAttempts("too_many_attempts", TOO_MANY.format(seconds=wait), wait)
        return rows

    async def _record_failure(self, keys: list[str]) -> None:
        now = time.time()
        account, address = self.limits.account, self.limits.address

        def write(conn: Connection) -> None:
            previous = accounts.login_attempts(conn, keys)
            for key in keys:
                policy = address if key.startswith("addr:") else account
                accounts.save_login_attempt(
                    conn, after_failure(previous.get(key), key, now, policy), forget_before=now - policy.window_seconds
                )

        await self.db.write(write)

    async def _check_password(self, username: str, password: str, address: str) -> UserRecord:
        """The user whose password this is; a wrong one is counted and answered 401, a throttled
        key 429 before any hashing, a full gate 503."""
        keys = [account_key(username), address_key(address)]
        counted = await self._refuse_if_throttled(keys)
        user = await self.db.read(lambda c: accounts.user_by_username(c, username))
        stored = user.password_hash if user is not None else self._dummy_hash
        ok = await self.limits.gate.run(self._verify_unless_throttled, keys, stored, password)
        if user is None or not ok:
            await self._record_failure(keys)
            raise AuthError("invalid_credentials", "Nama pengguna atau kata sandi salah.")
        if not user.active:
            raise AuthError("invalid_credentials", "Nama pengguna atau kata sandi salah.")
        if keys[0] in counted:  # a success forgives the account's failures (not the address's)
            await self.db.write(lambda c: accounts.clear_login_attempts(c, keys[:1]))
        return user

    def _verify_unless_throttled(self, keys: list[str], stored: str, password: str) -> bool:
        """On the worker, once a slot is ours: failures counted while this check waited still stop it."""
        rows = self.db.read_sync(lambda c: accounts.login_attempts(c, keys))
        wait = wait_seconds(list(rows.values()), time.time())
        if wait:
            raise TooManyAttempts("too_many_attempts", TOO_MANY.format(seconds=wait), wait)
        return self.passwords.verify(stored, password)

    async def hash_password(self, password: str, username: str = "") -> str:
        """A new password that passes the policy, hashed through the gate."""
        check_password(password, min_length=self.limits.min_length, username=username)
        return await self.limits.gate.run(self.passwords.hash, password)

    # --- use cases --------------------------------------------------------------------------------

    async def login(self, request: LoginRequest, address: str = "") -> TokenResponse:
        user = await self._check_password(request.username, request.password, address)
        if user.password_change_required:
            raise AccessDenied(
                "password_change_required",
                "Kata sandi Anda harus diganti sebelum masuk (POST /api/auth/password).",
                {"change_password": "/api/auth/password"},
            )
        await self.second_factor.check_login(user, request.otp)  # second_factor.py: TOTP or a recovery code
        enrolment_required = self.second_factor.enrolment_required(
            user, await self.db.read(lambda c: mfa_store.enrolled(c, user.id))
        )
        refresh = new_refresh_token()
        session_id = secrets.token_hex(16)
        now = utcnow()

        def write(conn: Connection) -> None:
            owner = feed.client_owner(conn, request.client_id)
            if owner is not None and owner != user.id:
                raise AccessDenied(
                    "client_owned_by_other_user", "Perangkat ini sudah dipakai pengguna lain; gunakan id klien baru."
                )
            feed.register_client(conn, request.client_id, user.id, now.isoformat())
            accounts.insert_session(
                conn,
                session_id=session_id,
                user_id=user.id,
                client_id=request.client_id,
                refresh_hash=hash_refresh_token(refresh),
                now=now.isoformat(),
                expires_at=(now + dt.timedelta(seconds=self.refresh_ttl)).isoformat(),
            )

        await self.db.write(write)
        return TokenResponse(
            self.signer.issue(user.id, session_id),
            refresh,
            self.signer.ttl,
            user_info(user),
            mfa_enrolment_required=enrolment_required,
        )

    async def change_password(
        self, username: str, current: str, new: str, address: str = "", otp: str | None = None
    ) -> UserRecord:
        """One's own password, proven by the current one (also the way out of ``password_change_required``)
        and, for a user with a second factor, by a code as at login: the password alone must not let
        someone take over an account that login protects with two. Every session of the user ends:
        their devices log in again with the new password."""
        user = await self._check_password(username, current, address)
        if new == current:
            raise InvalidInput("password_unchanged", "Kata sandi baru harus berbeda dari yang lama.")
        check_password(new, min_length=self.limits.min_length, username=user.username)  # before a code is spent
        await self.second_factor.check_login(user, otp)
        new_hash = await self.hash_password(new, user.username)
        now = utcnow().isoformat()
        await self.db.write(lambda c: accounts.set_password(c, user.id, new_hash, change_required=False, now=now))
        return user

    async def refresh(self, request: RefreshRequest) -> TokenResponse:
        now = utcnow().isoformat()
        refresh_hash = hash_refresh_token(request.refresh_token)
        session = await self.db.read(lambda c: accounts.session_by_refresh(c, refresh_hash))
        if session is None or session["revoked_at"] is not None or session["expires_at"] <= now:
            raise AuthError("refresh_invalid", "Sesi tidak berlaku lagi; silakan masuk kembali.")
        if session["client_id"] != request.client_id:
            raise AuthError("refresh_invalid", "Token ini milik perangkat lain; silakan masuk kembali.")
        user = await self.db.read(lambda c: accounts.user_with_session(c, session["user_id"], session["id"], now))
        if user is None:
            raise AuthError("refresh_invalid", "Sesi tidak berlaku lagi; silakan masuk kembali.")
        return TokenResponse(
            self.signer.issue(user.id, session["id"]), request.refresh_token, self.signer.ttl, user_info(user)
        )

    async def logout(self, session_id: str) -> None:
        now = utcnow().isoformat()
        await self.db.write(lambda c: accounts.revoke_session(c, session_id, now))

    def live_user(self, user_id: int, session_id: str) -> UserRecord | None:
        """The user as they are now (role, locations), while their session is live."""
        now = utcnow().isoformat()
        return self.db.read_sync(lambda c: accounts.user_with_session(c, user_id, session_id, now))

    def authenticate(self, token: str) -> tuple[UserRecord, str]:
        """The live user and session behind an access token (a quick indexed read)."""
        claims = self.signer.verify(token)
        user = self.live_user(claims.user_id, claims.session_id)
        if user is None:
            raise AuthError("session_revoked", "Sesi telah diakhiri; silakan masuk kembali.")
        return user, claims.session_id
