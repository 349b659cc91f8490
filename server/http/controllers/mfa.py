"""``/api/auth/mfa``: one's own TOTP second factor (enrol, confirm, status), and the admin's reset.

Any role may enrol (officers and members opt in); for admin and pengurus an enrolled factor is
required at every login, and ``mfa_enforced`` makes enrolling itself required (``security.py``).
The rules are in ``server/auth/second_factor.py``, the SQL in ``server/storage/mfa.py``.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct

from server.auth.second_factor import Confirmed, Enrolment, MfaStatus
from server.errors import NotFound
from server.storage import accounts

from ..security import roles
from ..strict import strict_body

__all__ = ["MfaController", "MfaAdminController"]


class CodeBody(Struct, forbid_unknown_fields=True):
    code: Annotated[str, Meta(min_length=1, max_length=40)]


class ResetResult(Struct):
    user_id: int
    removed: bool


class MfaController(Controller):
    path = "/api/auth/mfa"
    tags = ["auth"]

    @get("")
    async def status(self, request: Request) -> MfaStatus:
        """Whether one's second factor is on, whether it is required, recovery codes left."""
        return await request.app.state.services.auth.second_factor.status(request.user)

    @post("/enrol", status_code=201)
    async def enrol(self, request: Request) -> Enrolment:
        """A new TOTP secret with its ``otpauth://`` URI and an SVG QR code; confirm it with a code
        (409 ``mfa_already_enrolled`` when one is already on: an admin resets it first)."""
        return await request.app.state.services.auth.second_factor.start(request.user)

    @post("/confirm", status_code=200)
    async def confirm(self, request: Request, data: JSONBody[CodeBody]) -> Confirmed:
        """The first code from the app turns the factor on and returns ten recovery codes, once.
        A wrong code is 422 ``mfa_invalid`` and counts towards the throttle (429)."""
        body = await strict_body(request, CodeBody)
        return await request.app.state.services.auth.second_factor.confirm(request.user, body.code)


class MfaAdminController(Controller):
    path = "/api/admin/users"
    tags = ["admin"]
    guards = [roles("admin")]

    @post("/{user_id:int}/mfa/reset", status_code=200)
    async def reset(self, request: Request, user_id: FromPath[int]) -> ResetResult:
        """Remove a user's second factor and recovery codes (a lost phone); they enrol again."""
        services = request.app.state.services
        if await services.db.read(lambda c: accounts.user_by_id(c, user_id)) is None:
            raise NotFound("user_not_found", "Pengguna tidak ditemukan.")
        return ResetResult(user_id=user_id, removed=await services.auth.second_factor.reset(user_id, request.user.id))
