"""DESIGN rule 4: the change feed pages without losing or repeating a change."""

from __future__ import annotations

from tests.protocol.protocol_helpers import PUBLIC_ENTITIES, cash_deposit, head, query, replica
from tests.support.api import login


def _scope_seqs_for_petugas1(path) -> set[int]:
    """Changes petugas1 (user 101, location 1) may read, worked out from the rows themselves."""
    rows = query(
        path,
        "SELECT c.seq, c.entity, c.entity_id, c.data FROM changes c ORDER BY c.seq",
    )
    member_location = {r[0]: r[1] for r in query(path, "SELECT id, location_id FROM members")}
    mutation_owner = {r[0]: r[1] for r in query(path, "SELECT uuid, user_id FROM mutations")}
    tx = {
        r[0]: (r[1], r[2])
        for r in query(
            path,
            "SELECT id, location_id, created_by FROM deposits UNION ALL"
            " SELECT id, location_id, created_by FROM withdrawals",
        )
    }
    ledger_member = {str(r[0]): r[1] for r in query(path, "SELECT seq, member_id FROM ledger")}
    visible: set[int] = set()
    for seq, entity, entity_id, _data in rows:
        if entity in PUBLIC_ENTITIES:
            ok = True
        elif entity == "payroll_profile":
            ok = member_location[int(entity_id)] == 1
        elif entity == "mutation":
            ok = mutation_owner[entity_id] == 101
        elif entity == "member":
            ok = member_location[int(entity_id)] == 1
        elif entity == "savings_account":
            ok = member_location[int(entity_id.split(":")[0])] == 1
        elif entity == "ledger_entry":
            ok = member_location[ledger_member[entity_id]] == 1
        elif entity in ("deposit", "withdrawal"):
            location, creator = tx[entity_id]
            ok = location == 1 or creator == 101
        else:
            raise AssertionError(f"unknown entity {entity}")
        if ok:
            visible.add(seq)
    return visible


def test_small_pages_deliver_every_change_exactly_once_in_order(fresh_server):
    officer = login(fresh_server.url, "petugas1")
    ops = [cash_deposit(member_id=1 + i % 12, amount=10_000 + i, location_id=1) for i in range(300)]
    results = officer.push_ops(*ops)
    assert len(results) == 300 and all(r["status"] == "applied" for r in results)
    # noise outside petugas1's scope, interleaved in the feed
    other = login(fresh_server.url, "petugas3")
    assert all(r["status"] == "applied" for r in other.push_ops(*(cash_deposit(14, 20_000, 2) for _ in range(20))))

    reader = login(fresh_server.url, "petugas1")
    big = reader.pull(cursor="", limit=5000)
    assert big["reset"] is None and big["has_more"] is False
    big_seqs = [c["seq"] for c in big["changes"]]
    assert big["position"] == head(fresh_server.db_path)

    cursor, paged, positions, pages = "", [], [], 0
    while True:
        page = reader.pull(cursor=cursor, limit=7)
        pages += 1
        assert pages < 1000, "paging never ended"
        assert page["reset"] is None
        assert len(page["changes"]) <= 7
        if page["has_more"]:
            assert len(page["changes"]) == 7
        seqs = [c["seq"] for c in page["changes"]]
        assert seqs == sorted(seqs)
        if seqs:
            assert seqs[0] > (positions[-1] if positions else 0)
            assert page["position"] >= seqs[-1]
        assert not positions or page["position"] > positions[-1] or (not seqs and not page["has_more"])
        positions.append(page["position"])
        paged += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert pages > 40
    assert positions == sorted(set(positions)), "positions must strictly increase"
    paged_seqs = [c["seq"] for c in paged]
    assert len(paged_seqs) == len(set(paged_seqs)), "a change was repeated"
    assert paged_seqs == big_seqs, "paged pull and one big pull disagree"
    assert set(paged_seqs) == _scope_seqs_for_petugas1(fresh_server.db_path)
    assert replica(paged) == replica(big["changes"])
    # every one of the 300 deposits arrived, with its final data
    deposits = {cid: data for (entity, cid), data in replica(paged).items() if entity == "deposit"}
    assert {op.deposit_id for op in ops} <= set(deposits)
    assert all(deposits[op.deposit_id]["amount"] == op.amount for op in ops)
    assert positions[-1] == head(fresh_server.db_path)

    # nothing new: the cursor stays put and nothing is sent again
    for _ in range(2):
        idle = reader.pull(cursor=cursor, limit=7)
        assert idle["reset"] is None and idle["changes"] == [] and idle["has_more"] is False
        assert idle["cursor"] == cursor and idle["position"] == positions[-1]

    # something new: exactly the new changes, after the old position
    fresh = officer.push_ops(cash_deposit(2, 11_111, 1))[0]
    after = reader.pull(cursor=cursor, limit=7)
    assert after["changes"] and all(c["seq"] > positions[-1] for c in after["changes"])
    assert fresh["visible_at"] in {c["seq"] for c in after["changes"]}  # the same user's result, on another device
    assert after["position"] > positions[-1]


def test_page_boundary_on_a_change_outside_the_scope_loses_nothing(fresh_server):
    """Pages end at the last change the caller may read; invisible changes beyond it are not skipped over
    when visible ones follow them."""
    member = login(fresh_server.url, "anggota03")
    officer = login(fresh_server.url, "petugas1")
    # alternate: a change for member 3, then many for others, then member 3 again
    for i in range(5):
        assert officer.push_ops(cash_deposit(3, 10_000 + i, 1))[0]["status"] == "applied"
        assert all(r["status"] == "applied" for r in officer.push_ops(*(cash_deposit(4, 10_000, 1) for _ in range(5))))
    one_page = member.pull(cursor="", limit=5000)["changes"]
    cursor, paged = "", []
    for _ in range(200):
        page = member.pull(cursor=cursor, limit=1)
        assert page["reset"] is None
        paged += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    else:
        raise AssertionError("paging never ended")
    assert [c["seq"] for c in paged] == [c["seq"] for c in one_page]
    assert sum(1 for c in paged if c["entity"] == "deposit" and c["data"]["member_id"] == 3) >= 5 + 3
    assert all(c["data"]["member_id"] == 3 for c in paged if c["entity"] == "deposit")
