"""Administration over HTTP against a real server: every new endpoint × every role, the feed, the
audit log, the board, the time zone and the member directory."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import httpx
import pytest

from server.protocol import DepositCreate
from tests.admin.conftest import ROLES
from tests.support.api import ApiSession, login
from tests.support.servers import ThreadServer

TERM = {"term_start": "2024-01-01", "term_end": "2099-12-31"}

# (method, path, body) of every admin-only endpoint; a valid body, so only the role decides
ADMIN_ONLY: list[tuple[str, str, Any]] = [
    ("POST", "/api/admin/members", {"number": "R-ROLE", "name": "Uji Peran", "location_id": 1}),
    ("PATCH", "/api/admin/members/1", {"name": "Budi Santoso"}),
    ("POST", "/api/admin/members/import?dry_run=true", b"nomor,nama,lokasi\nR-IMP,Uji,1\n"),
    ("PUT", "/api/admin/locations/1", {"name": "Kantor Pusat", "address": "Jl. Slamet Riyadi 10, Surakarta"}),
    ("PUT", "/api/admin/savings-types/sukarela", {"name": "Simpanan Sukarela", "withdrawable": True}),
    ("PUT", "/api/admin/bank-accounts/1", None),  # filled from the server's own row below
    ("PUT", "/api/admin/board/900", {"body": "pengawas", "position": "Anggota", "name": "Uji Peran", **TERM}),
    ("PUT", "/api/admin/settings", {"time_zone": "WIB"}),
]


def _send(session: ApiSession, method: str, path: str, body: Any) -> httpx.Response:
    if isinstance(body, bytes):
        return session.http.request(method, path, content=body, headers={"content-type": "text/csv"})
    return session.http.request(method, path, json=body)


def _bank_account(server: ThreadServer) -> dict[str, Any]:
    with sqlite3.connect(server.db_path) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT bank, number, holder, active FROM bank_accounts WHERE id = 1").fetchone()
    return {**dict(row), "active": bool(row["active"])}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY, ids=[f"{m} {p}" for m, p, _ in ADMIN_ONLY])
def test_admin_endpoints_admit_only_the_admin(
    admin_server: ThreadServer, sessions: dict[str, ApiSession], role: str, method: str, path: str, body: Any
) -> None:
    if body is None:
        body = _bank_account(admin_server)
    if role == "admin" and path == "/api/admin/members":
        body = {**body, "number": f"R-{uuid.uuid4().hex[:8]}"}
    response = _send(sessions[role], method, path, body)
    if role == "admin":
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == 403 and response.json()["code"] == "role_not_allowed"


@pytest.mark.parametrize("role", list(ROLES))
def test_the_audit_log_is_for_the_board_and_the_admin(sessions: dict[str, ApiSession], role: str) -> None:
    response = sessions[role].get("/api/audit")
    if role in ("pengurus", "admin"):
        assert response.status_code == 200 and isinstance(response.json(), list)
    else:
        assert response.status_code == 403 and response.json()["code"] == "role_not_allowed"


@pytest.mark.parametrize("role", list(ROLES))
def test_settings_board_and_directory_are_for_every_role(sessions: dict[str, ApiSession], role: str) -> None:
    s = sessions[role]
    assert s.get("/api/settings").json()["time_zone_label"] in ("WIB", "WITA", "WIT")
    assert isinstance(s.get("/api/board").json(), list)
    found = s.get("/api/directory/members", q="A0002").json()
    assert found == [{"id": 2, "number": "A0002", "name": "Siti Rahayu", "kind": "anggota"}]


def test_a_created_member_reaches_the_officers_of_its_location_and_the_audit_log(
    admin_server: ThreadServer, sessions: dict[str, ApiSession]
) -> None:
    admin = sessions["admin"]
    number = f"N-{uuid.uuid4().hex[:6]}"
    created = admin.http.post(
        "/api/admin/members",
        json={
            "number": number,
            "name": "  Rina   Wati ",
            "kind": "anggota",
            "location_id": 2,
            "birth_date": "1990-05-17",
            "category": "pns",
        },
    )
    assert created.status_code == 201, created.text
    member = created.json()
    assert (member["name"], member["location_id"], member["birth_date"], member["category"]) == (
        "Rina Wati",
        2,
        "1990-05-17",
        "pns",
    )
    officer2, officer1 = login(admin_server.url, "petugas3"), login(admin_server.url, "petugas1")
    feed = officer2.pull_all()
    rows = {c["id"]: c for c in feed if c["entity"] == "member"}
    assert rows[str(member["id"])]["data"]["number"] == number
    profiles = {c["id"]: c["data"] for c in feed if c["entity"] == "payroll_profile"}
    assert (profiles[str(member["id"])]["birth_date"], profiles[str(member["id"])]["category"]) == ("1990-05-17", "pns")
    assert str(member["id"]) not in {c["id"] for c in officer1.pull_all() if c["entity"] == "member"}
    again = admin.http.post("/api/admin/members", json={"number": number, "name": "Lain", "location_id": 1})
    assert again.status_code == 409 and again.json()["code"] == "member_number_taken"

    moved = admin.http.patch(f"/api/admin/members/{member['id']}", json={"location_id": 1, "name": "Rina Wati S."})
    assert moved.status_code == 200 and moved.json()["location_id"] == 1
    assert (
        officer2.pull()["reset"]["reason"] == "scope_changed"
    )  # the old location's officer must rebuild without the member
    assert officer1.pull()["reset"]["reason"] == "scope_changed"  # and the new one's with it
    officer2.cursor = officer1.cursor = ""
    old_view = {(c["entity"], c["data"].get("member_id", c["data"].get("id"))) for c in officer2.pull_all()}
    assert ("member", member["id"]) not in old_view and ("payroll_profile", member["id"]) not in old_view
    new_view = {(c["entity"], c["data"].get("member_id", c["data"].get("id"))) for c in officer1.pull_all()}
    assert ("member", member["id"]) in new_view and ("payroll_profile", member["id"]) in new_view
    entries = sessions["pengurus"].get("/api/audit", entity="member", entity_id=str(member["id"])).json()
    assert [e["action"] for e in entries] == ["member.update", "member.create"]
    assert entries[0]["username"] == "admin"
    assert (entries[0]["before"]["location_id"], entries[0]["after"]["location_id"]) == (2, 1)
    assert entries[0]["before"]["name"] == "Rina Wati" and entries[0]["after"]["name"] == "Rina Wati S."
    assert entries[1]["before"] is None and entries[1]["after"]["number"] == number


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"number": "A 1", "name": "X", "location_id": 1}, 422, "member_number_invalid"),
        ({"number": "Z1", "name": " ", "location_id": 1}, 422, "name_invalid"),
        ({"number": "Z1", "name": "X", "location_id": 99}, 404, "location_not_found"),
        ({"number": "Z1", "name": "X", "location_id": 1, "birth_date": "2999-01-01"}, 422, "birth_date_invalid"),
        ({"number": "Z1", "name": "X", "location_id": 1, "category": "petani"}, 422, "category_invalid"),
        ({"number": "Z1", "name": "X", "location_id": 1, "kind": "koperasi"}, 422, "invalid_request"),
        ({"number": "Z1", "name": "X", "location_id": "1"}, 422, "invalid_request"),
        ({"number": "A0001", "name": "X", "location_id": 1}, 409, "member_number_taken"),
    ],
)
def test_a_bad_member_is_refused_with_a_stable_code_and_nothing_changes(
    admin_server: ThreadServer, sessions: dict[str, ApiSession], body: dict[str, Any], status: int, code: str
) -> None:
    with sqlite3.connect(admin_server.db_path) as conn:
        before = conn.execute("SELECT count(*) FROM members").fetchone()[0]
    response = sessions["admin"].http.post("/api/admin/members", json=body)
    assert response.status_code == status and response.json()["code"] == code, response.text
    with sqlite3.connect(admin_server.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM members").fetchone()[0] == before


def test_reference_data_changes_reach_every_device_through_the_feed(sessions: dict[str, ApiSession]) -> None:
    admin, member = sessions["admin"], sessions["anggota"]
    member.pull_all()
    assert (
        admin.http.put(
            "/api/admin/locations/7", json={"name": "Cabang Makassar", "address": "Jl. Somba Opu 1"}
        ).status_code
        == 200
    )
    assert (
        admin.http.put(
            "/api/admin/savings-types/qurban", json={"name": "Simpanan Qurban", "withdrawable": True}
        ).status_code
        == 200
    )
    assert (
        admin.http.put(
            "/api/admin/bank-accounts/9", json={"bank": "BSI", "number": "7000 123 456", "holder": "Koperasi"}
        ).status_code
        == 200
    )
    seats = admin.http.put(
        "/api/admin/board/1", json={"body": "pengurus", "position": "Ketua", "name": "Ir. Hadi Susanto", **TERM}
    )
    assert seats.status_code == 200
    feed = {(c["entity"], c["id"]): c["data"] for c in member.pull_all()}
    assert feed[("location", "7")]["name"] == "Cabang Makassar"
    assert feed[("savings_type", "qurban")]["withdrawable"] is True
    assert feed[("bank_account", "9")]["bank"] == "BSI"
    assert feed[("board_position", "1")]["position"] == "Ketua"
    assert {"Ir. Hadi Susanto"} <= {p["name"] for p in member.get("/api/board").json()}
    taken = admin.http.put("/api/admin/locations/8", json={"name": "cabang makassar"})
    assert taken.status_code == 409 and taken.json()["code"] == "location_name_taken"
    locked = admin.http.put("/api/admin/savings-types/pokok", json={"name": "Pokok", "withdrawable": True})
    assert locked.status_code == 422 and locked.json()["code"] == "savings_type_locked"
    bad_code = admin.http.put("/api/admin/savings-types/X!", json={"name": "X", "withdrawable": True})
    assert bad_code.status_code == 400 and bad_code.json()["code"] == "savings_type_code_invalid"
    bad_account = admin.http.put("/api/admin/bank-accounts/9", json={"bank": "BSI", "number": "abc", "holder": "K"})
    assert bad_account.status_code == 422 and bad_account.json()["code"] == "bank_account_invalid"
    bad_seat = admin.http.put(
        "/api/admin/board/2", json={"body": "pengawas", "position": "Bendahara", "name": "X", **TERM}
    )
    assert bad_seat.status_code == 422 and bad_seat.json()["code"] == "board_position_invalid"


def test_the_time_zone_is_a_published_setting_used_for_new_codes(
    admin_server: ThreadServer, sessions: dict[str, ApiSession]
) -> None:
    admin, officer = sessions["admin"], sessions["petugas"]
    bad = admin.http.put("/api/admin/settings", json={"time_zone": "UTC"})
    assert bad.status_code == 422 and bad.json()["code"] == "time_zone_invalid"
    try:
        changed = admin.http.put("/api/admin/settings", json={"time_zone": "WIT"})
        assert changed.json() == {"time_zone": "Asia/Jayapura", "time_zone_label": "WIT"}
        feed = [c for c in officer.pull_all() if c["entity"] == "coop_settings"]
        assert feed[-1]["data"]["time_zone_label"] == "WIT"
        deposit_id = str(uuid.uuid4())
        results = officer.push_ops(
            DepositCreate(
                deposit_id=deposit_id,
                member_id=1,
                savings_type="sukarela",
                kind="offline",
                amount=25_000,
                location_id=1,
            )
        )
        assert results[0]["status"] == "applied"
        with sqlite3.connect(admin_server.db_path) as conn:
            code, created = conn.execute("SELECT code, created_at FROM deposits WHERE id = ?", (deposit_id,)).fetchone()
        import datetime as dt
        from zoneinfo import ZoneInfo

        assert code[4:8] == f"{dt.datetime.fromisoformat(created).astimezone(ZoneInfo('Asia/Jayapura')):%y%m}"
        audit = sessions["pengurus"].get("/api/audit", entity="coop_settings").json()
        assert audit[0]["after"]["time_zone"] == "Asia/Jayapura"
    finally:
        admin.http.put("/api/admin/settings", json={"time_zone": "WIB"})


def test_the_directory_shows_only_id_number_name_and_kind_and_is_bounded(admin_server: ThreadServer) -> None:
    member = login(admin_server.url, "anggota03")
    by_name = member.get("/api/directory/members", q="sari").json()
    assert by_name and all(set(r) == {"id", "number", "name", "kind"} for r in by_name)
    assert {"Kartika Sari", "Wulan Sari"} <= {r["name"] for r in by_name}
    badan = member.get("/api/directory/members", q="paguyuban").json()
    assert isinstance(badan[0].pop("id"), int)
    assert badan == [{"number": "B0001", "name": "Paguyuban Karyawan Konimex", "kind": "badan"}]
    assert member.get("/api/directory/members", q="%").json() == []  # a wildcard matches only itself
    assert member.get("/api/directory/members", q="a").json() == []  # short queries match whole numbers only
    assert len(member.get("/api/directory/members", q="A00").json()) <= 20
    too_long = member.get("/api/directory/members", q="x" * 51)
    assert too_long.status_code == 400 and too_long.json()["code"] == "directory_query_invalid"
    statuses = [member.get("/api/directory/members", q="Budi").status_code for _ in range(30)]
    assert statuses[-1] == 429 and 200 in statuses
    limited = member.get("/api/directory/members", q="Budi")
    assert limited.json()["code"] == "too_many_requests" and int(limited.headers["Retry-After"]) >= 1
    other = login(admin_server.url, "anggota04")  # the budget is per user
    assert other.get("/api/directory/members", q="Budi").status_code == 200


def test_the_older_admin_actions_are_audited_too(admin_server: ThreadServer, sessions: dict[str, ApiSession]) -> None:
    admin = sessions["admin"]
    created = admin.http.post(
        "/api/admin/users",
        json={
            "username": f"petugas{uuid.uuid4().hex[:5]}",
            "name": "Petugas Baru",
            "role": "petugas",
            "password": "kopi-tubruk-manis-42",
            "location_ids": [1],
        },
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert admin.http.post(f"/api/admin/officers/{user_id}/locations", json={"location_ids": [2]}).status_code == 200
    assert admin.http.post(f"/api/admin/users/{user_id}/revoke-sessions").status_code == 200
    profile = admin.http.put(
        "/api/admin/members/20/payroll-profile", json={"plafon": 1_500_000, "category": "karyawan"}
    )
    assert profile.status_code == 200, profile.text
    assert admin.http.post("/api/admin/members/20/deactivate").status_code == 200
    log = sessions["pengurus"].get("/api/audit", limit=20).json()
    actions = [(e["action"], e["entity_id"]) for e in log]
    for expected in [
        ("user.create", str(user_id)),
        ("officer.locations", str(user_id)),
        ("user.revoke_sessions", str(user_id)),
        ("payroll_profile.save", "20"),
        ("member.deactivate", "20"),
    ]:
        assert expected in actions
    moved = next(e for e in log if e["action"] == "officer.locations")
    assert (moved["before"], moved["after"]) == ({"location_ids": [1]}, {"location_ids": [2]})
    left = next(e for e in log if e["action"] == "member.deactivate")
    assert (left["before"]["active"], left["after"]["active"]) == (True, False)
    page = sessions["pengurus"].get("/api/audit", limit=2, before_id=log[1]["id"]).json()
    assert [e["id"] for e in page] == [e["id"] for e in log[2:4]]
    with sqlite3.connect(admin_server.db_path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("DELETE FROM audit_log")


def test_the_admin_lists_renames_and_deactivates_users(
    admin_server: ThreadServer, sessions: dict[str, ApiSession]
) -> None:
    admin = sessions["admin"]
    listed = {u["username"]: u for u in admin.get("/api/admin/users").json()}
    assert listed["petugas1"]["location_ids"] == [1] and listed["anggota01"]["member_id"] == 1
    assert all("password_hash" not in u for u in listed.values())
    victim = login(admin_server.url, "anggota07")
    renamed = admin.http.patch(f"/api/admin/users/{listed['anggota07']['id']}", json={"name": "Hendra W."})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Hendra W."
    assert victim.get("/api/auth/me").status_code == 200
    off = admin.http.patch(f"/api/admin/users/{listed['anggota07']['id']}", json={"active": False})
    assert off.status_code == 200 and off.json()["active"] is False
    assert victim.get("/api/auth/me").status_code == 401
    self_off = admin.http.patch(f"/api/admin/users/{listed['admin']['id']}", json={"active": False})
    assert self_off.status_code == 409 and self_off.json()["code"] == "cannot_deactivate_self"
    unknown = admin.http.patch("/api/admin/users/999999", json={"name": "X"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "user_not_found"
    log = sessions["pengurus"].get("/api/audit", entity="user", entity_id=str(listed["anggota07"]["id"])).json()
    assert [(e["before"]["active"], e["after"]["active"]) for e in log if e["action"] == "user.update"][0] == (
        True,
        False,
    )
    for role in ("anggota", "petugas", "pengurus"):
        assert sessions[role].get("/api/admin/users").status_code == 403
        assert sessions[role].http.patch("/api/admin/users/1", json={"name": "X"}).status_code == 403


def test_a_member_moved_with_savings_takes_their_accounts_and_ledger_to_the_new_location(
    admin_server: ThreadServer,
) -> None:
    admin = login(admin_server.url, "admin")
    before_old, before_new = login(admin_server.url, "petugas2"), login(admin_server.url, "petugas3")
    assert ("savings_account", 3) in _member_rows(before_old.pull_all(), 3)
    assert _member_rows(before_new.pull_all(), 3) == set()
    assert admin.http.patch("/api/admin/members/3", json={"location_id": 2}).status_code == 200
    rebuilt_old, rebuilt_new = before_old.pull_all(), before_new.pull_all()
    assert _member_rows(rebuilt_old, 3) == set()
    assert {("member", 3), ("savings_account", 3), ("ledger_entry", 3)} <= _member_rows(rebuilt_new, 3)
    # transactions keep the location they were made at: the opening deposit stays with location 1
    assert [c for c in rebuilt_old if c["entity"] == "deposit" and c["data"]["member_id"] == 3]
    assert not [c for c in rebuilt_new if c["entity"] == "deposit" and c["data"]["member_id"] == 3]


def _member_rows(changes: list[dict[str, Any]], member_id: int) -> set[tuple[str, int]]:
    """(entity, member) of the member-scoped rows about ``member_id`` a device holds after these changes."""
    out = set()
    for c in changes:
        data = c["data"] or {}
        owner = data.get("member_id", data.get("id") if c["entity"] == "member" else None)
        if owner == member_id and c["entity"] in ("member", "savings_account", "payroll_profile", "ledger_entry"):
            out.add((c["entity"], member_id))
    return out
