"""``/api/auth`` and the admin's session and location management."""

from __future__ import annotations

from litestar.params import FromPath, JSONBody
from litestar import Controller, Request, get, post
from msgspec import Struct

from server.auth.service import user_info, utcnow
from server.errors import NotFound
from server.protocol import LoginRequest, RefreshRequest, TokenResponse, UserInfo
from server.storage import accounts, savings
from server.storage.database import Connection

from ..security import check_protocol_version, roles
from ..strict import strict_body

__all__ = ["AuthController", "AdminController"]


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", status_code=200, exclude_from_auth=True)
    async def login(self, request: Request, data: JSONBody[LoginRequest]) -> TokenResponse:
        """Log in with username and password on a device (``client_id``); returns tokens."""
        check_protocol_version(request)
        return await request.app.state.services.auth.login(await strict_body(request, LoginRequest))

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


class AdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]
    guards = [roles("admin")]

    @post("/users/{user_id:int}/revoke-sessions", status_code=200)
    async def revoke_sessions(self, request: Request, user_id: FromPath[int]) -> RevokeResult:
        """Revoke every session of a user (a lost phone, a member who left)."""
        now = utcnow().isoformat()
        count = await request.app.state.services.db.write(lambda c: accounts.revoke_user_sessions(c, user_id, now))
        return RevokeResult(revoked=count)

    @post("/members/{member_id:int}/deactivate", status_code=200)
    async def deactivate_member(self, request: Request, member_id: FromPath[int]) -> dict[str, object]:
        """A member leaves the cooperative: the member is kept (history, ledger) but inactive, new
        transactions for them are refused (``member_inactive``), and their own logins and sessions end."""
        now = utcnow().isoformat()

        def write(conn: Connection) -> dict[str, object]:
            member = savings.load_member(conn, member_id)
            if member is None:
                raise NotFound("member_not_found", "Anggota tidak ditemukan.")
            savings.deactivate_member(conn, member)
            return {"member_id": member_id, "active": False,
                    "users_deactivated": accounts.deactivate_member_users(conn, member_id, now)}

        return await request.app.state.services.db.write(write)

    @post("/officers/{user_id:int}/locations", status_code=200)
    async def set_officer_locations(self, request: Request, user_id: FromPath[int], data: JSONBody[LocationsRequest]) -> UserInfo:
        """Move an officer; their devices are told to rebuild their replica (scope changed)."""

        data = await strict_body(request, LocationsRequest)

        def write(conn: Connection) -> accounts.UserRecord:
            user = conn.execute("SELECT username, role FROM users WHERE id = ?", (user_id,)).fetchone()
            if user is None or user["role"] != "petugas":
                raise NotFound("officer_not_found", "Petugas tidak ditemukan.")
            for loc in data.location_ids:
                if not savings.location_exists(conn, loc):
                    raise NotFound("location_not_found", f"Lokasi {loc} tidak ditemukan.")
            accounts.assign_locations(conn, user_id, data.location_ids)
            record = accounts.user_by_username(conn, user["username"])
            assert record is not None
            return record

        return user_info(await request.app.state.services.db.write(write))
