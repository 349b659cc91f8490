"""Push runs a batch without a savepoint per mutation and, on the first failure, undoes the whole push
and runs it again with savepoints (issue 6.7). These check that the fast path changes no answer: a
rejection in the middle leaves only its result, codes stay without holes, and the push works the same
in a group of several writer tasks and outside the writer."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from pathlib import Path

import msgspec
import pytest

from server.domain.models import Actor, Deposit, Limits
from server.notify.events import ENTITIES, may_notify, notice_for
from server.protocol import DepositCancel, DepositCreate, Mutation
from server.storage.database import Connection, Database
from server.sync.push import process_push
from tests.support.servers import copy_template

OFFICER = Actor(101, "petugas", location_ids=frozenset({1}))


def _deposit(number: int, deposit_id: str | None = None, amount: int = 10_000) -> Mutation:
    return Mutation(
        id=number,
        uuid=str(uuid.uuid4()),
        user_id=OFFICER.user_id,
        op=DepositCreate(
            deposit_id=deposit_id or str(uuid.uuid4()),
            member_id=1,
            savings_type="sukarela",
            kind="offline",
            amount=amount,
            location_id=1,
        ),
    )


def _db(demo_template: Path, tmp_path: Path) -> tuple[Database, Path]:
    data = copy_template(demo_template, tmp_path / "data")
    path = data / "lumbung.sqlite3"
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT role FROM users WHERE id = ?", (OFFICER.user_id,)).fetchone() == ("petugas",)
    return Database(path), path


def _batch_with_a_duplicate_in_the_middle() -> list[Mutation]:
    first = _deposit(1)
    assert isinstance(first.op, DepositCreate)
    return [first, _deposit(2, deposit_id=first.op.deposit_id), _deposit(3), _deposit(4, amount=1)]


def _check(path: Path, mutations: list[Mutation], statuses: list[tuple[str, str | None]], client: str) -> None:
    with sqlite3.connect(path) as conn:
        ids = [m.op.deposit_id for m in mutations]  # type: ignore[attr-defined]
        marks = ",".join("?" * len(ids))
        codes = [r[0] for r in conn.execute(f"SELECT code FROM deposits WHERE id IN ({marks}) ORDER BY code", ids)]
        stored = conn.execute(
            "SELECT status, code FROM mutations WHERE client_id = ? ORDER BY mutation_id", (client,)
        ).fetchall()
        changes = conn.execute(
            f"SELECT COUNT(*) FROM changes WHERE entity = 'deposit' AND entity_id IN ({marks})", ids
        ).fetchone()[0]
        counter = conn.execute("SELECT last_mutation_id FROM clients WHERE client_id = ?", (client,)).fetchone()[0]
        code_next = conn.execute("SELECT next FROM code_counters WHERE prefix = 'STR'").fetchone()[0]
    assert stored == statuses
    assert len(codes) == changes == 2  # the two applied deposits and nothing of the refused ones
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert numbers[1] == numbers[0] + 1 and code_next == numbers[1] + 1  # no hole left by the refusals
    assert counter == 4


EXPECTED = [("applied", None), ("rejected", "duplicate_id"), ("applied", None), ("rejected", "amount_out_of_range")]


def test_a_refusal_in_the_middle_of_a_batch_leaves_only_its_result(demo_template: Path, tmp_path: Path) -> None:
    db, path = _db(demo_template, tmp_path)
    mutations = _batch_with_a_duplicate_in_the_middle()
    now = dt.datetime.now(dt.UTC)
    try:
        response = db.write_sync(lambda c: process_push(c, OFFICER, "device-a", mutations, Limits(), now))
        again = db.write_sync(lambda c: process_push(c, OFFICER, "device-a", mutations, Limits(), now))
    finally:
        db.close()
    assert [(r.status, r.code) for r in response.results] == EXPECTED
    assert [(r.status, r.code) for r in again.results] == EXPECTED  # answered from the stored results
    _check(path, mutations, EXPECTED, "device-a")


def test_the_same_in_a_group_of_writer_tasks(demo_template: Path, tmp_path: Path) -> None:
    db, path = _db(demo_template, tmp_path)
    clean = [_deposit(1), _deposit(2)]
    mutations = _batch_with_a_duplicate_in_the_middle()
    now = dt.datetime.now(dt.UTC)
    try:
        gate = db.submit(lambda c: c.execute("SELECT 1"))  # queued first; the next two join one group behind it
        futures = [
            db.submit(lambda c: process_push(c, OFFICER, "device-b", clean, Limits(), now)),
            db.submit(lambda c: process_push(c, OFFICER, "device-c", mutations, Limits(), now)),
        ]
        gate.result(10)
        responses = [f.result(10) for f in futures]
    finally:
        db.close()
    assert [r.status for r in responses[0].results] == ["applied", "applied"]
    assert [(r.status, r.code) for r in responses[1].results] == EXPECTED
    _check(path, mutations, EXPECTED, "device-c")


def test_the_same_outside_the_writer_in_the_callers_transaction(demo_template: Path, tmp_path: Path) -> None:
    _db(demo_template, tmp_path)[0].close()
    path = tmp_path / "data" / "lumbung.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None, factory=Connection)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys=ON")
    mutations = _batch_with_a_duplicate_in_the_middle()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO meta (key, value) VALUES ('caller', 'kept')")  # the caller's own write before
    response = process_push(conn, OFFICER, "device-d", mutations, Limits(), dt.datetime.now(dt.UTC))
    conn.execute("COMMIT")
    conn.close()
    assert [(r.status, r.code) for r in response.results] == EXPECTED
    _check(path, mutations, EXPECTED, "device-d")
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT value FROM meta WHERE key = 'caller'").fetchone() == ("kept",)


def test_a_writer_task_that_wrote_before_the_push_keeps_its_write(demo_template: Path, tmp_path: Path) -> None:
    db, path = _db(demo_template, tmp_path)
    mutations = _batch_with_a_duplicate_in_the_middle()
    now = dt.datetime.now(dt.UTC)

    def task(c: Connection):  # type: ignore[no-untyped-def]
        c.execute("INSERT INTO meta (key, value) VALUES ('caller', 'kept')")
        return process_push(c, OFFICER, "device-e", mutations, Limits(), now)

    try:
        response = db.write_sync(task)
    finally:
        db.close()
    assert [(r.status, r.code) for r in response.results] == EXPECTED
    _check(path, mutations, EXPECTED, "device-e")
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT value FROM meta WHERE key = 'caller'").fetchone() == ("kept",)


STATUSES = ["unverified", "verified", "rejected", "cancelled", "approved", "active", "applied", "pending", None]


@pytest.mark.parametrize("entity", sorted(ENTITIES | {"member", "savings_account"}))
def test_may_notify_is_false_only_where_notice_for_yields_nothing(entity: str) -> None:
    for status in STATUSES:
        row = {
            "id": "x1",
            "uuid": "u1",
            "code": "STR-2612-000001",
            "amount": 10_000,
            "member_id": 1,
            "status": status,
            "kind": "loan_disbursement",
            "ref_id": "l1",
            "ref_code": "PJM-1",
            "loan_id": "l1",
            "loan_code": "PJM-1",
            "source": "tunai",
            "new_amount": 5_000,
            "effective_month": "2026-12",
            "name": "deposit.create",
            "message": "x",
        }
        if not may_notify(entity, row):
            assert notice_for(entity, row, 101) is None, (entity, status)
    deposit = msgspec.convert(
        {
            "id": "d",
            "code": "c",
            "member_id": 1,
            "savings_type": "s",
            "kind": "offline",
            "amount": 1,
            "location_id": 1,
            "status": "unverified",
            "created_by": 1,
            "created_at": "2026-12-01T00:00:00+00:00",
        },
        Deposit,
    )
    assert may_notify("deposit", deposit) is False  # a struct works as well as a dict
    assert may_notify("deposit", msgspec.structs.replace(deposit, status="verified")) is True


def _feed_rows(path: Path) -> dict[str, tuple[int, str]]:
    with sqlite3.connect(path) as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT entity_id, seq, entity FROM changes")}


def test_feed_positions_handed_out_by_a_pass_are_the_stored_ones(demo_template: Path, tmp_path: Path) -> None:
    """The optimistic pass numbers its change rows itself and writes them at its end (one executemany):
    each answer's ``visible_at`` is its mutation row's stored position, the deposit's change comes just
    before it, two pushes in one writer group never share a position, a pass that is redone (a refusal)
    and a later single change continue the sequence, and the sequence table agrees."""
    db, path = _db(demo_template, tmp_path)
    with sqlite3.connect(path) as conn:
        head = conn.execute("SELECT MAX(seq) FROM changes").fetchone()[0]
    first, second = [_deposit(n) for n in (1, 2, 3)], [_deposit(n) for n in (1, 2)]
    refused = _batch_with_a_duplicate_in_the_middle()
    now = dt.datetime.now(dt.UTC)
    try:
        gate = db.submit(lambda c: c.execute("SELECT 1"))
        futures = [
            db.submit(lambda c: process_push(c, OFFICER, "device-f", first, Limits(), now)),
            db.submit(lambda c: process_push(c, OFFICER, "device-g", second, Limits(), now)),
            db.submit(lambda c: process_push(c, OFFICER, "device-h", refused, Limits(), now)),
        ]
        gate.result(10)
        answers = [f.result(10) for f in futures]
    finally:
        db.close()
    rows = _feed_rows(path)
    positions: list[int] = []
    for mutations, answer in zip((first, second, refused), answers, strict=True):
        for m, result in zip(mutations, answer.results, strict=True):
            assert rows[m.uuid] == (result.visible_at, "mutation")
            positions.append(int(result.visible_at or 0))
            if result.status == "applied":
                assert rows[m.op.deposit_id] == (int(result.visible_at or 0) - 1, "deposit")  # type: ignore[attr-defined]
    assert len(set(positions)) == len(positions) and min(positions) > head
    with sqlite3.connect(path) as conn:
        top = conn.execute("SELECT MAX(seq) FROM changes").fetchone()[0]
        assert conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()[0] == top
    assert top == max(positions)


def test_a_mutation_id_repeated_in_one_batch_is_answered_from_the_pass_itself(
    demo_template: Path, tmp_path: Path
) -> None:
    """The second copy of a mutation in the same batch reads the stored result the pass has not written
    yet (the pass's rows are flushed before that read): same answer, applied once."""
    db, path = _db(demo_template, tmp_path)
    one = _deposit(1)
    try:
        response = db.write_sync(
            lambda c: process_push(c, OFFICER, "device-i", [one, one, _deposit(2)], Limits(), dt.datetime.now(dt.UTC))
        )
    finally:
        db.close()
    assert [r.status for r in response.results] == ["applied", "applied", "applied"]
    assert response.results[0] == response.results[1]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM mutations WHERE client_id = 'device-i'").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM deposits WHERE id = ?", (one.op.deposit_id,)).fetchone()[0] == 1  # type: ignore[attr-defined]


