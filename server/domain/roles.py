"""Changing a user's role: which changes an admin may make, and what the user keeps.

Pure rules over facts the caller read in the write transaction. What a role carries (``models``):
only an *anggota* login names a member (it sees that member's data), and only a *petugas* has
locations (only an officer's locations widen what they see, ``server/access.py``). So a user
leaving *anggota* loses the member link, one entering it must name an active member; a user leaving
*petugas* loses its locations (kept, they would silently come back with a later promotion), one
entering it gets the locations given (possibly none).
"""

from __future__ import annotations

from msgspec import Struct

from server.errors import InvalidInput, InvalidState, NotFound

from .models import OFFICER, Role

__all__ = ["ROLES", "RoleChange", "UserFacts", "RolePlan", "plan_role_change"]

ROLES: tuple[Role, ...] = ("anggota", "petugas", "pengurus", "admin")
MEMBER_ROLE: Role = "anggota"
ADMIN_ROLE: Role = "admin"


class RoleChange(Struct, forbid_unknown_fields=True):
    """``POST /api/admin/users/{id}/role``."""

    role: str
    member_id: int | None = None
    """Required for (and only for) ``anggota``: the member whose data the login sees."""
    location_ids: list[int] = []
    """Only for ``petugas``: the locations the officer serves (may be empty)."""


class UserFacts(Struct, frozen=True):
    id: int
    role: Role
    active: bool
    member_id: int | None
    location_ids: tuple[int, ...]


class RolePlan(Struct, frozen=True):
    """What to write; ``changed`` False means the request asks for what already is."""

    role: Role
    member_id: int | None
    location_ids: tuple[int, ...]
    changed: bool


def plan_role_change(
    admin_id: int | None, user: UserFacts, change: RoleChange, *, active_admins: int, member_active: bool | None
) -> RolePlan:
    """Check a role change and say what the user keeps.

    ``admin_id`` is the acting admin (None: the command line), ``active_admins`` the number of
    active admins now, ``member_active`` whether ``change.member_id`` names an active member (None:
    no such member). Refusals: 409 ``cannot_change_own_role``, ``last_admin``, ``member_inactive``;
    422 ``role_invalid``, ``member_id_invalid``, ``locations_invalid``; 404 ``member_not_found``.
    """
    if change.role not in ROLES:
        raise InvalidInput("role_invalid", f"Peran harus salah satu dari: {', '.join(ROLES)}.", {"roles": list(ROLES)})
    role: Role = change.role
    if admin_id is not None and user.id == admin_id:
        raise InvalidState("cannot_change_own_role", "Admin tidak dapat mengubah perannya sendiri.")
    if (role == MEMBER_ROLE) != (change.member_id is not None):
        raise InvalidInput("member_id_invalid", "Akun anggota wajib menyebut anggotanya; peran lain tidak.")
    if change.location_ids and role != OFFICER:
        raise InvalidInput("locations_invalid", "Hanya petugas yang punya lokasi.")
    if user.role == ADMIN_ROLE and role != ADMIN_ROLE and user.active and active_admins <= 1:
        raise InvalidState("last_admin", "Admin aktif terakhir tidak dapat diturunkan perannya.")
    if change.member_id is not None and change.member_id != user.member_id:
        if member_active is None:
            raise NotFound("member_not_found", "Anggota tidak ditemukan.")
        if not member_active:
            raise InvalidState("member_inactive", "Anggota sudah tidak aktif; aktifkan dulu anggotanya.")
    locations = tuple(sorted(set(change.location_ids))) if role == OFFICER else ()
    if role == OFFICER and role == user.role and not change.location_ids:
        locations = user.location_ids  # the same role again keeps the officer's locations
    unchanged = (role, change.member_id, locations) == (user.role, user.member_id, user.location_ids)
    return RolePlan(role=role, member_id=change.member_id, location_ids=locations, changed=not unchanged)
