"""SQL of the read API: history with search and filters, dashboard balances, savings card, slips.

Every query takes the caller's scope clause, so a member only ever reads their own rows and an
officer their locations'.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from msgspec import Struct

from server.domain.models import COOP_TZ

from .accounts import UserRecord

__all__ = ["HistoryFilter", "scope_clause", "history", "balances", "members", "movements", "opening_balance", "cash_in_hand"]

_ELEVATED = {"pengurus", "admin"}
_WIB = f"+{int(dt.datetime.now(COOP_TZ).utcoffset().total_seconds() // 3600)} hours"  # type: ignore[union-attr]
"""Timestamps are stored in UTC; dates a user filters by are the cooperative's calendar (WIB, no DST)."""


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


def scope_clause(user: UserRecord, alias: str = "") -> tuple[str, list[Any]]:
    """SQL restricting transaction rows to what the user may see."""
    p = f"{alias}." if alias else ""
    if user.role in _ELEVATED:
        return "1 = 1", []
    parts, params = [f"{p}created_by = ?"], [user.id]
    if user.member_id is not None:
        parts.append(f"{p}member_id = ?")
        params.append(user.member_id)
    if user.location_ids:
        parts.append(f"{p}location_id IN ({','.join(str(int(x)) for x in user.location_ids)})")
    return "(" + " OR ".join(parts) + ")", params


def history(conn: sqlite3.Connection, table: str, user: UserRecord, f: HistoryFilter) -> tuple[list[dict[str, Any]], int]:
    """Deposits or withdrawals, newest first, filtered and paged; returns (rows, total)."""
    assert table in ("deposits", "withdrawals")
    where, params = scope_clause(user, "t")
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
        params += [_WIB, f.date_from]
    if f.date_to:
        clauses.append(f"{day} <= ?")
        params += [_WIB, f.date_to]
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


def members(conn: sqlite3.Connection, user: UserRecord, q: str | None, limit: int = 50) -> list[dict[str, Any]]:
    params: list[Any] = []
    clauses = ["1 = 1"]
    if user.role not in _ELEVATED:
        clauses.append(f"location_id IN ({','.join(str(int(x)) for x in user.location_ids) or 'NULL'})")
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
        (member_id, savings_type, _WIB, before),
    ).fetchone()
    return int(row[0])


def movements(conn: sqlite3.Connection, member_id: int, savings_type: str, start: str, end: str) -> list[tuple[str, str, str, int]]:
    rows = conn.execute(
        "SELECT at, ref_code, kind, amount FROM ledger WHERE member_id = ? AND savings_type = ?"
        " AND date(at, ?) BETWEEN ? AND ? ORDER BY seq",
        (member_id, savings_type, _WIB, start, end),
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
