"""Payroll deduction (potong gaji): the month's deduction lines, the CSV for HR, and HR's result file.

One line per member and deduction: simpanan wajib, simpanan sukarela, and each loan installment due
that month. Line ids are deterministic (``"{month}:{member_id}:{kind}:{reference}"``), so running the
same month again gives the same ids, and importing the same result file twice posts nothing new
(``reconcile``). Formats are in docs/LOANS.md, "Payroll".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from typing import Literal, Protocol

from msgspec import Struct

from server.errors import InvalidInput

from .loans import Loan, PayrollProfile
from .models import Posting
from .rules import rupiah
from .schedule import Installment

__all__ = [
    "PayrollKind",
    "KIND_SAVINGS_TYPE",
    "EXPORT_COLUMNS",
    "RESULT_COLUMNS",
    "PayrollLine",
    "InstallmentDue",
    "ImportedResult",
    "ImportProblem",
    "check_month",
    "installments_due",
    "payroll_lines",
    "export_csv",
    "parse_result_csv",
    "unreported",
    "reconcile",
    "savings_posting",
]

PayrollKind = Literal["simpanan_wajib", "simpanan_sukarela", "angsuran"]
KIND_SAVINGS_TYPE: dict[str, str] = {"simpanan_wajib": "wajib", "simpanan_sukarela": "sukarela"}
_KIND_ORDER = {"simpanan_wajib": 0, "simpanan_sukarela": 1, "angsuran": 2}

EXPORT_COLUMNS = ("line_id", "bulan", "no_anggota", "nama", "jenis", "referensi", "jumlah")
RESULT_COLUMNS = EXPORT_COLUMNS + ("status",)
_REQUIRED_RESULT_COLUMNS = ("line_id", "no_anggota", "jumlah", "status")
_PAID = {"lunas": True, "1": True, "gagal": False, "0": False}
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_DIGITS = re.compile(r"^[0-9]{1,15}$")


class MemberLike(Protocol):
    @property
    def number(self) -> str: ...

    @property
    def name(self) -> str: ...


class PayrollLine(Struct, frozen=True):
    line_id: str
    month: str
    member_id: int
    member_number: str
    member_name: str
    kind: PayrollKind
    reference: str
    """``wajib`` / ``sukarela`` for savings, ``{loan code}/{installment number}`` for an installment."""
    amount: int
    loan_id: str | None = None
    installment_number: int | None = None


class InstallmentDue(Struct, frozen=True):
    """The unpaid part of one installment that falls due in a payroll month."""

    member_id: int
    loan_id: str
    loan_code: str
    number: int
    due_date: dt.date
    amount: int


class ImportedResult(Struct, frozen=True):
    line_number: int
    line_id: str
    paid: bool


class ImportProblem(Struct, frozen=True):
    line_number: int
    code: str
    message: str


def check_month(month: str) -> str:
    """A payroll month is "YYYY-MM"."""
    if not isinstance(month, str) or not _MONTH.match(month):
        raise InvalidInput("invalid_month", "Bulan penggajian harus berformat TTTT-BB, misalnya 2026-11.")
    return month


def _month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def installments_due(month: str, loan: Loan, schedule_paid: list[tuple[Installment, int]]) -> list[InstallmentDue]:
    """Installments of an active loan falling due in ``month``, with what is still unpaid on each.

    Arrears from earlier months are not added to payroll: an officer collects them.
    """
    check_month(month)
    if loan.status != "active":
        return []
    return [
        InstallmentDue(loan.member_id, loan.id, loan.code, inst.number, inst.due_date, inst.amount - paid)
        for inst, paid in schedule_paid
        if _month_of(inst.due_date) == month and inst.amount - paid > 0
    ]


def _line_id(month: str, member_id: int, kind: str, reference: str) -> str:
    return f"{month}:{member_id}:{kind}:{reference}"


def payroll_lines(
    month: str,
    profiles: Sequence[tuple[PayrollProfile, MemberLike]],
    installments_due: list[InstallmentDue],
) -> list[PayrollLine]:
    """The month's deduction lines, sorted by member number, then wajib, sukarela, installments.

    Each profile's ``mandatory_savings`` and ``voluntary_deduction`` are the amounts in effect for
    ``month`` (see ``loans.deduction_for_month``); zero amounts make no line. An installment of a
    member without a profile here is refused (``member_not_in_payroll``).
    """
    check_month(month)
    members = {profile.member_id: (profile, member) for profile, member in profiles}
    lines: list[PayrollLine] = []

    def add(
        member_id: int,
        kind: PayrollKind,
        reference: str,
        amount: int,
        loan_id: str | None = None,
        installment_number: int | None = None,
    ) -> None:
        _, member = members[member_id]
        lines.append(
            PayrollLine(
                line_id=_line_id(month, member_id, kind, reference),
                month=month,
                member_id=member_id,
                member_number=member.number,
                member_name=member.name,
                kind=kind,
                reference=reference,
                amount=amount,
                loan_id=loan_id,
                installment_number=installment_number,
            )
        )

    for profile, _ in profiles:
        if profile.mandatory_savings > 0:
            add(profile.member_id, "simpanan_wajib", "wajib", profile.mandatory_savings)
        if profile.voluntary_deduction > 0:
            add(profile.member_id, "simpanan_sukarela", "sukarela", profile.voluntary_deduction)
    unknown = sorted({d.member_id for d in installments_due if d.member_id not in members})
    if unknown:
        raise InvalidInput(
            "member_not_in_payroll",
            "Ada angsuran jatuh tempo milik anggota yang tidak terdaftar potong gaji.",
            {"member_ids": unknown},
        )
    for due in installments_due:
        if due.amount > 0:
            add(due.member_id, "angsuran", f"{due.loan_code}/{due.number}", due.amount,
                loan_id=due.loan_id, installment_number=due.number)  # fmt: skip
    ids = [line.line_id for line in lines]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate payroll line ids: the same member or installment was given twice")
    lines.sort(key=lambda ln: (ln.member_number, ln.member_id, _KIND_ORDER[ln.kind], ln.reference))
    return lines


def _cell(text: str) -> str:
    """Keep spreadsheet programs from reading a name as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(lines: list[PayrollLine]) -> str:
    """The file for HR: comma-separated, header first, CRLF line ends, UTF-8, amounts as plain digits."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for ln in lines:
        writer.writerow(
            [ln.line_id, ln.month, ln.member_number, _cell(ln.member_name), ln.kind, ln.reference, str(ln.amount)]
        )
    return out.getvalue()


def parse_result_csv(
    text: str, expected: dict[str, PayrollLine]
) -> tuple[list[tuple[ImportedResult, PayrollLine]], list[ImportProblem]]:
    """Read HR's result file: the exported columns plus ``status`` (``lunas``/``gagal`` or ``1``/``0``).

    A line is accepted only if its ``line_id`` is one of ``expected`` and its member number and amount
    (and month, kind and reference when those columns are present) equal the export. Any other line
    is an ``ImportProblem`` with its line number in the file (the header is line 1), and nothing of
    it is accepted. A line id given twice is a problem on every occurrence. A file whose header lacks
    a required column yields one problem and nothing accepted. Comma or semicolon separated.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return [], [ImportProblem(1, "empty_file", "Berkas hasil potong gaji kosong.")]
    columns = [h.strip().lower() for h in header]
    missing = [c for c in _REQUIRED_RESULT_COLUMNS if c not in columns]
    if missing:
        return [], [ImportProblem(1, "missing_column", f"Kolom wajib tidak ada di baris judul: {', '.join(missing)}.")]
    index = {name: i for i, name in enumerate(columns)}

    rows: list[tuple[int, ImportedResult, PayrollLine]] = []
    problems: list[ImportProblem] = []
    seen: dict[str, list[int]] = {}
    line_number = reader.line_num
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as broken:  # e.g. a field over the csv module's limit: the rest is unreadable
            problems.append(ImportProblem(line_number + 1, "malformed_file", f"Berkas tidak dapat dibaca: {broken}."))
            break
        start, line_number = line_number + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        try:
            line_id, paid = _check_record(record, index, len(columns), expected)
        except _Bad as bad:
            problems.append(ImportProblem(start, bad.code, bad.message))
            continue
        seen.setdefault(line_id, []).append(start)
        rows.append((start, ImportedResult(start, line_id, paid), expected[line_id]))

    duplicates = {line_id for line_id, starts in seen.items() if len(starts) > 1}
    accepted: list[tuple[ImportedResult, PayrollLine]] = []
    for start, result, line in rows:
        if result.line_id in duplicates:
            others = ", ".join(str(n) for n in seen[result.line_id] if n != start)
            problems.append(
                ImportProblem(start, "duplicate_line", f"Baris {result.line_id} muncul lagi di baris {others}.")
            )
        else:
            accepted.append((result, line))
    problems.sort(key=lambda p: p.line_number)
    return accepted, problems


