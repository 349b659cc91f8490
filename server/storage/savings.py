"""SQL of the savings records: reference data, members, accounts, deposits, withdrawals, the ledger.

Every save also appends the row's new state to the change feed in the same transaction, so no write
path can forget to publish.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from server.domain.ledger import LedgerEntry, account_link, new_entry, verify_accounts, verify_chain
from server.domain.models import COOP_TZ, BankAccount, Deposit, Member, Posting, SavingsAccount, SavingsType, Withdrawal
from server.domain.timezone import transaction_code

from .batch import code_batch
from .database import Connection
from .feed import PUBLIC, Scope, defer_new, flush_pending, record_change

__all__ = [
    "load_member",
    "load_savings_type",
    "load_bank_account",
    "location_exists",
    "load_account",
    "save_account",
    "load_deposit",
    "insert_deposit",
    "update_deposit",
    "load_withdrawal",
    "insert_withdrawal",
    "update_withdrawal",
    "next_code",
    "post",
    "append_ledger",
    "ledger_entries",
    "LedgerCheck",
    "check_ledger",
    "insert_location",
    "insert_savings_type",
    "insert_bank_account",
    "insert_member",
    "has_members",
    "deactivate_member",
    "set_member_active",
]

S = TypeVar("S")


def _to(row: sqlite3.Row | None, cls: type[S]) -> S | None:
    return None if row is None else msgspec.convert(dict(row), cls, strict=False)


# --- reference data ---------------------------------------------------------------------------


def insert_location(conn: Connection, location_id: int, name: str, address: str = "") -> None:
    conn.execute("INSERT INTO locations (id, name, address) VALUES (?, ?, ?)", (location_id, name, address))
    record_change(conn, "location", location_id, {"id": location_id, "name": name, "address": address}, PUBLIC)


def location_exists(conn: sqlite3.Connection, location_id: int) -> bool:
    return conn.execute("SELECT 1 FROM locations WHERE id = ?", (location_id,)).fetchone() is not None


def insert_savings_type(conn: Connection, st: SavingsType) -> None:
    conn.execute(
        "INSERT INTO savings_types (code, name, withdrawable) VALUES (?, ?, ?)", (st.code, st.name, st.withdrawable)
    )
    record_change(conn, "savings_type", st.code, st, PUBLIC)


def load_savings_type(conn: sqlite3.Connection, code: str) -> SavingsType | None:
    return _to(
        conn.execute("SELECT code, name, withdrawable FROM savings_types WHERE code = ?", (code,)).fetchone(),
        SavingsType,
    )


def insert_bank_account(conn: Connection, account: BankAccount) -> None:
    conn.execute(
        "INSERT INTO bank_accounts (id, bank, number, holder, active) VALUES (?, ?, ?, ?, ?)",
        (account.id, account.bank, account.number, account.holder, account.active),
    )
    record_change(conn, "bank_account", account.id, account, PUBLIC)


def load_bank_account(conn: sqlite3.Connection, account_id: int) -> BankAccount | None:
    row = conn.execute(
        "SELECT id, bank, number, holder, active FROM bank_accounts WHERE id = ?", (account_id,)
    ).fetchone()
    return _to(row, BankAccount)


# --- members and accounts ---------------------------------------------------------------------


def _member_scope(member: Member) -> Scope:
    return Scope(member=member.id, location=member.location_id)


def insert_member(conn: Connection, member: Member, joined_at: str) -> None:
    conn.execute(
        "INSERT INTO members (id, number, name, kind, location_id, active, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (member.id, member.number, member.name, member.kind, member.location_id, member.active, joined_at),
    )
    record_change(conn, "member", member.id, member, _member_scope(member))


def deactivate_member(conn: Connection, member: Member) -> Member:
    """A member leaves: the row stays (history, ledger), marked inactive, and the change is published."""
    return set_member_active(conn, member, False)


def set_member_active(conn: Connection, member: Member, active: bool) -> Member:
    """Mark a member active (rejoined) or inactive (left) and publish the row."""
    conn.execute("UPDATE members SET active = ? WHERE id = ?", (int(active), member.id))
    changed = msgspec.structs.replace(member, active=active)
    record_change(conn, "member", member.id, changed, _member_scope(changed))
    return changed


def has_members(conn: sqlite3.Connection) -> bool:
    """True once any member exists (the demo loads only into an empty cooperative)."""
    return conn.execute("SELECT 1 FROM members LIMIT 1").fetchone() is not None


def load_member(conn: sqlite3.Connection, member_id: int) -> Member | None:
    row = conn.execute(
        "SELECT id, number, name, kind, location_id, active FROM members WHERE id = ?", (member_id,)
    ).fetchone()
    return _to(row, Member)


def _member_location(conn: sqlite3.Connection, member_id: int) -> int:
    return int(conn.execute("SELECT location_id FROM members WHERE id = ?", (member_id,)).fetchone()[0])


def load_account(conn: sqlite3.Connection, member_id: int, savings_type: str) -> SavingsAccount:
    """A member's account in a savings type; one that never moved reads as zero."""
    row = conn.execute(
        "SELECT member_id, savings_type, balance, held FROM savings_accounts WHERE member_id = ? AND savings_type = ?",
        (member_id, savings_type),
    ).fetchone()
    return _to(row, SavingsAccount) or SavingsAccount(member_id, savings_type)


