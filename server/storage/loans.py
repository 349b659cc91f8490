"""SQL of loans: products, payroll profiles (with plafon history), loans and their schedules,
repayments, deduction changes and payroll lines. Every save publishes to the change feed.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

import msgspec

from server.domain.loans import (
    DeductionChange,
    Loan,
    LoanProduct,
    LoanSettings,
    PayrollProfile,
    PlafonBreakdown,
    current_month,
    plafon_now,
)
from server.domain.payroll import PayrollLine
from server.domain.schedule import Installment, Schedule
from server.domain.timezone import zone

from .database import Connection
from .feed import PUBLIC, Scope, record_change
from .savings import load_member

__all__ = [
    "save_product",
    "publish_loan_settings",
    "load_product",
    "products",
    "load_profile",
    "save_profile",
    "load_loan",
    "insert_loan",
    "update_loan",
    "save_schedule",
    "schedule_paid",
    "mark_paid",
    "insert_repayment",
    "repayment_exists",
    "repayments",
    "interest_paid",
    "product_name_taken",
    "plafon_history",
    "member_deduction_changes",
    "active_installments",
    "member_loans",
    "load_change",
    "save_change",
    "deduction_changes",
    "plafon",
    "save_payroll_line",
    "record_payroll_result",
    "payroll_month",
    "payroll_members",
    "apply_change",
]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _member_location(conn: sqlite3.Connection, member_id: int) -> int:
    member = load_member(conn, member_id)
    assert member is not None, member_id
    return member.location_id


# --- products ---------------------------------------------------------------------------------

_PRODUCT_FIELDS = tuple(LoanProduct.__struct_fields__)


def save_product(conn: Connection, product: LoanProduct) -> None:
    values = msgspec.to_builtins(product)
    values["purposes"] = msgspec.json.encode(list(product.purposes)).decode()
    columns = ",".join(_PRODUCT_FIELDS)
    updates = ",".join(f"{f} = excluded.{f}" for f in _PRODUCT_FIELDS if f != "id")
    conn.execute(
        f"INSERT INTO loan_products ({columns}) VALUES ({','.join('?' for _ in _PRODUCT_FIELDS)})"
        f" ON CONFLICT (id) DO UPDATE SET {updates}",
        [values[f] for f in _PRODUCT_FIELDS],
    )
    record_change(conn, "loan_product", product.id, product, PUBLIC)


def _product(row: sqlite3.Row | None) -> LoanProduct | None:
    if row is None:
        return None
    data = dict(row)
    data["purposes"] = msgspec.json.decode(data["purposes"])
    return msgspec.convert(data, LoanProduct, strict=False)


def load_product(conn: sqlite3.Connection, product_id: int) -> LoanProduct | None:
    return _product(conn.execute("SELECT * FROM loan_products WHERE id = ?", (product_id,)).fetchone())


def product_name_taken(conn: sqlite3.Connection, name: str, product_id: int) -> bool:
    """True if another product already has this name."""
    row = conn.execute("SELECT 1 FROM loan_products WHERE name = ? AND id != ?", (name, product_id)).fetchone()
    return row is not None


def products(conn: sqlite3.Connection) -> list[LoanProduct]:
    return [p for p in map(_product, conn.execute("SELECT * FROM loan_products ORDER BY id")) if p is not None]


def publish_loan_settings(conn: Connection, settings: LoanSettings) -> bool:
    """Put the cooperative's loan settings in the feed (once per change), so devices check as the server does."""
    encoded = msgspec.json.encode(settings).decode()
    row = conn.execute("SELECT value FROM meta WHERE key = 'loan_settings'").fetchone()
    if row is not None and row[0] == encoded:
        return False
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('loan_settings', ?) ON CONFLICT (key) DO UPDATE SET value = ?",
        (encoded, encoded),
    )
    record_change(conn, "loan_settings", "current", settings, PUBLIC)
    return True


# --- payroll profiles -------------------------------------------------------------------------


def load_profile(conn: sqlite3.Connection, member_id: int) -> PayrollProfile:
    row = conn.execute("SELECT * FROM payroll_profiles WHERE member_id = ?", (member_id,)).fetchone()
    return PayrollProfile(member_id) if row is None else msgspec.convert(dict(row), PayrollProfile, strict=False)


