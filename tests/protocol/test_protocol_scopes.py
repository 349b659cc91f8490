"""DESIGN rule 6: scopes are security. The feed and the read API are checked against the database."""

from __future__ import annotations

from typing import Any

from tests.protocol.protocol_helpers import (
    MEMBER_ENTITIES,
    PUBLIC_ENTITIES,
    assert_error,
    cash_deposit,
    pull_to_head,
    query,
    reject_withdrawal,
    replica,
    verify,
    withdrawal,
)
from tests.support.api import login


class Facts:
    """Who each change is about, worked out from the stored rows (not from the feed's scope columns)."""

    def __init__(self, path) -> None:
        self.path = path
        self.member_location = {r[0]: r[1] for r in query(path, "SELECT id, location_id FROM members")}
        self.mutation_owner = {r[0]: r[1] for r in query(path, "SELECT uuid, user_id FROM mutations")}
        self.tx = {
            r[0]: (r[1], r[2], r[3])
            for r in query(
                path,
                "SELECT id, member_id, location_id, created_by FROM deposits UNION ALL"
                " SELECT id, member_id, location_id, created_by FROM withdrawals",
            )
        }
        self.ledger_member = {str(r[0]): r[1] for r in query(path, "SELECT seq, member_id FROM ledger")}
        self.changes = [tuple(r) for r in query(path, "SELECT seq, entity, entity_id FROM changes ORDER BY seq")]

    def member_of(self, entity: str, entity_id: str) -> int:
        if entity in ("member", "payroll_profile"):
            return int(entity_id)
        if entity == "savings_account":
            return int(entity_id.split(":")[0])
        if entity == "ledger_entry":
            return self.ledger_member[entity_id]
        return self.tx[entity_id][0]

    def location_of(self, entity: str, entity_id: str) -> int:
        if entity in ("deposit", "withdrawal"):
            return self.tx[entity_id][1]
        return self.member_location[self.member_of(entity, entity_id)]

    def expected(
        self, user_id: int, *, member_id: int | None = None, locations: set[int] = frozenset(), elevated: bool = False
    ) -> set[int]:
        seqs = set()
        for seq, entity, entity_id in self.changes:
            if entity in PUBLIC_ENTITIES:
                ok = True
            elif entity == "mutation":
                ok = self.mutation_owner[entity_id] == user_id
            elif entity in MEMBER_ENTITIES:
                ok = (
                    elevated
                    or self.member_of(entity, entity_id) == member_id
                    or self.location_of(entity, entity_id) in locations
                    or (entity in ("deposit", "withdrawal") and self.tx[entity_id][2] == user_id)
                )
            else:
                raise AssertionError(f"unknown entity {entity}")
            if ok:
                seqs.add(seq)
        return seqs


def _activity(url: str) -> dict[str, Any]:
    p1, p2, p3 = (login(url, u) for u in ("petugas1", "petugas2", "petugas3"))
    a3, a14 = login(url, "anggota03"), login(url, "anggota14")
    d3, d5, d21 = cash_deposit(3, 50_000, 1), cash_deposit(5, 60_000, 1), cash_deposit(21, 70_000, 1)
    assert [r["status"] for r in p1.push_ops(d3, d5, d21)] == ["applied"] * 3
    assert p2.push_ops(verify(d3.deposit_id), verify(d21.deposit_id))[0]["status"] == "applied"
    d14, d15 = cash_deposit(14, 40_000, 2), cash_deposit(15, 45_000, 2)
    assert [r["status"] for r in p3.push_ops(d14, d15)] == ["applied"] * 2
    w3 = withdrawal(3, 20_000, 1)
    assert a3.push_ops(w3)[0]["status"] == "applied"
    w14 = withdrawal(14, 30_000, 2)
    r14 = a14.push_ops(w14, withdrawal(14, 49_000_000, 2))
    assert [r["status"] for r in r14] == ["applied", "rejected"]
    assert p3.push_ops(reject_withdrawal(w14.withdrawal_id))[0]["status"] == "applied"
    return {"sessions": (p1, p2, p3, a3, a14)}