def save_account(conn: Connection, account: SavingsAccount) -> None:
    conn.execute(
        "INSERT INTO savings_accounts (member_id, savings_type, balance, held) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (member_id, savings_type) DO UPDATE SET balance = excluded.balance, held = excluded.held",
        (account.member_id, account.savings_type, account.balance, account.held),
    )
    scope = Scope(member=account.member_id, location=_member_location(conn, account.member_id))
    record_change(conn, "savings_account", f"{account.member_id}:{account.savings_type}", account, scope)


# --- deposits and withdrawals -----------------------------------------------------------------

_DEPOSIT_FIELDS = tuple(Deposit.__struct_fields__)
_WITHDRAWAL_FIELDS = tuple(Withdrawal.__struct_fields__)


def _row_values(record: Any, fields: tuple[str, ...]) -> list[Any]:
    """Column values in ``fields`` order; dates and datetimes as ISO text (what msgspec emits)."""
    builtins = msgspec.to_builtins(record)
    return [builtins.get(name) for name in fields]


def _tx_scope(record: Deposit | Withdrawal) -> Scope:
    """A transaction is seen by its member, the officers of its location and whoever created it."""
    return Scope(member=record.member_id, location=record.location_id, user=record.created_by)


def _insert_sql(table: str, fields: tuple[str, ...]) -> str:
    """The INSERT of a new transaction row; an id already taken inserts nothing (``rowcount`` 0)."""
    return (
        f"INSERT INTO {table} ({','.join(fields)}) VALUES ({','.join('?' * len(fields))}) ON CONFLICT (id) DO NOTHING"
    )


_INSERT_DEPOSIT = _insert_sql("deposits", _DEPOSIT_FIELDS)
_INSERT_WITHDRAWAL = _insert_sql("withdrawals", _WITHDRAWAL_FIELDS)


def _insert(conn: Connection, sql: str, entity: str, record: Any, fields: tuple[str, ...]) -> bool:
    """Insert a new row and publish it; False (nothing written) when its id exists already.

    The statement text never changes, so sqlite3's statement cache prepares it once; the row is
    turned into builtins once, for both the columns and the change's JSON. Inside a push's optimistic
    pass the row waits for the pass's ``executemany`` (``FeedBatch.defer_new``): a duplicate id then
    fails the pass, and its careful rerun comes back here with no pass open and answers False."""
    builtins = msgspec.to_builtins(record)
    values = [builtins.get(name) for name in fields]
    if not defer_new(conn, sql, values) and conn.execute(sql, values).rowcount == 0:
        return False
    record_change(conn, entity, record.id, builtins, _tx_scope(record))
    return True