def save_profile(conn: Connection, profile: PayrollProfile, set_by: int, now: dt.datetime) -> None:
    """Save a profile; a changed plafon is also recorded in its history."""
    before = load_profile(conn, profile.member_id)
    conn.execute(
        "INSERT INTO payroll_profiles (member_id, plafon, birth_date, category, voluntary_deduction, mandatory_savings)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET plafon = excluded.plafon,"
        " birth_date = excluded.birth_date, category = excluded.category,"
        " voluntary_deduction = excluded.voluntary_deduction, mandatory_savings = excluded.mandatory_savings",
        (
            profile.member_id,
            profile.plafon,
            _iso(profile.birth_date),
            profile.category,
            profile.voluntary_deduction,
            profile.mandatory_savings,
        ),
    )
    if before.plafon != profile.plafon:
        conn.execute(
            "INSERT INTO plafon_history (member_id, plafon, set_by, set_at) VALUES (?, ?, ?, ?)",
            (profile.member_id, profile.plafon, set_by, now.isoformat()),
        )
    scope = Scope(member=profile.member_id, location=_member_location(conn, profile.member_id))
    record_change(conn, "payroll_profile", profile.member_id, profile, scope)


# --- loans and schedules ----------------------------------------------------------------------

_LOAN_FIELDS = tuple(Loan.__struct_fields__)


def plafon_history(conn: sqlite3.Connection, member_id: int) -> list[dict[str, Any]]:
    """Every plafon angsuran a member has had, who set it and when, oldest first."""
    rows = conn.execute(
        "SELECT plafon, set_by, set_at FROM plafon_history WHERE member_id = ? ORDER BY id", (member_id,)
    )
    return [dict(r) for r in rows]


def _loan_scope(loan: Loan) -> Scope:
    return Scope(member=loan.member_id, location=loan.location_id, user=loan.created_by)


def _loan_values(loan: Loan) -> list[Any]:
    values = msgspec.to_builtins(loan)
    values["terms"] = None if loan.terms is None else msgspec.json.encode(loan.terms).decode()
    return [values.get(f) for f in _LOAN_FIELDS]


def insert_loan(conn: Connection, loan: Loan) -> None:
    conn.execute(
        f"INSERT INTO loans ({','.join(_LOAN_FIELDS)}) VALUES ({','.join('?' for _ in _LOAN_FIELDS)})",
        _loan_values(loan),
    )
    record_change(conn, "loan", loan.id, loan, _loan_scope(loan))


def update_loan(conn: Connection, loan: Loan) -> None:
    fields = [f for f in _LOAN_FIELDS if f != "id"]
    values = dict(zip(_LOAN_FIELDS, _loan_values(loan), strict=True))
    conn.execute(
        f"UPDATE loans SET {','.join(f'{f} = ?' for f in fields)} WHERE id = ?", [values[f] for f in fields] + [loan.id]
    )
    record_change(conn, "loan", loan.id, loan, _loan_scope(loan))


def _loan(row: sqlite3.Row | None) -> Loan | None:
    if row is None:
        return None
    data = dict(row)
    data["terms"] = None if data["terms"] is None else msgspec.json.decode(data["terms"])
    return msgspec.convert(data, Loan, strict=False)


def load_loan(conn: sqlite3.Connection, loan_id: str) -> Loan | None:
    return _loan(conn.execute("SELECT * FROM loans WHERE id = ?", (loan_id,)).fetchone())


def member_loans(conn: sqlite3.Connection, member_id: int, statuses: tuple[str, ...] = ()) -> list[Loan]:
    sql = "SELECT * FROM loans WHERE member_id = ?"
    params: list[int | str] = [member_id]
    if statuses:
        sql += f" AND status IN ({','.join('?' for _ in statuses)})"
        params += list(statuses)
    return [loan for loan in map(_loan, conn.execute(sql + " ORDER BY created_at", params)) if loan is not None]


def _publish_schedule(conn: Connection, loan: Loan) -> None:
    """The schedule travels as one feed row per loan: installments with what is paid of each."""
    rows = conn.execute(
        "SELECT number, due_date, principal, interest, amount, remaining, paid FROM loan_installments"
        " WHERE loan_id = ? ORDER BY number",
        (loan.id,),
    ).fetchall()
    record_change(
        conn, "loan_schedule", loan.id, {"loan_id": loan.id, "installments": [dict(r) for r in rows]}, _loan_scope(loan)
    )


