"""SQL of the printable documents and of QR verification: slips, the ledger hashes a QR carries,
the officer's daily cash report, and lookups by transaction code.

Queries of someone's rows take the caller's ``Reach`` and filter by the access policy's condition.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from server.access import Reach

from .reads import local_offset, transaction_condition

__all__ = [
    "withdrawal_slip",
    "posting_of",
    "entry_by_hash",
    "last_entry_in_period",
    "last_loan_entry",
    "cash_report",
    "user_brief",
    "officer_by_username",
    "by_code",
    "member_by_number",
]


def withdrawal_slip(conn: sqlite3.Connection, withdrawal_id: str, reach: Reach) -> dict[str, Any] | None:
    """A withdrawal with the names its slip shows, or None if unknown or not the caller's to see."""
    where, params = transaction_condition(reach, "w")
    row = conn.execute(
        "SELECT w.*, m.name AS member_name, m.number AS member_number, l.name AS location_name,"
        " st.name AS savings_type_name, v.name AS decided_by_name"
        " FROM withdrawals w JOIN members m ON m.id = w.member_id JOIN locations l ON l.id = w.location_id"
        " JOIN savings_types st ON st.code = w.savings_type"
        f" LEFT JOIN users v ON v.id = w.decided_by WHERE w.id = ? AND {where}",
        [withdrawal_id, *params],
    ).fetchone()
    return None if row is None else dict(row)


def posting_of(conn: sqlite3.Connection, ref_id: str, kind: str) -> dict[str, Any] | None:
    """The ledger entry that posted a deposit or withdrawal (None while it is not verified)."""
    row = conn.execute(
        "SELECT seq, at, hash, amount, balance_after FROM ledger WHERE ref_id = ? AND kind = ? ORDER BY seq LIMIT 1",
        (ref_id, kind),
    ).fetchone()
    return None if row is None else dict(row)


def entry_by_hash(conn: sqlite3.Connection, entry_hash: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT l.seq, l.member_id, l.savings_type, l.amount, l.kind, l.ref_id, l.ref_code, l.balance_after,"
        " m.number AS member_number, m.location_id FROM ledger l JOIN members m ON m.id = l.member_id WHERE l.hash = ?",
        (entry_hash,),
    ).fetchone()
    return None if row is None else dict(row)


def last_entry_in_period(conn: sqlite3.Connection, member_id: int, savings_type: str, end: str) -> str:
    """Hash of the member's last entry of this account up to ``end`` (the cooperative's date); '' if there is none."""
    row = conn.execute(
        "SELECT hash FROM ledger WHERE member_id = ? AND savings_type = ? AND date(at, ?) <= ? ORDER BY seq DESC LIMIT 1",
        (member_id, savings_type, local_offset(conn), end),
    ).fetchone()
    return "" if row is None else str(row[0])


def last_loan_entry(conn: sqlite3.Connection, loan_id: str) -> str:
    """Hash of the latest principal entry of a loan (disbursement or repayment); '' before disbursement."""
    row = conn.execute(
        "SELECT hash FROM ledger WHERE savings_type = ? ORDER BY seq DESC LIMIT 1", (f"pinjaman:{loan_id}",)
    ).fetchone()
    return "" if row is None else str(row[0])


def cash_report(conn: sqlite3.Connection, officer_id: int, day: str) -> list[dict[str, Any]]:
    """Every cash deposit the officer collected on ``day`` (the cooperative's date), whatever its status now."""
    rows = conn.execute(
        "SELECT d.code, d.amount, d.status, d.savings_type, d.created_at, m.number AS member_number,"
        " m.name AS member_name FROM deposits d JOIN members m ON m.id = d.member_id"
        " WHERE d.created_by = ? AND d.kind = 'offline' AND date(d.created_at, ?) = ? ORDER BY d.created_at, d.code",
        (officer_id, local_offset(conn), day),
    ).fetchall()
    return [dict(r) for r in rows]


def user_brief(conn: sqlite3.Connection, user_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT id, username, name, role FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else dict(row)


def officer_by_username(conn: sqlite3.Connection, username: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT id, username, name, role FROM users WHERE username = ?", (username,)).fetchone()
    return None if row is None else dict(row)


_CODE_TABLES = {"setoran": "deposits", "penarikan": "withdrawals", "pinjaman": "loans"}


def by_code(conn: sqlite3.Connection, document: str, code: str) -> dict[str, Any] | None:
    """A deposit, withdrawal or loan by its transaction code, with its owners and member number."""
    table = _CODE_TABLES[document]
    row = conn.execute(
        f"SELECT t.id, t.code, t.amount, t.status, t.member_id, t.location_id, t.created_by, m.number AS member_number"
        f" FROM {table} t JOIN members m ON m.id = t.member_id WHERE t.code = ?",
        (code,),
    ).fetchone()
    return None if row is None else dict(row)


def member_by_number(conn: sqlite3.Connection, number: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT id, number, name, kind, location_id, active FROM members WHERE number = ?", (number,)
    ).fetchone()
    return None if row is None else dict(row)
