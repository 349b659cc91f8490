"""The rules of a role change (``server/domain/roles.py``), checked directly."""

from __future__ import annotations

import pytest

from server.domain.roles import RoleChange, UserFacts, plan_role_change
from server.errors import LumbungError

ADMIN = UserFacts(id=1, role="admin", active=True, member_id=None, location_ids=())
OFFICER = UserFacts(id=2, role="petugas", active=True, member_id=None, location_ids=(1, 3))
MEMBER = UserFacts(id=3, role="anggota", active=True, member_id=7, location_ids=())


def _code(
    admin_id: int | None, user: UserFacts, change: RoleChange, admins: int = 2, active: bool | None = True
) -> str:
    with pytest.raises(LumbungError) as caught:
        plan_role_change(admin_id, user, change, active_admins=admins, member_active=active)
    return caught.value.code


def test_the_last_active_admin_cannot_be_demoted_but_one_of_two_can() -> None:
    assert _code(None, ADMIN, RoleChange("pengurus"), admins=1) == "last_admin"
    plan = plan_role_change(None, ADMIN, RoleChange("pengurus"), active_admins=2, member_active=None)
    assert (plan.role, plan.changed) == ("pengurus", True)
    inactive = UserFacts(id=1, role="admin", active=False, member_id=None, location_ids=())
    assert plan_role_change(None, inactive, RoleChange("pengurus"), active_admins=1, member_active=None).changed


def test_an_admin_cannot_change_their_own_role() -> None:
    assert _code(1, ADMIN, RoleChange("admin")) == "cannot_change_own_role"


def test_the_member_link_and_locations_follow_the_role() -> None:
    left = plan_role_change(9, MEMBER, RoleChange("petugas", location_ids=[2, 2]), active_admins=1, member_active=None)
    assert (left.member_id, left.location_ids) == (None, (2,))
    promoted = plan_role_change(9, OFFICER, RoleChange("pengurus"), active_admins=1, member_active=None)
    assert promoted.location_ids == ()
    kept = plan_role_change(9, OFFICER, RoleChange("petugas"), active_admins=1, member_active=None)
    assert (kept.location_ids, kept.changed) == ((1, 3), False)
    assert _code(9, OFFICER, RoleChange("anggota")) == "member_id_invalid"
    assert _code(9, OFFICER, RoleChange("pengurus", member_id=7)) == "member_id_invalid"
    assert _code(9, MEMBER, RoleChange("admin", location_ids=[1])) == "locations_invalid"
    assert _code(9, OFFICER, RoleChange("anggota", member_id=8), active=False) == "member_inactive"
    assert _code(9, OFFICER, RoleChange("anggota", member_id=8), active=None) == "member_not_found"
    assert _code(9, OFFICER, RoleChange("kasir")) == "role_invalid"
