"""``/api/auth`` (login, refresh, logout, password change) and the admin's users, sessions, lockouts
and officer locations. The SQL lives in ``server/storage/accounts.py``, the rules in ``server/auth/``."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct

from server.auth import users
from server.auth.second_factor import mfa_key
from server.auth.service import user_info, utcnow
from server.auth.throttle import account_key, address_key, wait_seconds
from server.errors import InvalidInput, NotFound
from server.protocol import LoginRequest, RefreshRequest, TokenResponse, UserInfo
from server.storage import accounts, savings
from server.storage.admin import record_audit
from server.storage.database import Connection

from ..security import check_protocol_version, roles
from ..strict import strict_body
from . import admin as admin_api

__all__ = ["AuthController", "AdminController", "client_address"]


def audit(
    conn: Connection,
    admin_id: int,
    action: str,
    entity: str,
    entity_id: object,
    before: object,
    after: object,
    now: str,
) -> None:
    """Every admin action goes to the audit log (``storage/admin.py``), in the action's own transaction."""
    record_audit(
        conn,
        user_id=admin_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=before,
        after=after,
        at=dt.datetime.fromisoformat(now),
    )


def client_address(request: Request) -> str:
    """The peer's address, the key of per-address throttling (behind a reverse proxy: the proxy's)."""
    return request.client.host if request.client else ""


class PasswordChange(Struct, forbid_unknown_fields=True):
    username: Annotated[str, Meta(min_length=1, max_length=100)]
    current_password: Annotated[str, Meta(min_length=1, max_length=200)]
    new_password: Annotated[str, Meta(max_length=200)]
    otp: Annotated[str, Meta(min_length=1, max_length=40)] | None = None
    """The authenticator (or a recovery) code: required, as at login, when the user has a second factor."""


class PasswordChanged(Struct):
    user_id: int
    sessions_ended: bool = True
    """Every session of the user ended: log in again with the new password."""


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", status_code=200, exclude_from_auth=True)
    async def login(self, request: Request, data: JSONBody[LoginRequest]) -> TokenResponse:
        """Log in with username and password on a device (``client_id``); returns tokens.

        Failed attempts are throttled per account and per address (429 ``too_many_attempts`` with
        ``Retry-After``); a user whose password was reset gets 403 ``password_change_required``."""
        check_protocol_version(request)
        body = await strict_body(request, LoginRequest)
        return await request.app.state.services.auth.login(body, client_address(request))

    @post("/password", status_code=200, exclude_from_auth=True)
    async def change_password(self, request: Request, data: JSONBody[PasswordChange]) -> PasswordChanged:
        """Change one's own password, proven by the current one (and the second factor's code when the
        user has one: 401 ``mfa_required`` without it); also the way out of ``password_change_required``.
        Throttled like login."""
        check_protocol_version(request)
        body = await strict_body(request, PasswordChange)
        user = await request.app.state.services.auth.change_password(
            body.username, body.current_password, body.new_password, client_address(request), body.otp
        )
        return PasswordChanged(user_id=user.id)

    @post("/refresh", status_code=200, exclude_from_auth=True)
    async def refresh(self, request: Request, data: JSONBody[RefreshRequest]) -> TokenResponse:
        """A new access token for a device's refresh token (no password; works after days offline)."""
        check_protocol_version(request)
        return await request.app.state.services.auth.refresh(await strict_body(request, RefreshRequest))

    @post("/logout", status_code=204)
    async def logout(self, request: Request) -> None:
        """End this device's session: its refresh token stops working."""
        await request.app.state.services.auth.logout(request.auth)

    @get("/me")
    async def me(self, request: Request) -> UserInfo:
        return user_info(request.user)


class RevokeResult(Struct):
    revoked: int


class LocationsRequest(Struct, forbid_unknown_fields=True):
    location_ids: list[int]


class PasswordReset(Struct, forbid_unknown_fields=True):
    password: str


class ResetResult(Struct):
    user_id: int
    password_change_required: bool


class Lockout(Struct):
    key: str
    """``user:<username>`` or ``addr:<client address>``."""
    failures: int
    blocked_until: str
    retry_after: int


class LockoutClear(Struct, forbid_unknown_fields=True):
    username: str | None = None
    address: str | None = None


class ClearResult(Struct):
    cleared: int


class AdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]
    guards = [roles("admin")]

    @post("/users", status_code=201)
    async def create_user(self, request: Request, data: JSONBody[users.NewUser]) -> UserInfo:
        """A new login; its user must change the password the admin chose at their first login."""
        spec = await strict_body(request, users.NewUser)
        users.check_new_user(spec)
        password_hash = await request.app.state.services.auth.hash_password(spec.password, spec.username)
        now = utcnow().isoformat()
        admin_id = request.user.id

        def write(conn: Connection) -> accounts.UserRecord:
            record = users.create_user(conn, spec, password_hash, now, change_required=True)
            audit(conn, admin_id, "user.create", "user", record.id, None, user_info(record), now)
            return record

        return user_info(await request.app.state.services.db.write(write))

    @get("/users")
    async def users(self, request: Request) -> list[admin_api.UserRow]:
        """Every login: role, member, officer locations, active (never a password or its hash)."""
        return await admin_api.list_users(request)

    @post("/users/{user_id:int}/reset-password", status_code=200)
    async def reset_password(
        self, request: Request, user_id: FromPath[int], data: JSONBody[PasswordReset]
    ) -> ResetResult:
        """A forgotten password: a new one the user must change at next login; sessions end, lockout lifted."""
        body = await strict_body(request, PasswordReset)
        user = await request.app.state.services.db.read(lambda c: accounts.user_by_id(c, user_id))
        if user is None:
            raise NotFound("user_not_found", "Pengguna tidak ditemukan.")
        password_hash = await request.app.state.services.auth.hash_password(body.password, user.username)
        now = utcnow().isoformat()
        admin_id = request.user.id

        def write(conn: Connection) -> accounts.UserRecord:
            record = users.reset_password(conn, user_id, password_hash, now)
            audit(conn, admin_id, "user.reset_password", "user", user_id, None, None, now)
            return record

        record = await request.app.state.services.db.write(write)
        return ResetResult(user_id=record.id, password_change_required=record.password_change_required)

    @get("/login-lockouts")
    async def lockouts(self, request: Request) -> list[Lockout]:
        """Accounts and addresses that may not try to log in right now, and for how long."""
        now = time.time()
        rows = await request.app.state.services.db.read(lambda c: accounts.blocked_login_attempts(c, now))
        return [
            Lockout(
                r.key,
                r.failures,
                dt.datetime.fromtimestamp(r.blocked_until, dt.UTC).isoformat(),
                wait_seconds([r], now),
            )
            for r in rows
        ]

    @post("/login-lockouts/clear", status_code=200)
    async def clear_lockout(self, request: Request, data: JSONBody[LockoutClear]) -> ClearResult:
        """Lift the throttling of an account (by username) and/or a client address."""
        body = await strict_body(request, LockoutClear)
        keys = ([account_key(body.username), mfa_key(body.username)] if body.username else []) + (
            [address_key(body.address)] if body.address else []
        )
        if not keys:
            raise InvalidInput("lockout_target_required", "Sebutkan nama pengguna atau alamat yang dibuka.")
        admin_id, now = request.user.id, utcnow().isoformat()

        def write(conn: Connection) -> int:
            audit(conn, admin_id, "login_lockout.clear", "login_lockout", ",".join(keys), None, None, now)
            return accounts.clear_login_attempts(conn, keys)

        return ClearResult(await request.app.state.services.db.write(write))

    @post("/users/{user_id:int}/revoke-sessions", status_code=200)
    async def revoke_sessions(self, request: Request, user_id: FromPath[int]) -> RevokeResult:
        """Revoke every session of a user (a lost phone, a member who left)."""
        now = utcnow().isoformat()
        admin_id = request.user.id

        def write(conn: Connection) -> int:
            count = accounts.revoke_user_sessions(conn, user_id, now)
            audit(conn, admin_id, "user.revoke_sessions", "user", user_id, None, {"revoked": count}, now)
            return count

        return RevokeResult(revoked=await request.app.state.services.db.write(write))

    @post("/members/{member_id:int}/deactivate", status_code=200)
    async def deactivate_member(self, request: Request, member_id: FromPath[int]) -> dict[str, object]:
        """A member leaves the cooperative: the member is kept (history, ledger) but inactive, new
        transactions for them are refused (``member_inactive``), and their own logins and sessions end."""
        now, admin_id = utcnow().isoformat(), request.user.id

        def write(conn: Connection) -> dict[str, object]:
            member = savings.load_member(conn, member_id)
            if member is None:
                raise NotFound("member_not_found", "Anggota tidak ditemukan.")
            left = savings.deactivate_member(conn, member)
            audit(conn, admin_id, "member.deactivate", "member", member_id, member, left, now)
            return {
                "member_id": member_id,
                "active": False,
                "users_deactivated": accounts.deactivate_member_users(conn, member_id, now),
            }

        return await request.app.state.services.db.write(write)

    @post("/officers/{user_id:int}/locations", status_code=200)
    async def set_officer_locations(
        self, request: Request, user_id: FromPath[int], data: JSONBody[LocationsRequest]
    ) -> UserInfo:
        """Move an officer; their devices are told to rebuild their replica (scope changed)."""

        data = await strict_body(request, LocationsRequest)
        admin_id = request.user.id

        def write(conn: Connection) -> accounts.UserRecord:
            user = accounts.user_by_id(conn, user_id)
            if user is None or user.role != "petugas":
                raise NotFound("officer_not_found", "Petugas tidak ditemukan.")
            for loc in data.location_ids:
                if not savings.location_exists(conn, loc):
                    raise NotFound("location_not_found", f"Lokasi {loc} tidak ditemukan.")
            accounts.assign_locations(conn, user_id, data.location_ids)
            record = accounts.user_by_id(conn, user_id)
            assert record is not None
            audit(
                conn,
                admin_id,
                "officer.locations",
                "user",
                user_id,
                {"location_ids": list(user.location_ids)},
                {"location_ids": list(record.location_ids)},
                utcnow().isoformat(),
            )
            return record

        return user_info(await request.app.state.services.db.write(write))