class _Bad(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


_MISMATCH_CODES = {"bulan": "month_mismatch", "jenis": "kind_mismatch", "referensi": "reference_mismatch"}


def _check_record(
    record: list[str], index: dict[str, int], width: int, expected: dict[str, PayrollLine]
) -> tuple[str, bool]:
    """``(line_id, paid)`` of a record that matches the export; raises ``_Bad`` otherwise."""
    if len(record) != width:
        raise _Bad("malformed_line", f"Jumlah kolom {len(record)}, seharusnya {width}.")
    value = {name: record[i].strip() for name, i in index.items()}
    line_id = value["line_id"]
    line = expected.get(line_id)
    if line is None:
        raise _Bad("unknown_line", f"Baris {line_id or '(tanpa line_id)'} tidak ada dalam ekspor bulan ini.")
    if value["no_anggota"] != line.member_number:
        raise _Bad(
            "member_mismatch", f"No. anggota {value['no_anggota']} berbeda dengan ekspor ({line.member_number})."
        )
    if not _DIGITS.match(value["jumlah"]):
        raise _Bad("malformed_amount", f'Jumlah "{value["jumlah"]}" harus angka rupiah tanpa titik atau koma.')
    if int(value["jumlah"]) != line.amount:
        raise _Bad(
            "amount_mismatch", f"Jumlah {rupiah(int(value['jumlah']))} berbeda dengan ekspor ({rupiah(line.amount)})."
        )
    for column, exported in (("bulan", line.month), ("jenis", line.kind), ("referensi", line.reference)):
        if value.get(column) and value[column] != exported:
            raise _Bad(_MISMATCH_CODES[column], f'Kolom {column} "{value[column]}" berbeda dengan ekspor ({exported}).')
    status = value["status"].lower()
    if status not in _PAID:
        raise _Bad("invalid_status", f'Status "{value["status"]}" harus lunas atau gagal (1 atau 0).')
    return line_id, _PAID[status]


def unreported(
    expected: dict[str, PayrollLine], accepted: list[tuple[ImportedResult, PayrollLine]]
) -> list[PayrollLine]:
    """Exported lines the result file did not (acceptably) report, in export order."""
    reported = {result.line_id for result, _ in accepted}
    return [line for line_id, line in expected.items() if line_id not in reported]


def reconcile(
    accepted: list[tuple[ImportedResult, PayrollLine]], recorded: dict[str, bool]
) -> tuple[list[tuple[ImportedResult, PayrollLine]], list[ImportProblem]]:
    """What an import changes, given the results already recorded (line_id -> paid).

    Returns the results to record: new lines, and lines recorded as not paid that are now paid. Those
    with ``paid`` are to be posted (savings posting or loan repayment). A line already recorded with the
    same status changes nothing, so importing a file twice posts nothing twice; a line recorded as paid
    that a file now says was not paid cannot be undone here (``already_paid``).
    """
    changes: list[tuple[ImportedResult, PayrollLine]] = []
    problems: list[ImportProblem] = []
    for result, line in accepted:
        before = recorded.get(result.line_id)
        if before is None or (before is False and result.paid):
            changes.append((result, line))
        elif before is True and not result.paid:
            problems.append(
                ImportProblem(
                    result.line_number,
                    "already_paid",
                    f"Baris {result.line_id} sudah tercatat lunas; status gagal tidak dapat diterapkan.",
                )
            )
    return changes, problems


def savings_posting(line: PayrollLine) -> Posting:
    """The ledger posting of a paid savings line (``ref_id`` = the line id, ``ref_code`` = PG-YYYY-MM)."""
    if line.kind not in KIND_SAVINGS_TYPE:
        raise ValueError("only savings lines make a savings posting; installments are loan repayments")
    return Posting(
        line.member_id, KIND_SAVINGS_TYPE[line.kind], line.amount, "deposit", line.line_id, f"PG-{line.month}"
    )