def _push(db: Database, client: str, mutations: list[Mutation]) -> list[tuple[str, str | None]]:
    response = db.write_sync(lambda c: process_push(c, OFFICER, client, mutations, Limits(), dt.datetime.now(dt.UTC)))
    return [(r.status, r.code) for r in response.results]


def test_a_duplicate_id_is_refused_though_the_pass_writes_new_rows_at_its_end(
    demo_template: Path, tmp_path: Path
) -> None:
    """The optimistic pass inserts its new deposits with one statement when it ends; a repeated id (in
    the batch, or already stored) fails that statement, and the careful rerun refuses only its mutation."""
    db, path = _db(demo_template, tmp_path)
    first, stored = _deposit(1), _deposit(1)
    assert isinstance(first.op, DepositCreate) and isinstance(stored.op, DepositCreate)
    try:
        assert _push(db, "device-s", [stored]) == [("applied", None)]
        in_batch = _push(db, "device-j", [first, _deposit(2, deposit_id=first.op.deposit_id), _deposit(3)])
        before = _push(db, "device-k", [_deposit(1), _deposit(2, deposit_id=stored.op.deposit_id)])
    finally:
        db.close()
    assert in_batch == [("applied", None), ("rejected", "duplicate_id"), ("applied", None)]
    assert before == [("applied", None), ("rejected", "duplicate_id")]
    with sqlite3.connect(path) as conn:
        for deposit_id in (first.op.deposit_id, stored.op.deposit_id):
            assert conn.execute("SELECT COUNT(*) FROM deposits WHERE id = ?", (deposit_id,)).fetchone()[0] == 1
        stored_deposits = conn.execute("SELECT COUNT(*) FROM deposits WHERE created_by = 101").fetchone()[0]
        changes = conn.execute("SELECT COUNT(*) FROM changes WHERE entity = 'deposit' AND scope_user = 101").fetchone()[
            0
        ]
    assert stored_deposits == changes  # one change per stored deposit, none for the refused ones


