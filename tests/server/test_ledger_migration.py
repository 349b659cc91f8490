"""Migration 0004 gives a ledger written before the account chain its account fields: legacy hashes
unchanged (hash version 1), account places and links derived, every entry published again, the
append-only triggers back in place, and new entries continuing both chains."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path

import msgspec
import pytest
from alembic import command

from server.cli import main as cli_main
from server.domain.ledger import GENESIS_HASH, LedgerEntry, account_link, entry_hash, verify_accounts
from server.domain.models import Posting
from server.storage.database import Database
from server.storage.migrate import alembic_config, upgrade
from server.storage.savings import append_ledger, check_ledger, ledger_entries

# (member, account, amount): two members, three accounts, interleaved
LEGACY = [(1, "sukarela", 500_000), (2, "sukarela", 20_000), (1, "wajib", 50_000), (1, "sukarela", -100_000),
          (2, "sukarela", 5_000), (1, "sukarela", 25_000)]  # fmt: skip
V1_FIELDS = (
    "seq",
    "at",
    "member_id",
    "savings_type",
    "amount",
    "kind",
    "ref_id",
    "ref_code",
    "balance_after",
    "prev_hash",
)


def _legacy_database(path: Path) -> list[dict]:
    """A database at revision 0003 holding a ledger the way the code before 0004 wrote it."""
    upgrade(path, "0003")
    rows, prev, balances = [], GENESIS_HASH, {}
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO locations (id, name) VALUES (1, 'Kantor'), (2, 'Cabang')")
        for member, location in ((1, 1), (2, 2)):
            conn.execute(
                "INSERT INTO members (id, number, name, kind, location_id, joined_at) VALUES (?, ?, ?, 'anggota', ?, 'd')",
                (member, f"A{member}", f"m{member}", location),
            )
        for code in ("sukarela", "wajib"):
            conn.execute(
                "INSERT INTO savings_types (code, name, withdrawable) VALUES (?, ?, ?)",
                (code, code, code == "sukarela"),
            )
        for seq, (member, account, amount) in enumerate(LEGACY, start=1):
            balances[member, account] = balances.get((member, account), 0) + amount
            row = {"seq": seq, "at": f"2026-10-0{seq}T08:00:00+00:00", "member_id": member, "savings_type": account,
                   "amount": amount, "kind": "deposit" if amount > 0 else "withdrawal", "ref_id": f"ref-{seq}",
                   "ref_code": f"STR-2610-{seq:06d}", "balance_after": balances[member, account], "prev_hash": prev}  # fmt: skip
            row["hash"] = hashlib.sha256(json.dumps(row, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
            conn.execute(
                f"INSERT INTO ledger ({','.join(row)}) VALUES ({','.join('?' for _ in row)})", list(row.values())
            )
            prev = row["hash"]
            rows.append(row)
        for (member, account), balance in balances.items():
            conn.execute(
                "INSERT INTO savings_accounts (member_id, savings_type, balance) VALUES (?, ?, ?)",
                (member, account, balance),
            )
    return rows


def _read(path: Path, sql: str, *args) -> list[sqlite3.Row]:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, args).fetchall()


@pytest.fixture
def migrated(tmp_path: Path) -> tuple[Path, list[dict]]:
    path = tmp_path / "lumbung.sqlite3"
    rows = _legacy_database(path)
    upgrade(path)
    return path, rows


def test_legacy_entries_keep_their_hashes_and_are_marked_version_1(migrated):
    path, rows = migrated
    stored = _read(path, "SELECT seq, hash, prev_hash, hash_version FROM ledger ORDER BY seq")

    assert [(r["seq"], r["hash"], r["prev_hash"]) for r in stored] == [
        (r["seq"], r["hash"], r["prev_hash"]) for r in rows
    ]
    assert {r["hash_version"] for r in stored} == {1}


def test_legacy_entries_get_their_account_places_and_the_folded_account_links(migrated):
    path, _ = migrated
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        entries = ledger_entries(conn)

    assert [(e.member_id, e.savings_type, e.account_seq) for e in entries] == [
        (1, "sukarela", 1), (2, "sukarela", 1), (1, "wajib", 1), (1, "sukarela", 2), (2, "sukarela", 2), (1, "sukarela", 3),
    ]  # fmt: skip
    by_seq = {e.seq: e for e in entries}
    assert by_seq[1].account_prev_hash == GENESIS_HASH
    assert by_seq[4].account_prev_hash == account_link(by_seq[1])
    assert (
        by_seq[6].account_prev_hash
        == hashlib.sha256((by_seq[4].account_prev_hash + by_seq[4].hash).encode()).hexdigest()
    )
    assert all(v.ok for v in verify_accounts(entries))


def test_the_migrated_ledger_verifies_with_both_chains(migrated):
    path, _ = migrated
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.row_factory = sqlite3.Row
        check = check_ledger(conn)

    assert (check.ok, check.entries, check.first_bad_seq, check.broken_accounts, check.mismatched_accounts) == (
        True, 6, None, [], [],
    )  # fmt: skip


def test_every_entry_is_published_again_with_its_new_fields_to_its_members_scope(migrated):
    path, _ = migrated
    changes = _read(path, "SELECT entity_id, data, audience, scope_member, scope_location, scope_user FROM changes"
                          " WHERE entity = 'ledger_entry' ORDER BY seq")  # fmt: skip
    stored = _read(path, "SELECT * FROM ledger ORDER BY seq")

    assert [c["entity_id"] for c in changes] == [str(r["seq"]) for r in stored]
    assert [json.loads(c["data"]) for c in changes] == [dict(r) for r in stored]
    assert [(c["audience"], c["scope_member"], c["scope_location"], c["scope_user"]) for c in changes] == [
        ("scoped", m, m, None) for m, _, _ in LEGACY
    ]
    decoded = [msgspec.json.decode(c["data"], type=LedgerEntry) for c in changes]
    assert all(v.ok for v in verify_accounts(decoded))


def test_the_ledger_is_still_append_only_after_the_migration(migrated):
    path, _ = migrated
    with sqlite3.connect(path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE ledger SET account_seq = 9 WHERE seq = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM ledger WHERE seq = 6")
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            conn.execute(
                "INSERT INTO ledger (seq, at, member_id, savings_type, amount, kind, ref_id, ref_code, balance_after,"
                " prev_hash, hash, account_seq, account_prev_hash, hash_version)"
                " VALUES (7, 't', 1, 'sukarela', 5, 'deposit', 'r', 'c', 5, 'p', 'h', 3, 'x', 2)"
            )


def test_new_entries_continue_both_chains_after_the_legacy_ones(migrated):
    path, _ = migrated
    db = Database(path)
    db.start()
    try:
        now = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
        added = [
            db.write_sync(
                lambda c: append_ledger(c, Posting(1, "sukarela", 10_000, "deposit", "r7", "STR-7"), 435_000, now)
            ),
            db.write_sync(
                lambda c: append_ledger(c, Posting(1, "pokok", 100_000, "deposit", "r8", "STR-8"), 100_000, now)
            ),
            db.write_sync(
                lambda c: append_ledger(c, Posting(1, "sukarela", 5_000, "deposit", "r9", "STR-9"), 440_000, now)
            ),
        ]
        entries = db.read_sync(ledger_entries)
    finally:
        db.close()
    by_seq = {e.seq: e for e in entries}

    assert [(e.seq, e.account_seq, e.hash_version) for e in added] == [(7, 4, 2), (8, 1, 2), (9, 5, 2)]
    assert added[0].account_prev_hash == account_link(by_seq[6])  # the fold of the legacy prefix: sealed
    assert added[2].account_prev_hash == added[0].hash
    assert added[0].prev_hash == by_seq[6].hash
    assert all(v.ok for v in verify_accounts(entries))


def test_downgrade_drops_the_fields_while_only_legacy_entries_exist(tmp_path: Path):
    path = tmp_path / "lumbung.sqlite3"
    _legacy_database(path)
    upgrade(path)
    command.downgrade(alembic_config(path), "0003")

    columns = {r[1] for r in _read(path, "PRAGMA table_info(ledger)")}
    assert not {"account_seq", "account_prev_hash", "hash_version"} & columns
    assert len(_read(path, "SELECT * FROM ledger")) == 6


def test_downgrade_is_refused_once_a_current_entry_exists(migrated):
    path, _ = migrated
    db = Database(path)
    db.start()
    try:
        now = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
        db.write_sync(lambda c: append_ledger(c, Posting(2, "sukarela", 1_000, "deposit", "r7", "STR-7"), 26_000, now))
    finally:
        db.close()

    with pytest.raises(RuntimeError, match="cannot be undone"):
        command.downgrade(alembic_config(path), "0003")
    assert {r[1] for r in _read(path, "PRAGMA table_info(ledger)")} >= {"account_seq", "hash_version"}


def _forge_last_entry(path: Path, **changes) -> None:
    """Rewrite the ledger's newest entry behind the triggers' back and re-hash it, as an insider would:
    the global chain cannot tell (nothing links to its tip), the account chain can."""
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        last = msgspec.convert(
            dict(conn.execute("SELECT * FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()), LedgerEntry
        )
        forged = msgspec.structs.replace(last, **changes)
        forged = msgspec.structs.replace(forged, hash=entry_hash(forged))
        conn.execute("DROP TRIGGER ledger_no_update")
        conn.execute(
            "UPDATE ledger SET account_seq = ?, account_prev_hash = ?, hash = ? WHERE seq = ?",
            (forged.account_seq, forged.account_prev_hash, forged.hash, forged.seq),
        )


def test_the_server_check_finds_a_broken_account_chain_the_global_chain_misses(migrated, tmp_path: Path, capsys):
    path, _ = migrated
    db = Database(path)
    db.start()
    try:
        now = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
        db.write_sync(lambda c: append_ledger(c, Posting(2, "sukarela", 1_000, "deposit", "r7", "STR-7"), 26_000, now))
    finally:
        db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE savings_accounts SET balance = 26000 WHERE member_id = 2 AND savings_type = 'sukarela'")
    _forge_last_entry(path, account_seq=7)

    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.row_factory = sqlite3.Row
        check = check_ledger(conn)
    assert (check.ok, check.first_bad_seq, check.broken_accounts, check.mismatched_accounts) == (
        False, None, ["2:sukarela"], [],
    )  # fmt: skip

    assert cli_main(["--data-dir", str(path.parent), "verify-ledger"]) == 1
    assert "rantai rekening rusak: ['2:sukarela']" in capsys.readouterr().out
