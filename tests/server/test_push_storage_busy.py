"""A busy database (storage's ``StorageBusy``) answers the whole push 503 ``busy`` and keeps nothing.

Here rather than in tests/protocol, whose conftest fails any 5xx: this 503 is the deliberate answer.
"""

from __future__ import annotations

from tests.protocol.protocol_helpers import assert_error, cash_deposit, query, snapshot
from tests.support.api import login


def _writer(server, sql: str) -> None:
    server.app.state.services.db.write_sync(lambda conn: conn.execute(sql))


def test_a_busy_database_answers_the_whole_push_retryable_and_keeps_nothing(fresh_server):
    officer = login(fresh_server.url, "petugas1")
    officer.push_ops(cash_deposit(1, 10_000, 1))
    before = snapshot(fresh_server.db_path, officer.client_id)
    code_before = query(fresh_server.db_path, "SELECT next FROM code_counters WHERE prefix = 'STR'")[0][0]
    # an error SQLite reports as operational (like "database is locked") on every deposit insert
    _writer(
        fresh_server,
        "CREATE TEMP TRIGGER unavailable BEFORE INSERT ON deposits BEGIN INSERT INTO no_such_table VALUES (1); END",
    )
    mutations = [officer.mutation(cash_deposit(2, 20_000, 1)), officer.mutation(cash_deposit(3, 30_000, 1))]
    try:
        assert_error(officer.push(*mutations), 503, "busy")
    finally:
        _writer(fresh_server, "DROP TRIGGER IF EXISTS temp.unavailable")
    assert snapshot(fresh_server.db_path, officer.client_id) == before
    assert query(fresh_server.db_path, "SELECT next FROM code_counters WHERE prefix = 'STR'")[0][0] == code_before
    response = officer.push(*mutations)  # the same push, once the database answers again
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["applied", "applied"]
