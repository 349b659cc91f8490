"""Who is in and with what rights: a member who left rejoins, a user gets another role.

Both are admin actions through the single writer, published to the feed and audited (before →
after) in the same transaction. The rules of a role change are in ``server/domain/roles.py``.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, post
from litestar.params import FromPath, JSONBody
from msgspec import Struct

from server.auth.service import utcnow
from server.domain.roles import RoleChange, UserFacts, plan_role_change
from server.errors import InvalidState, NotFound
from server.storage import accounts, savings
from server.storage import admin as store
from server.storage.interface import Tx

from ..security import roles
from ..strict import strict_body
from .admin import UserRow

__all__ = ["MembershipController", "Reactivation", "Reactivated"]


class Reactivation(Struct, forbid_unknown_fields=True):
    reactivate_users: bool = False
    """Also let the member's own logins work again. Off by default: a login ended when the member
    left is an access decision of its own (the phone may be gone, the password shared), so it comes
    back only when the admin says so."""


class Reactivated(Struct):
    member_id: int
    active: bool
    users_reactivated: list[int]
    users_inactive: list[int]
    """The member's logins still inactive (reactivate them here or with ``PATCH /api/admin/users``)."""


def _user_row(conn: Tx, user_id: int) -> dict[str, object] | None:
    return next((u for u in store.list_users(conn) if u["id"] == user_id), None)


class MembershipController(Controller):
    path = "/api/admin"
    tags = ["admin"]
    guards = [roles("admin")]

    @post("/members/{member_id:int}/reactivate", status_code=200)
    async def reactivate_member(
        self, request: Request, member_id: FromPath[int], data: JSONBody[Reactivation]
    ) -> Reactivated:
        """A member who left rejoins: active again (new transactions accepted), published to the feed.
        Their logins stay inactive unless ``reactivate_users`` is true."""
        body = await strict_body(request, Reactivation)
        admin_id, now = request.user.id, utcnow()

        def write(conn: Tx) -> Reactivated:
            member = savings.load_member(conn, member_id)
            if member is None:
                raise NotFound("member_not_found", "Anggota tidak ditemukan.")
            if member.active:
                raise InvalidState("member_already_active", "Anggota ini masih aktif.")
            back = savings.set_member_active(conn, member, True)
            woken = accounts.reactivate_member_users(conn, member_id) if body.reactivate_users else []
            store.record_audit(
                conn,
                user_id=admin_id,
                action="member.reactivate",
                entity="member",
                entity_id=member_id,
                before=member,
                after={**{f: getattr(back, f) for f in back.__struct_fields__}, "users_reactivated": woken},
                at=now,
            )
            still = [int(u["id"]) for u in store.list_users(conn) if u["member_id"] == member_id and not u["active"]]
            return Reactivated(member_id=member_id, active=True, users_reactivated=woken, users_inactive=still)

        return await request.app.state.services.db.write(write)

    @post("/users/{user_id:int}/role", status_code=200)
    async def change_role(self, request: Request, user_id: FromPath[int], data: JSONBody[RoleChange]) -> UserRow:
        """Give a user another role. An admin cannot change their own, the last active admin cannot be
        demoted; the member link and officer locations follow the role (``domain/roles.py``). The
        user's sessions end and their scope generation changes (``reset: scope_changed``)."""
        change = await strict_body(request, RoleChange)
        admin_id, now = request.user.id, utcnow()

        def write(conn: Tx) -> UserRow:
            user = accounts.user_by_id(conn, user_id)
            before = _user_row(conn, user_id)
            if user is None or before is None:
                raise NotFound("user_not_found", "Pengguna tidak ditemukan.")
            member = None if change.member_id is None else savings.load_member(conn, change.member_id)
            plan = plan_role_change(
                admin_id,
                UserFacts(user.id, user.role, user.active, user.member_id, user.location_ids),
                change,
                active_admins=accounts.active_admin_count(conn),
                member_active=None if member is None else member.active,
            )
            if not plan.changed:
                return msgspec.convert(before, UserRow)
            for loc in plan.location_ids:
                if not savings.location_exists(conn, loc):
                    raise NotFound("location_not_found", f"Lokasi {loc} tidak ditemukan.")
            accounts.change_role(conn, user_id, plan.role, plan.member_id, plan.location_ids, now.isoformat())
            after = _user_row(conn, user_id)
            store.record_audit(
                conn,
                user_id=admin_id,
                action="user.role",
                entity="user",
                entity_id=user_id,
                before=before,
                after=after,
                at=now,
            )
            return msgspec.convert(after, UserRow)

        return await request.app.state.services.db.write(write)