def save_schedule(conn: Connection, loan: Loan, schedule: Schedule) -> None:
    conn.executemany(
        "INSERT INTO loan_installments (loan_id, number, due_date, principal, interest, amount, remaining)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (loan.id, i.number, i.due_date.isoformat(), i.principal, i.interest, i.amount, i.remaining)
            for i in schedule.installments
        ],
    )
    _publish_schedule(conn, loan)


def schedule_paid(conn: sqlite3.Connection, loan_id: str) -> list[tuple[Installment, int]]:
    rows = conn.execute(
        "SELECT number, due_date, principal, interest, amount, remaining, paid FROM loan_installments"
        " WHERE loan_id = ? ORDER BY number",
        (loan_id,),
    ).fetchall()
    return [
        (
            Installment(
                r["number"],
                dt.date.fromisoformat(r["due_date"]),
                r["principal"],
                r["interest"],
                r["amount"],
                r["remaining"],
            ),
            int(r["paid"]),
        )
        for r in rows
    ]


def mark_paid(conn: Connection, loan: Loan, paid_by_number: dict[int, int]) -> None:
    """Add paid amounts to installments and publish the loan's schedule once."""
    conn.executemany(
        "UPDATE loan_installments SET paid = paid + ? WHERE loan_id = ? AND number = ?",
        [(amount, loan.id, number) for number, amount in paid_by_number.items()],
    )
    _publish_schedule(conn, loan)


def insert_repayment(
    conn: Connection,
    *,
    repayment_id: str,
    loan: Loan,
    amount: int,
    principal: int,
    interest: int,
    source: str,
    reference: str | None,
    created_by: int,
    now: dt.datetime,
) -> None:
    conn.execute(
        "INSERT INTO loan_repayments (id, loan_id, amount, principal, interest, source, reference, created_by,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (repayment_id, loan.id, amount, principal, interest, source, reference, created_by, now.isoformat()),
    )
    data = {
        "id": repayment_id,
        "loan_id": loan.id,
        "member_id": loan.member_id,
        "amount": amount,
        "principal": principal,
        "interest": interest,
        "source": source,
        "created_by": created_by,
        "created_at": now.isoformat(),
    }
    record_change(conn, "loan_repayment", repayment_id, data, _loan_scope(loan))


def repayment_exists(conn: sqlite3.Connection, repayment_id: str) -> bool:
    return conn.execute("SELECT 1 FROM loan_repayments WHERE id = ?", (repayment_id,)).fetchone() is not None


def repayments(conn: sqlite3.Connection, loan_id: str) -> list[dict[str, Any]]:
    """A loan's repayments, oldest first, as Detail Pinjaman lists them."""
    rows = conn.execute(
        "SELECT id, amount, principal, interest, source, created_at FROM loan_repayments WHERE loan_id = ?"
        " ORDER BY created_at",
        (loan_id,),
    )
    return [dict(r) for r in rows]


def interest_paid(conn: sqlite3.Connection, loan_id: str) -> int:
    """Interest paid on a loan so far, repayments of the current transaction included: the balance of
    its ``bunga:`` ledger account."""
    row = conn.execute(
        "SELECT COALESCE(SUM(interest), 0) FROM loan_repayments WHERE loan_id = ?", (loan_id,)
    ).fetchone()
    return int(row[0])


def active_installments(conn: sqlite3.Connection, member_id: int, exclude_loan: str | None = None) -> list[int]:
    """The monthly installment of each loan that counts against the plafon (approved or running)."""
    rows = conn.execute(
        "SELECT monthly_installment FROM loans WHERE member_id = ? AND status IN ('approved', 'active')"
        " AND id IS NOT ?",
        (member_id, exclude_loan),
    ).fetchall()
    return [int(r[0]) for r in rows]


# --- deduction changes ------------------------------------------------------------------------


def load_change(conn: sqlite3.Connection, change_id: str) -> tuple[DeductionChange, str] | None:
    row = conn.execute("SELECT * FROM deduction_changes WHERE id = ?", (change_id,)).fetchone()
    if row is None:
        return None
    return msgspec.convert(dict(row), DeductionChange, strict=False), str(row["status"])