def test_a_duplicate_met_by_a_read_inside_the_pass_sends_it_to_the_careful_rerun(
    demo_template: Path, tmp_path: Path
) -> None:
    """A resent mutation in the same batch reads the stored results, which first writes the pass's new
    rows; a repeated deposit id fails there, mid-pass, and is answered like any refusal (not a 500)."""
    db, path = _db(demo_template, tmp_path)
    first = _deposit(1)
    assert isinstance(first.op, DepositCreate)
    try:
        answers = _push(db, "device-l", [first, _deposit(2, deposit_id=first.op.deposit_id), first])
    finally:
        db.close()
    assert answers == [("applied", None), ("rejected", "duplicate_id"), ("applied", None)]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM deposits WHERE id = ?", (first.op.deposit_id,)).fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM mutations WHERE client_id = 'device-l'").fetchone()[0] == 2


def test_a_deposit_created_and_cancelled_in_one_batch_is_found_by_the_cancel(
    demo_template: Path, tmp_path: Path
) -> None:
    db, path = _db(demo_template, tmp_path)
    created = _deposit(1)
    assert isinstance(created.op, DepositCreate)
    cancel = Mutation(
        id=2, uuid=str(uuid.uuid4()), user_id=OFFICER.user_id, op=DepositCancel(deposit_id=created.op.deposit_id)
    )
    try:
        answers = _push(db, "device-m", [created, cancel, _deposit(3)])
    finally:
        db.close()
    assert answers == [("applied", None), ("applied", None), ("applied", None)]
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT status FROM deposits WHERE id = ?", (created.op.deposit_id,)).fetchone()
    assert row == ("cancelled",)


