"""Issue 10.1 gaps over HTTP against a real server: a member who left rejoins (their logins only when
the admin asks), and a user's role changes (only by an admin, never their own, the member link and
locations follow the role, sessions end and the device rebuilds with ``reset: scope_changed``)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.protocol import PROTOCOL_HEADER
from tests.admin.conftest import ROLES
from tests.support.api import DEMO_PASSWORD, ApiSession, login
from tests.support.servers import ThreadServer

ENDPOINTS = [
    ("/api/admin/members/11/reactivate", {"reactivate_users": False}),
    ("/api/admin/users/103/role", {"role": "pengurus"}),
]


def _users(admin: ApiSession) -> dict[str, dict[str, Any]]:
    return {u["username"]: u for u in admin.get("/api/admin/users").json()}


def _can_log_in(url: str, username: str) -> bool:
    body = {"username": username, "password": DEMO_PASSWORD, "client_id": "probe-" + username}
    return httpx.post(f"{url}/api/auth/login", json=body, headers={PROTOCOL_HEADER: "1"}).status_code == 200


def _audit(session: ApiSession, entity: str, entity_id: int, action: str) -> list[dict[str, Any]]:
    log = session.get("/api/audit", entity=entity, entity_id=str(entity_id)).json()
    return [e for e in log if e["action"] == action]


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
@pytest.mark.parametrize(("path", "body"), ENDPOINTS, ids=[p for p, _ in ENDPOINTS])
def test_only_the_admin_may_reactivate_members_or_change_roles(
    sessions: dict[str, ApiSession], role: str, path: str, body: dict[str, Any]
) -> None:
    response = sessions[role].http.post(path, json=body)
    assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed")


def test_a_member_who_left_rejoins_but_their_login_stays_off_unless_asked(
    admin_server: ThreadServer, sessions: dict[str, ApiSession]
) -> None:
    admin, officer = sessions["admin"], login(admin_server.url, "petugas1")
    officer.pull_all()
    left = admin.http.post("/api/admin/members/3/deactivate")
    assert left.status_code == 200 and left.json()["users_deactivated"] == [3]
    again = admin.http.post("/api/admin/members/3/reactivate", json={})
    assert again.status_code == 200, again.text
    assert again.json() == {"member_id": 3, "active": True, "users_reactivated": [], "users_inactive": [3]}
    member_rows = [c for c in officer.pull_all() if c["entity"] == "member" and c["id"] == "3"]
    assert [c["data"]["active"] for c in member_rows] == [False, True]  # the officer's replica follows
    assert not _can_log_in(admin_server.url, "anggota03")
    entry = _audit(sessions["pengurus"], "member", 3, "member.reactivate")[0]
    assert (entry["before"]["active"], entry["after"]["active"], entry["after"]["users_reactivated"]) == (
        False,
        True,
        [],
    )
    twice = admin.http.post("/api/admin/members/3/reactivate", json={})
    assert (twice.status_code, twice.json()["code"]) == (409, "member_already_active")
    # with the admin's say-so the login comes back too
    admin.http.post("/api/admin/members/4/deactivate")
    both = admin.http.post("/api/admin/members/4/reactivate", json={"reactivate_users": True}).json()
    assert (both["users_reactivated"], both["users_inactive"]) == ([4], [])
    assert _can_log_in(admin_server.url, "anggota04")
    unknown = admin.http.post("/api/admin/members/99999/reactivate", json={})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "member_not_found")
    bad = admin.http.post("/api/admin/members/4/reactivate", json={"reactivate_users": "ya"})
    assert bad.status_code == 422


def test_a_role_change_follows_the_rules_ends_sessions_and_resets_the_device(
    admin_server: ThreadServer, sessions: dict[str, ApiSession]
) -> None:
    admin = sessions["admin"]
    users = _users(admin)
    officer = login(admin_server.url, "petugas3")
    officer.pull_all()
    old_cursor = officer.cursor
    target = users["petugas3"]["id"]
    assert users["petugas3"]["location_ids"] == [2]

    def change(body: dict[str, Any], user_id: int = target) -> httpx.Response:
        return admin.http.post(f"/api/admin/users/{user_id}/role", json=body)

    refusals = [
        (change({"role": "pengurus"}, users["admin"]["id"]), 409, "cannot_change_own_role"),
        (change({"role": "bendahara"}), 422, "role_invalid"),
        (change({"role": "anggota"}), 422, "member_id_invalid"),
        (change({"role": "pengurus", "member_id": 5}), 422, "member_id_invalid"),
        (change({"role": "pengurus", "location_ids": [1]}), 422, "locations_invalid"),
        (change({"role": "anggota", "member_id": 99999}), 404, "member_not_found"),
        (change({"role": "petugas", "location_ids": [999]}), 404, "location_not_found"),
        (change({"role": "pengurus"}, 999999), 404, "user_not_found"),
    ]
    for response, status, code in refusals:
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert officer.get("/api/auth/me").status_code == 200  # nothing changed so far
    same = change({"role": "petugas"})
    assert same.status_code == 200 and same.json()["location_ids"] == [2]  # asked for what is: no write

    promoted = change({"role": "pengurus"})
    assert promoted.status_code == 200, promoted.text
    assert (promoted.json()["role"], promoted.json()["location_ids"], promoted.json()["member_id"]) == (
        "pengurus",
        [],
        None,
    )
    ended = officer.get("/api/auth/me")
    assert (ended.status_code, ended.json()["code"]) == (401, "session_revoked")
    device = login(admin_server.url, "petugas3", client_id=officer.client_id)  # the same device logs in again
    assert device.user["role"] == "pengurus"
    page = device.pull(cursor=old_cursor)
    assert page["reset"]["reason"] == "scope_changed"
    assert {c["data"]["location_id"] for c in device.pull_all() if c["entity"] == "member"} == {1, 2}
    entry = _audit(sessions["pengurus"], "user", target, "user.role")[0]
    assert (entry["before"]["role"], entry["before"]["location_ids"]) == ("petugas", [2])
    assert (entry["after"]["role"], entry["after"]["location_ids"]) == ("pengurus", [])

    # back to petugas with other locations; then to anggota of an active member, dropping the locations
    assert change({"role": "petugas", "location_ids": [1, 2]}).json()["location_ids"] == [1, 2]
    member = change({"role": "anggota", "member_id": 5}).json()
    assert (member["role"], member["member_id"], member["location_ids"]) == ("anggota", 5, [])
    mine = login(admin_server.url, "petugas3")
    assert {c["data"]["id"] for c in mine.pull_all() if c["entity"] == "member"} == {5}
    # leaving anggota drops the member link
    out = change({"role": "pengurus"}).json()
    assert (out["role"], out["member_id"]) == ("pengurus", None)
    # an inactive member cannot be given a login
    admin.http.post("/api/admin/members/6/deactivate")
    inactive = change({"role": "anggota", "member_id": 6})
    assert (inactive.status_code, inactive.json()["code"]) == (409, "member_inactive")


def test_another_admin_may_be_demoted_while_one_remains(
    admin_server: ThreadServer, sessions: dict[str, ApiSession]
) -> None:
    admin = sessions["admin"]
    created = admin.http.post(
        "/api/admin/users",
        json={"username": "admin-dua", "name": "Admin Dua", "role": "admin", "password": "Kopi-Tubruk-2026"},
    )
    assert created.status_code == 201, created.text
    demoted = admin.http.post(f"/api/admin/users/{created.json()['id']}/role", json={"role": "pengurus"})
    assert demoted.status_code == 200 and demoted.json()["role"] == "pengurus"


def test_a_member_who_left_gets_no_login_back_by_a_new_user_or_by_reactivating_the_old_one(
    admin_server: ThreadServer, sessions: dict[str, ApiSession]
) -> None:
    """Review finding: a role change refused an inactive member, but a new login for them, or setting their
    old login active, gave a member who left a working login (and their data) again."""
    admin = sessions["admin"]
    assert admin.http.post("/api/admin/members/17/deactivate").json()["users_deactivated"] == [17]
    new_login = {"username": "anggota17b", "name": "Anggota 17", "role": "anggota", "member_id": 17}
    created = admin.http.post("/api/admin/users", json={**new_login, "password": "kopi-tubruk-manis-42"})
    assert (created.status_code, created.json()["code"]) == (409, "member_inactive"), created.text
    revived = admin.http.patch("/api/admin/users/17", json={"active": True})
    assert (revived.status_code, revived.json()["code"]) == (409, "member_inactive"), revived.text
    assert "anggota17b" not in _users(admin) and not _users(admin)["anggota17"]["active"]
    assert not _can_log_in(admin_server.url, "anggota17")
    assert admin.http.post("/api/admin/members/17/reactivate", json={}).status_code == 200
    assert admin.http.patch("/api/admin/users/17", json={"active": True}).status_code == 200  # rejoined: allowed
    assert _can_log_in(admin_server.url, "anggota17")