def _update(conn: Connection, table: str, entity: str, record: Any, fields: tuple[str, ...]) -> None:
    assignments = ",".join(f"{name} = ?" for name in fields if name != "id")
    values = [v for name, v in zip(fields, _row_values(record, fields), strict=True) if name != "id"]
    conn.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*values, record.id])
    record_change(conn, entity, record.id, record, _tx_scope(record))


def insert_deposit(conn: Connection, deposit: Deposit) -> bool:
    """Store a new deposit; False (nothing written) if a deposit with its id exists."""
    return _insert(conn, _INSERT_DEPOSIT, "deposit", deposit, _DEPOSIT_FIELDS)


def update_deposit(conn: Connection, deposit: Deposit) -> None:
    _update(conn, "deposits", "deposit", deposit, _DEPOSIT_FIELDS)


def load_deposit(conn: sqlite3.Connection, deposit_id: str) -> Deposit | None:
    flush_pending(conn)  # a deposit created earlier in this push pass must be found
    row = conn.execute(f"SELECT {','.join(_DEPOSIT_FIELDS)} FROM deposits WHERE id = ?", (deposit_id,)).fetchone()
    return _to(row, Deposit)


def insert_withdrawal(conn: Connection, withdrawal: Withdrawal) -> bool:
    """Store a new withdrawal; False (nothing written) if a withdrawal with its id exists."""
    return _insert(conn, _INSERT_WITHDRAWAL, "withdrawal", withdrawal, _WITHDRAWAL_FIELDS)


def update_withdrawal(conn: Connection, withdrawal: Withdrawal) -> None:
    _update(conn, "withdrawals", "withdrawal", withdrawal, _WITHDRAWAL_FIELDS)


def load_withdrawal(conn: sqlite3.Connection, withdrawal_id: str) -> Withdrawal | None:
    flush_pending(conn)  # a withdrawal created earlier in this push pass must be found
    row = conn.execute(
        f"SELECT {','.join(_WITHDRAWAL_FIELDS)} FROM withdrawals WHERE id = ?", (withdrawal_id,)
    ).fetchone()
    return _to(row, Withdrawal)


def next_code(conn: Connection, prefix: str, now: dt.datetime, tz: ZoneInfo = COOP_TZ) -> str:
    """Human transaction codes, e.g. STR-2611-000042: prefix, the cooperative's year-month, a number per prefix.

    Inside a push batch the numbers come from the batch's ``CodeBatch`` (one read and one write per
    batch instead of a statement per code)."""
    batch = code_batch(conn)
    if batch is not None:
        number = batch.next(prefix)
    else:
        row = conn.execute(
            "INSERT INTO code_counters (prefix, next) VALUES (?, 2) ON CONFLICT (prefix) DO UPDATE SET next = next + 1"
            " RETURNING next - 1",
            (prefix,),
        ).fetchone()
        number = int(row[0])
    return transaction_code(prefix, number, now, tz)


# --- ledger -----------------------------------------------------------------------------------


def post(conn: Connection, posting: Posting, now: dt.datetime, account: SavingsAccount | None = None) -> SavingsAccount:
    """Append a posting to the hash-chained ledger and move the account balance with it.

    ``account`` is the account as the domain left it (a withdrawal's released hold); by default the
    stored one.
    """
    if account is None:
        account = load_account(conn, posting.member_id, posting.savings_type)
    account = msgspec.structs.replace(account, balance=account.balance + posting.amount)
    append_ledger(conn, posting, account.balance, now)
    save_account(conn, account)
    return account