def test_another_constraint_broken_by_a_deferred_row_is_refused_not_a_server_error(
    demo_template: Path, tmp_path: Path
) -> None:
    """A code counter behind the stored codes (a partial restore) makes a new deposit break the codes'
    UNIQUE, not its id: met when a resent mutation flushes the pass, it is still answered per mutation."""
    db, path = _db(demo_template, tmp_path)
    with sqlite3.connect(path) as conn:
        taken = conn.execute("SELECT COUNT(*) FROM deposits WHERE code LIKE 'STR-%'").fetchone()[0]
        conn.execute("UPDATE code_counters SET next = 1 WHERE prefix = 'STR'")
    first = _deposit(1)
    try:
        answers = _push(db, "device-n", [first, first])
    finally:
        db.close()
    assert taken > 0
    assert answers == [("rejected", "integrity_error"), ("rejected", "integrity_error")]


def _stored(path: Path, deposit_ids: list[str]) -> list[tuple[object, ...]]:
    """Each deposit's columns with their SQLite types, its change row and its mutation row."""
    with sqlite3.connect(path) as conn:
        out = []
        for deposit_id in deposit_ids:
            deposit = conn.execute(
                "SELECT note, typeof(note), amount, typeof(amount), member_id, typeof(member_id), bank_account_id,"
                " typeof(bank_account_id), length(CAST(note AS BLOB)) FROM deposits WHERE id = ?",
                (deposit_id,),
            ).fetchone()
            change = conn.execute(
                "SELECT entity, op, data, typeof(scope_member), scope_location, scope_user FROM changes"
                " WHERE entity = 'deposit' AND entity_id = ?",
                (deposit_id,),
            ).fetchone()
            out.append((deposit, change[:2], msgspec.json.decode(change[2])["note"], change[3:]))
        return out


@pytest.mark.parametrize(
    "note",
    ["setoran", 'kutip " dan \\ garis miring', "Rp 10.000 — ü 😀 \u2028", "baris\nbaru\ttab", "nul \x00 di tengah"],
)
def test_rows_written_in_bulk_are_the_rows_written_one_by_one(demo_template: Path, tmp_path: Path, note: str) -> None:
    """The optimistic pass's deferred rows (``FeedBatch``, written together at its end) are the rows
    the careful pass inserts one by one: the same text byte for byte (a NUL character too: a bulk
    path through SQLite's JSON functions would cut it there), integers as integers, absent values as
    NULL, and the same change and mutation rows."""
    db, path = _db(demo_template, tmp_path)

    def with_note(number: int) -> Mutation:
        m = _deposit(number)
        return msgspec.structs.replace(m, op=msgspec.structs.replace(m.op, note=note))

    bulk = [with_note(1), with_note(2)]  # both apply: the optimistic pass writes them in bulk
    careful = [with_note(1), with_note(2), _deposit(3, amount=1)]  # the last refusal: the careful pass
    now = dt.datetime.now(dt.UTC)
    try:
        fast = db.write_sync(lambda c: process_push(c, OFFICER, "device-bulk", bulk, Limits(), now))
        slow = db.write_sync(lambda c: process_push(c, OFFICER, "device-one", careful, Limits(), now))
    finally:
        db.close()
    assert [r.status for r in fast.results] == ["applied", "applied"]
    assert [r.status for r in slow.results] == ["applied", "applied", "rejected"]
    in_bulk = _stored(path, [m.op.deposit_id for m in bulk])  # type: ignore[attr-defined]
    one_by_one = _stored(path, [m.op.deposit_id for m in careful[:2]])  # type: ignore[attr-defined]
    assert in_bulk == one_by_one
    (deposit, _, change_note, _), _ = in_bulk
    assert deposit[:4] == (note, "text", 10_000, "integer") and deposit[6:8] == (None, "null")
    assert deposit[8] == len(note.encode()) and change_note == note
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT client_id, mutation_id, typeof(mutation_id), status, code, visible_at, typeof(visible_at),"
            " device_time FROM mutations WHERE client_id IN ('device-bulk', 'device-one') ORDER BY client_id,"
            " mutation_id"
        ).fetchall()
    assert (
        [r[1:5] for r in rows[:2]]
        == [r[1:5] for r in rows[2:4]]
        == [
            (1, "integer", "applied", None),
            (2, "integer", "applied", None),
        ]
    )
    assert all(r[6] == "integer" and r[7] is None for r in rows)
    assert [r.visible_at for r in fast.results] == [rows[0][5], rows[1][5]]