def test_every_role_pulls_exactly_its_scope(fresh_server):
    _activity(fresh_server.url)
    facts = Facts(fresh_server.db_path)
    all_mutation_users = set(facts.mutation_owner.values())
    assert {101, 102, 103, 3, 14} <= all_mutation_users  # other users' results exist to be leaked

    cases = {
        "anggota03": dict(user_id=3, member_id=3),
        "anggota14": dict(user_id=14, member_id=14),
        "anggota07": dict(user_id=7, member_id=7),
        "petugas1": dict(user_id=101, locations={1}),
        "petugas3": dict(user_id=103, locations={2}),
        "pengurus1": dict(user_id=104, elevated=True),
        "admin": dict(user_id=105, elevated=True),
    }
    for username, scope in cases.items():
        session = login(fresh_server.url, username)
        changes, _ = pull_to_head(session)
        got = [c["seq"] for c in changes]
        assert len(got) == len(set(got)), username
        foreign = [
            c for c in changes if c["entity"] == "mutation" and facts.mutation_owner[c["id"]] != scope["user_id"]
        ]
        assert foreign == [], f"{username} received another user's mutation results"
        expected = facts.expected(**scope)
        assert set(got) == expected, (username, sorted(set(got) - expected)[:10], sorted(expected - set(got))[:10])

        if "member_id" in scope:
            rows = replica(changes)
            for (entity, entity_id), _data in rows.items():
                if entity in MEMBER_ENTITIES:
                    assert facts.member_of(entity, entity_id) == scope["member_id"], (username, entity, entity_id)
            # what the member holds is what the database holds for them
            mine = {k[1]: v for k, v in rows.items() if k[0] == "deposit"}
            db_deposits = {
                r[0]: r[1]
                for r in query(
                    fresh_server.db_path, "SELECT id, status FROM deposits WHERE member_id = ?", scope["member_id"]
                )
            }
            assert {k: v["status"] for k, v in mine.items()} == db_deposits
            accounts = {k[1]: (v["balance"], v["held"]) for k, v in rows.items() if k[0] == "savings_account"}
            db_accounts = {
                f"{r[0]}:{r[1]}": (r[2], r[3])
                for r in query(
                    fresh_server.db_path,
                    "SELECT member_id, savings_type, balance, held FROM savings_accounts WHERE member_id = ?",
                    scope["member_id"],
                )
            }
            assert accounts == db_accounts
        if scope.get("locations"):
            for (entity, _entity_id), data in replica(changes).items():
                if entity == "member":
                    assert data["location_id"] in scope["locations"], (username, data)


def test_anggota_read_api_shows_only_their_own_records(live_server):
    path = live_server.db_path
    member = login(live_server.url, "anggota03")
    assert_error(member.get("/api/dashboard", member_id=4), 404, "member_not_found")
    assert_error(
        member.get(
            "/api/savings-card",
            savings_type="sukarela",
            period_start="2020-01-01",
            period_end="2099-12-31",
            member_id=4,
        ),
        404,
        "member_not_found",
    )
    own = member.get("/api/dashboard")
    assert own.status_code == 200 and own.json()["member"]["id"] == 3
    assert member.get("/api/dashboard", member_id=3).status_code == 200

    listing = member.get("/api/deposits", page_size=200)
    assert listing.status_code == 200
    body = listing.json()
    assert body["items"] and all(item["member_id"] == 3 for item in body["items"])
    db_total = query(path, "SELECT COUNT(*) FROM deposits WHERE member_id = 3 OR created_by = 3")[0][0]
    assert body["total"] == db_total
    # asking for someone else's explicitly yields nothing, not their rows
    other = member.get("/api/deposits", member_id=4).json()
    assert other["items"] == [] and other["total"] == 0
    assert all(i["member_id"] == 3 for i in member.get("/api/withdrawals", page_size=200).json()["items"])

    foreign_id = query(path, "SELECT id FROM deposits WHERE member_id = 4 LIMIT 1")[0][0]
    assert_error(member.get(f"/api/deposits/{foreign_id}/slip"), 404, "deposit_not_found")
    own_id = query(path, "SELECT id FROM deposits WHERE member_id = 3 LIMIT 1")[0][0]
    slip = member.get(f"/api/deposits/{own_id}/slip")
    assert slip.status_code == 200 and slip.json()["member_id"] == 3

    assert_error(member.get("/api/members"), 403, "role_not_allowed")
    assert_error(member.get("/api/cash-in-hand"), 403, "role_not_allowed")


