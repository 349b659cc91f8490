"""SQL of the read API: history with search and filters, dashboard balances, savings card, slips.

Every query of someone's rows takes the caller's ``Reach`` and filters by the access policy's SQL
condition (``server/access.py``), so a member only ever reads their own rows and an officer their
locations'.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from msgspec import Struct

from server.access import Reach, condition
from server.domain.timezone import utc_offset_modifier, zone

from . import admin

__all__ = [
    "HistoryFilter",
    "transaction_condition",
    "history",
    "slip",
    "balances",
    "members",
    "movements",
    "opening_balance",
    "cash_in_hand",
]


def local_offset(conn: sqlite3.Connection) -> str:
    """Timestamps are stored in UTC; dates a user filters by are the cooperative's calendar (its time
    zone setting; Indonesia's zones have no DST, so a fixed offset is exact)."""
    return utc_offset_modifier(zone(admin.time_zone(conn)))


class HistoryFilter(Struct, frozen=True, kw_only=True):
    q: str | None = None
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    location_id: int | None = None
    member_id: int | None = None
    page: int = 1
    page_size: int = 20


def transaction_condition(reach: Reach, alias: str) -> tuple[str, list[Any]]:
    """The policy's condition over a deposit or withdrawal table (``alias``)."""
    return condition(reach, member=f"{alias}.member_id", location=f"{alias}.location_id", creator=f"{alias}.created_by")


def history(conn: sqlite3.Connection, table: str, reach: Reach, f: HistoryFilter) -> tuple[list[dict[str, Any]], int]:
    """Deposits or withdrawals, newest first, filtered and paged; returns (rows, total)."""
    assert table in ("deposits", "withdrawals")
    where, params = transaction_condition(reach, "t")
    clauses = [where]
    if f.q:
        clauses.append("t.code LIKE ?")
        params.append(f"%{f.q.strip()}%")
    for column, values in (("kind", f.kinds), ("status", f.statuses), ("method", f.methods)):
        if values:
            clauses.append(f"t.{column} IN ({','.join('?' for _ in values)})")
            params.extend(values)
    # Tanggal Setoran: the transfer date a member typed, else the day (WIB) the transaction was made
    day = "COALESCE(t.transfer_date, date(t.created_at, ?))" if table == "deposits" else "date(t.created_at, ?)"
    if f.date_from:
        clauses.append(f"{day} >= ?")
        params += [local_offset(conn), f.date_from]
    if f.date_to:
        clauses.append(f"{day} <= ?")
        params += [local_offset(conn), f.date_to]
    if f.location_id is not None:
        clauses.append("t.location_id = ?")
        params.append(f.location_id)
    if f.member_id is not None:
        clauses.append("t.member_id = ?")
        params.append(f.member_id)
    sql_where = " AND ".join(clauses)
    total = conn.execute(f"SELECT COUNT(*) FROM {table} t WHERE {sql_where}", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT t.*, m.name AS member_name, m.number AS member_number, l.name AS location_name"
        f" FROM {table} t JOIN members m ON m.id = t.member_id JOIN locations l ON l.id = t.location_id"
        f" WHERE {sql_where} ORDER BY t.created_at DESC, t.code DESC LIMIT ? OFFSET ?",
        [*params, f.page_size, (f.page - 1) * f.page_size],
    ).fetchall()
    return [dict(r) for r in rows], int(total)


def balances(conn: sqlite3.Connection, member_id: int) -> list[dict[str, Any]]:
    """One line per savings type (zero where nothing moved yet)."""
    rows = conn.execute(
        "SELECT st.code AS savings_type, st.name, st.withdrawable,"
        " COALESCE(a.balance, 0) AS balance, COALESCE(a.held, 0) AS held"
        " FROM savings_types st LEFT JOIN savings_accounts a ON a.savings_type = st.code AND a.member_id = ?"
        " ORDER BY st.rowid",
        (member_id,),
    ).fetchall()
    return [{**dict(r), "withdrawable": bool(r["withdrawable"])} for r in rows]


def slip(conn: sqlite3.Connection, deposit_id: str, reach: Reach) -> dict[str, Any] | None:
    """A deposit with the names a printed slip shows, or None if it is unknown or not the caller's to see."""
    where, params = transaction_condition(reach, "d")
    row = conn.execute(
        "SELECT d.*, m.name AS member_name, m.number AS member_number, l.name AS location_name,"
        " st.name AS savings_type_name, b.bank AS bank, b.number AS bank_number, v.name AS decided_by_name"
        " FROM deposits d JOIN members m ON m.id = d.member_id JOIN locations l ON l.id = d.location_id"
        " JOIN savings_types st ON st.code = d.savings_type LEFT JOIN bank_accounts b ON b.id = d.bank_account_id"
        f" LEFT JOIN users v ON v.id = d.decided_by WHERE d.id = ? AND {where}",
        [deposit_id, *params],
    ).fetchone()
    return None if row is None else dict(row)


def members(conn: sqlite3.Connection, reach: Reach, q: str | None, limit: int = 50) -> list[dict[str, Any]]:
    """Members the caller may see (an officer: their locations' members), searchable by name or number."""
    where, params = condition(reach, member="id", location="location_id")
    clauses = [where]
    if q:
        clauses.append("(name LIKE ? OR number LIKE ?)")
        params += [f"%{q}%", f"%{q}%"]
    rows = conn.execute(
        f"SELECT id, number, name, kind, location_id, active FROM members WHERE {' AND '.join(clauses)}"
        " ORDER BY number LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [{**dict(r), "active": bool(r["active"])} for r in rows]


def opening_balance(conn: sqlite3.Connection, member_id: int, savings_type: str, before: str) -> int:
    row = conn.execute(
        "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE member_id = ? AND savings_type = ? AND date(at, ?) < ?",
        (member_id, savings_type, local_offset(conn), before),
    ).fetchone()
    return int(row[0])


def movements(
    conn: sqlite3.Connection, member_id: int, savings_type: str, start: str, end: str
) -> list[tuple[str, str, str, int]]:
    rows = conn.execute(
        "SELECT at, ref_code, kind, amount FROM ledger WHERE member_id = ? AND savings_type = ?"
        " AND date(at, ?) BETWEEN ? AND ? ORDER BY seq",
        (member_id, savings_type, local_offset(conn), start, end),
    ).fetchall()
    return [(r[0], r[1], r[2], int(r[3])) for r in rows]


def cash_in_hand(conn: sqlite3.Connection, officer_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT d.id, d.code, d.amount, d.created_at, d.device_time, m.name AS member_name, m.number AS member_number"
        " FROM deposits d JOIN members m ON m.id = d.member_id"
        " WHERE d.created_by = ? AND d.kind = 'offline' AND d.status = 'unverified' ORDER BY d.created_at",
        (officer_id,),
    ).fetchall()
    return [dict(r) for r in rows]