def append_ledger(conn: Connection, posting: Posting, balance_after: int, now: dt.datetime) -> LedgerEntry:
    """Append one entry to both hash chains (the ledger's and its account's) and publish it to the
    member's feed. The single writer makes "read the last hashes, append" safe."""
    last = conn.execute("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()
    account_last = conn.execute(
        f"SELECT {','.join(_ENTRY_FIELDS)} FROM ledger WHERE member_id = ? AND savings_type = ?"
        " ORDER BY account_seq DESC LIMIT 1",
        (posting.member_id, posting.savings_type),
    ).fetchone()
    account_previous = None if account_last is None else _to(account_last, LedgerEntry)
    entry = new_entry(
        posting, at=now.isoformat(), balance_after=balance_after,
        previous=None if last is None else (int(last[0]), str(last[1])),
        account_previous=None if account_previous is None else (account_previous.account_seq, account_link(account_previous)),
    )  # fmt: skip
    conn.execute(_INSERT_ENTRY, [getattr(entry, f) for f in _ENTRY_FIELDS])
    location = _member_location(conn, posting.member_id)
    record_change(conn, "ledger_entry", entry.seq, entry, Scope(member=posting.member_id, location=location))
    return entry


_ENTRY_FIELDS = LedgerEntry.__struct_fields__
_INSERT_ENTRY = f"INSERT INTO ledger ({','.join(_ENTRY_FIELDS)}) VALUES ({','.join('?' for _ in _ENTRY_FIELDS)})"


def ledger_entries(conn: sqlite3.Connection, member_id: int | None = None) -> list[LedgerEntry]:
    fields = ",".join(LedgerEntry.__struct_fields__)
    if member_id is None:
        rows = conn.execute(f"SELECT {fields} FROM ledger ORDER BY seq").fetchall()
    else:
        rows = conn.execute(f"SELECT {fields} FROM ledger WHERE member_id = ? ORDER BY seq", (member_id,)).fetchall()
    return [msgspec.convert(dict(r), LedgerEntry) for r in rows]


class LedgerCheck(msgspec.Struct):
    """``first_bad_seq``: the global chain's first break; ``broken_accounts``: accounts whose own chain
    fails (``"<member>:<savings type>"``); ``mismatched_accounts``: stored balance differs from the sum."""

    ok: bool
    entries: int
    first_bad_seq: int | None
    mismatched_accounts: list[str]
    broken_accounts: list[str] = msgspec.field(default_factory=list)


def check_ledger(conn: sqlite3.Connection) -> LedgerCheck:
    """Recompute both hash chains (global and per account) and check every balance (savings, loan
    outstanding) equals its ledger sum."""
    conn.execute("BEGIN")
    try:
        entries = ledger_entries(conn)
        sums = {
            f"{r[0]}:{r[1]}": int(r[2])
            for r in conn.execute(
                "SELECT member_id, savings_type, SUM(amount) FROM ledger WHERE savings_type NOT LIKE 'bunga:%'"
                " AND savings_type NOT LIKE 'biaya_admin:%' AND savings_type NOT LIKE 'biaya_transfer:%'"
                " GROUP BY member_id, savings_type"
            )
        }
        stored = {
            f"{r[0]}:{r[1]}": int(r[2])
            for r in conn.execute("SELECT member_id, savings_type, balance FROM savings_accounts")
        }
        stored |= {
            f"{r[0]}:pinjaman:{r[1]}": int(r[2])
            for r in conn.execute("SELECT member_id, id, outstanding FROM loans WHERE status IN ('active', 'paid_off')")
        }
    finally:
        conn.execute("COMMIT")
    mismatched = sorted(k for k in set(sums) | set(stored) if sums.get(k, 0) != stored.get(k, 0))
    first_bad = verify_chain(entries)
    broken = [v.account for v in verify_accounts(entries) if not v.ok]
    return LedgerCheck(first_bad is None and not mismatched and not broken, len(entries), first_bad, mismatched, broken)
