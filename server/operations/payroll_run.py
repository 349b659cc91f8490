"""The monthly payroll run (*potong gaji*): export the deductions for HR, import HR's result file.

Export computes each member's lines (mandatory savings, voluntary savings as in effect that month,
installments due) and applies deduction changes that take effect. Import posts each paid line once:
a savings deposit or a loan repayment through the ledger. Importing the same file twice changes
nothing; a line that does not match the export is reported with its line number and nothing of it
is posted.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from server.domain import loans as rules
from server.domain.models import Actor
from server.domain.payroll import (
    ImportProblem,
    check_month,
    export_csv,
    installments_due,
    parse_result_csv,
    payroll_lines,
    reconcile,
    savings_posting,
)
from server.domain.timezone import zone
from server.errors import DomainError, Forbidden, InvalidInput
from server.storage import loans as store
from server.storage import savings
from server.storage.admin import time_zone
from server.storage.interface import Tx
from server.storage.transactions import savepoint
from server.sync.loan_handlers import post_repayment

__all__ = ["ImportReport", "export_month", "import_month"]


class ImportReport(msgspec.Struct):
    month: str
    posted: int
    unpaid: int
    unchanged: int
    problems: list[ImportProblem]


def _require_board(actor: Actor) -> None:
    if not actor.is_elevated:
        raise Forbidden("board_only", "Hanya pengurus atau admin yang menjalankan potong gaji.")


def _month_after(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def export_month(conn: Tx, month: str, actor: Actor, now: dt.datetime) -> str:
    """The month's deduction file for HR (CSV); the lines are recorded for the import."""
    _require_board(actor)
    check_month(month)
    if month > _month_after(rules.current_month(now, zone(time_zone(conn)))):
        raise InvalidInput("month_too_far", "Potong gaji hanya dapat dibuat untuk bulan ini atau bulan depan.")
    profiles, dues = [], []
    for member_id in store.payroll_members(conn):
        member = savings.load_member(conn, member_id)
        assert member is not None
        profile = store.load_profile(conn, member_id)
        changes = store.deduction_changes(conn, member_id)
        effective = rules.deduction_for_month(profile, changes, month)
        profiles.append((msgspec.structs.replace(profile, voluntary_deduction=effective), member))
        for change in store.deduction_changes(conn, member_id, ("submitted",)):
            if change.effective_month <= month:
                store.apply_change(conn, change, now)
        for loan in store.member_loans(conn, member_id, ("active",)):
            dues += installments_due(month, loan, store.schedule_paid(conn, loan.id))
    lines = payroll_lines(month, profiles, dues)
    for line in lines:
        store.save_payroll_line(conn, line)
    return export_csv(lines)


def import_month(conn: Tx, month: str, text: str, actor: Actor, now: dt.datetime) -> ImportReport:
    """Post HR's results; each line in its own savepoint, so one bad line posts nothing of itself."""
    _require_board(actor)
    check_month(month)
    expected, recorded = store.payroll_month(conn, month)
    accepted, problems = parse_result_csv(text, expected)
    changes, refused = reconcile(accepted, recorded)
    problems += refused
    posted = unpaid = 0
    for result, line in changes:
        try:
            with savepoint(conn, "payroll_line"):
                if result.paid and line.kind == "angsuran":
                    loan = store.load_loan(conn, line.loan_id or "")
                    if loan is None:
                        raise DomainError("loan_not_found", "Pinjaman untuk baris ini tidak ditemukan.")
                    rules.check_repayment_actor(loan, actor, "potong_gaji")
                    post_repayment(
                        conn,
                        loan,
                        line.amount,
                        repayment_id=f"pg:{line.line_id}",
                        source="potong_gaji",
                        reference=line.line_id,
                        created_by=actor.user_id,
                        now=now,
                    )
                elif result.paid:
                    savings.post(conn, savings_posting(line), now)
                store.record_payroll_result(conn, line.line_id, result.paid, now)
        except DomainError as refusal:  # the line's savepoint is undone: nothing of it is posted
            problems.append(ImportProblem(result.line_number, refusal.code, refusal.message))
        else:
            posted += result.paid
            unpaid += not result.paid
    problems.sort(key=lambda p: p.line_number)
    return ImportReport(month, posted, unpaid, len(accepted) - len(changes), problems)