def save_change(conn: Connection, change: DeductionChange, status: str, now: dt.datetime) -> None:
    conn.execute(
        "INSERT INTO deduction_changes (id, member_id, savings_type, current_amount, new_amount, effective_month,"
        " status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET status = excluded.status, decided_at = ?",
        (
            change.id,
            change.member_id,
            change.savings_type,
            change.current_amount,
            change.new_amount,
            change.effective_month,
            status,
            change.created_by,
            change.created_at.isoformat(),
            now.isoformat(),
        ),
    )
    scope = Scope(member=change.member_id, location=_member_location(conn, change.member_id), user=change.created_by)
    record_change(conn, "deduction_change", change.id, {**msgspec.to_builtins(change), "status": status}, scope)


def deduction_changes(
    conn: sqlite3.Connection, member_id: int, statuses: tuple[str, ...] = ("submitted", "applied")
) -> list[DeductionChange]:
    """A member's deduction changes (by default those not cancelled), oldest first."""
    rows = conn.execute(
        f"SELECT * FROM deduction_changes WHERE member_id = ? AND status IN ({','.join('?' for _ in statuses)})"
        " ORDER BY effective_month, created_at",
        (member_id, *statuses),
    ).fetchall()
    return [msgspec.convert(dict(r), DeductionChange, strict=False) for r in rows]


def member_deduction_changes(conn: sqlite3.Connection, member_id: int) -> list[dict[str, Any]]:
    """Every deduction change of a member as stored (any status), newest first."""
    rows = conn.execute("SELECT * FROM deduction_changes WHERE member_id = ? ORDER BY created_at DESC", (member_id,))
    return [dict(r) for r in rows]


# --- payroll ----------------------------------------------------------------------------------


def save_payroll_line(conn: Connection, line: PayrollLine) -> None:
    """Record an exported line; exporting the month again refreshes lines no result has touched."""
    conn.execute(
        "INSERT INTO payroll_lines (line_id, month, member_id, kind, reference, amount, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (line_id) DO UPDATE SET amount = excluded.amount, data = excluded.data"
        " WHERE payroll_lines.status = 'exported'",
        (
            line.line_id,
            line.month,
            line.member_id,
            line.kind,
            line.reference,
            line.amount,
            msgspec.json.encode(line).decode(),
        ),
    )


def record_payroll_result(conn: Connection, line_id: str, paid: bool, now: dt.datetime) -> None:
    conn.execute(
        "UPDATE payroll_lines SET status = ?, imported_at = ? WHERE line_id = ?",
        ("paid" if paid else "unpaid", now.isoformat(), line_id),
    )


def payroll_month(conn: sqlite3.Connection, month: str) -> tuple[dict[str, PayrollLine], dict[str, bool]]:
    """The month's exported lines, and the results already recorded (line id -> paid)."""
    lines: dict[str, PayrollLine] = {}
    recorded: dict[str, bool] = {}
    for row in conn.execute("SELECT line_id, status, data FROM payroll_lines WHERE month = ? ORDER BY rowid", (month,)):
        lines[row["line_id"]] = msgspec.json.decode(row["data"], type=PayrollLine)
        if row["status"] != "exported":
            recorded[row["line_id"]] = row["status"] == "paid"
    return lines, recorded


def apply_change(conn: Connection, change: DeductionChange, now: dt.datetime) -> None:
    """A deduction change went into its month's payroll file. The profile keeps the amount set before
    any change; the amount for a month is always worked out from the history (loans.deduction_for_month)."""
    save_change(conn, change, "applied", now)


def plafon(
    conn: sqlite3.Connection, member_id: int, now: dt.datetime, exclude_loan: str | None = None
) -> PlafonBreakdown:
    """The member's sisa plafon now, as every check and the dashboard count it (loans.plafon_now), in
    the cooperative's month (its time zone setting)."""
    from .admin import time_zone  # admin's storage builds on this module; the setting is one SELECT

    return plafon_now(
        load_profile(conn, member_id),
        deduction_changes(conn, member_id),
        current_month(now, zone(time_zone(conn))),
        active_installments(conn, member_id, exclude_loan),
    )


def payroll_members(conn: sqlite3.Connection) -> list[int]:
    rows = conn.execute(
        "SELECT p.member_id FROM payroll_profiles p JOIN members m ON m.id = p.member_id WHERE m.active = 1"
        " ORDER BY m.number"
    )
    return [int(r[0]) for r in rows]
