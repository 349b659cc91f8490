"""Login, refresh and logout: the use cases behind ``/api/auth``.

Password checks (argon2, deliberately slow) run on a worker thread, never on the single writer.
"""

from __future__ import annotations

import datetime as dt
import secrets

import anyio.to_thread

from server.errors import AccessDenied, AuthError
from server.protocol import LoginRequest, RefreshRequest, TokenResponse, UserInfo
from server.storage import accounts, feed
from server.storage.accounts import UserRecord
from server.storage.database import Connection, Database

from .passwords import Passwords
from .tokens import TokenSigner, hash_refresh_token, new_refresh_token

__all__ = ["AuthService", "user_info", "utcnow"]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def user_info(user: UserRecord) -> UserInfo:
    return UserInfo(
        id=user.id, username=user.username, name=user.name, role=user.role,  # type: ignore[arg-type]
        member_id=user.member_id, location_ids=list(user.location_ids),
    )


class AuthService:
    def __init__(self, db: Database, passwords: Passwords, signer: TokenSigner, refresh_ttl: int) -> None:
        self.db = db
        self.passwords = passwords
        self.signer = signer
        self.refresh_ttl = refresh_ttl
        # checked when the username is unknown, with the same cost, so timing reveals no usernames
        self._dummy_hash = passwords.hash(secrets.token_hex(16))

    async def login(self, request: LoginRequest) -> TokenResponse:
        user = await self.db.read(lambda c: accounts.user_by_username(c, request.username))
        stored = user.password_hash if user is not None else self._dummy_hash
        ok = await anyio.to_thread.run_sync(self.passwords.verify, stored, request.password)
        if user is None or not ok or not user.active:
            raise AuthError("invalid_credentials", "Nama pengguna atau kata sandi salah.")
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
                conn, session_id=session_id, user_id=user.id, client_id=request.client_id,
                refresh_hash=hash_refresh_token(refresh), now=now.isoformat(),
                expires_at=(now + dt.timedelta(seconds=self.refresh_ttl)).isoformat(),
            )

        await self.db.write(write)
        return TokenResponse(self.signer.issue(user.id, session_id), refresh, self.signer.ttl, user_info(user))

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
