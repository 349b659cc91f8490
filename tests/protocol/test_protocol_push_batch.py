"""The push path's per-batch work (issue 6.7, 6.5): one uuid look-up and codes from memory per batch, and
storage's own error types mapped by the push (a broken constraint refuses one mutation; a busy
database answers the whole push retryable and keeps nothing)."""

from __future__ import annotations

import pytest

from tests.protocol.protocol_helpers import cash_deposit, counter, query
from tests.support.api import login


def _writer(server, sql: str) -> None:
    """Run SQL on the server's own write connection (TEMP triggers live only there)."""
    server.app.state.services.db.write_sync(lambda conn: conn.execute(sql))


def _codes(server, deposit_ids: list[str]) -> list[str]:
    marks = ",".join("?" * len(deposit_ids))
    rows = query(server.db_path, f"SELECT id, code FROM deposits WHERE id IN ({marks})", *deposit_ids)
    by_id = {r[0]: r[1] for r in rows}
    return [by_id[d] for d in deposit_ids if d in by_id]


def _number(code: str) -> int:
    return int(code.rsplit("-", 1)[1])


def test_codes_of_a_batch_run_on_without_holes_even_past_rejections(fresh_server):
    officer = login(fresh_server.url, "petugas1")
    ops = [cash_deposit(1 + i % 12, 10_000 + i, 1) if i % 4 else cash_deposit(9999, 10_000, 1) for i in range(20)]
    results = officer.push_ops(*ops)
    applied = [op.deposit_id for op, r in zip(ops, results, strict=True) if r["status"] == "applied"]
    assert len(applied) == 15 and {r["code"] for r in results if r["status"] == "rejected"} == {"member_not_found"}
    numbers = [_number(c) for c in _codes(fresh_server, applied)]
    assert numbers == list(range(numbers[0], numbers[0] + 15))
    more = [cash_deposit(2, 20_000, 1) for _ in range(3)]
    officer.push_ops(*more)
    assert [_number(c) for c in _codes(fresh_server, [op.deposit_id for op in more])] == [
        numbers[-1] + 1,
        numbers[-1] + 2,
        numbers[-1] + 3,
    ]
    stored_next = query(fresh_server.db_path, "SELECT next FROM code_counters WHERE prefix = 'STR'")[0][0]
    assert stored_next == numbers[-1] + 4


def test_a_broken_constraint_rejects_that_mutation_only_and_gives_its_code_back(fresh_server):
    officer = login(fresh_server.url, "petugas1")
    _writer(
        fresh_server,
        "CREATE TEMP TRIGGER refuse_777 BEFORE INSERT ON deposits WHEN NEW.amount = 777777"
        " BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END",
    )
    try:
        ops = [cash_deposit(1, 10_000, 1), cash_deposit(2, 777_777, 1), cash_deposit(3, 30_000, 1)]
        results = officer.push_ops(*ops)
    finally:
        _writer(fresh_server, "DROP TRIGGER IF EXISTS temp.refuse_777")
    assert [r["status"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["code"] == "integrity_error"
    first, third = (_number(c) for c in _codes(fresh_server, [ops[0].deposit_id, ops[2].deposit_id]))
    assert third == first + 1
    assert counter(fresh_server.db_path, officer.client_id) == 3


def test_the_same_uuid_twice_in_one_batch_is_applied_once(fresh_server):
    officer = login(fresh_server.url, "petugas1")
    op = cash_deposit(4, 40_000, 1)
    first = officer.mutation(op)
    again = officer.mutation(cash_deposit(4, 41_000, 1), mutation_uuid=first.uuid)
    response = officer.push(first, again)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert results[0]["visible_at"] == results[1]["visible_at"]  # the second is answered with the first's result
    assert query(fresh_server.db_path, "SELECT COUNT(*) FROM mutations WHERE uuid = ?", first.uuid)[0][0] == 1
    assert (
        query(
            fresh_server.db_path,
            "SELECT COUNT(*) FROM deposits WHERE member_id = 4 AND amount IN (40000, 41000) AND created_by = ?",
            officer.user["id"],
        )[0][0]
        == 1
    )
    assert counter(fresh_server.db_path, officer.client_id) == 2


@pytest.mark.parametrize("size", [1, 501, 1000])
def test_batches_around_the_lookup_chunk_size_are_all_applied_once(fresh_server, size):
    officer = login(fresh_server.url, "petugas1")
    ops = [cash_deposit(1 + i % 12, 1_000 + i, 1) for i in range(size)]
    results = officer.push_ops(*ops)
    assert [r["status"] for r in results] == ["applied"] * size
    replay = officer.push(
        *(
            officer.mutation(op, number=i + 1, mutation_uuid=r["uuid"])
            for i, (op, r) in enumerate(zip(ops, results, strict=True))
        )
    )
    assert [r["status"] for r in replay.json()["results"]] == ["applied"] * size
    assert counter(fresh_server.db_path, officer.client_id) == size
    assert (
        query(fresh_server.db_path, "SELECT COUNT(*) FROM deposits WHERE created_by = ?", officer.user["id"])[0][0]
        == size
    )