def test_officer_read_api_is_limited_to_their_location(live_server):
    officer = login(live_server.url, "petugas1")
    assert_error(officer.get("/api/dashboard", member_id=14), 404, "member_not_found")
    assert officer.get("/api/dashboard", member_id=5).status_code == 200
    members = officer.get("/api/members").json()
    assert members and {m["location_id"] for m in members} == {1}
    deposits = officer.get("/api/deposits", page_size=200).json()
    assert all(d["location_id"] == 1 or d["created_by"] == 101 for d in deposits["items"])
    foreign_id = query(live_server.db_path, "SELECT id FROM deposits WHERE member_id = 14 LIMIT 1")[0][0]
    assert_error(officer.get(f"/api/deposits/{foreign_id}/slip"), 404, "deposit_not_found")


def test_officer_moved_to_another_location_is_told_to_rebuild_and_loses_the_old_rows(fresh_server):
    path = fresh_server.db_path
    officer = login(fresh_server.url, "petugas1")
    colleague = login(fresh_server.url, "petugas2")
    pending = cash_deposit(5, 55_000, 1)
    assert colleague.push_ops(pending)[0]["status"] == "applied"
    before, last = pull_to_head(officer)
    assert any(c["entity"] == "member" and c["data"]["location_id"] == 1 for c in before)
    old_cursor = last["cursor"]

    admin = login(fresh_server.url, "admin")
    moved = admin.http.post("/api/admin/officers/101/locations", json={"location_ids": [2]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["location_ids"] == [2]

    reset = officer.pull(cursor=old_cursor)
    assert reset["reset"] is not None and reset["reset"]["reason"] == "scope_changed"
    assert reset["changes"] == [] and reset["reset"]["message"]

    rebuilt, _ = pull_to_head(officer, cursor="")
    facts = Facts(path)
    for change in rebuilt:
        entity, entity_id = change["entity"], change["id"]
        if entity in ("member", "savings_account", "ledger_entry"):
            assert facts.location_of(entity, entity_id) == 2, change
        elif entity in ("deposit", "withdrawal"):
            assert change["data"]["location_id"] == 2 or change["data"]["created_by"] == 101, change
    assert any(c["entity"] == "member" and c["data"]["location_id"] == 2 for c in rebuilt)
    assert {c["seq"] for c in rebuilt} == facts.expected(101, locations={2})

    # the rights moved too, not only the feed
    refused = officer.push_ops(verify(pending.deposit_id))[0]
    assert refused["status"] == "rejected" and refused["code"] == "not_officer_of_location"
    assert {m["location_id"] for m in officer.get("/api/members").json()} == {2}
    assert query(path, "SELECT status FROM deposits WHERE id = ?", pending.deposit_id)[0][0] == "unverified"


def test_no_one_else_can_move_officers(live_server):
    for username in ("petugas1", "pengurus1", "anggota03"):
        session = login(live_server.url, username)
        assert_error(
            session.http.post("/api/admin/officers/101/locations", json={"location_ids": [2]}), 403, "role_not_allowed"
        )
    assert [
        r[0] for r in query(live_server.db_path, "SELECT location_id FROM officer_locations WHERE user_id = 101")
    ] == [1]


def test_member_who_leaves_loses_access_and_can_no_longer_be_credited(fresh_server):
    """DESIGN rule 6, a member leaves: their logins end at once, officers see the member inactive, and
    new transactions for them are refused with a reason."""
    member, admin, officer = (login(fresh_server.url, u) for u in ("anggota06", "admin", "petugas1"))
    officer_cursor = pull_to_head(officer)[1]["cursor"]
    left = admin.http.post("/api/admin/members/6/deactivate")
    assert left.status_code == 200 and left.json()["users_deactivated"] == [6]
    assert_error(member.get("/api/dashboard"), 401, "session_revoked")
    again = member.http.post(
        "/api/auth/login", json={"username": "anggota06", "password": "rahasia123", "client_id": member.client_id}
    )
    assert_error(again, 401, "invalid_credentials")
    changes, _ = pull_to_head(officer, cursor=officer_cursor)
    assert [(c["entity"], c["id"], c["data"]["active"]) for c in changes if c["entity"] == "member"] == [
        ("member", "6", False)
    ]
    refused = officer.push_ops(cash_deposit(6, 50_000, 1))[0]
    assert (refused["status"], refused["code"]) == ("rejected", "member_inactive")
