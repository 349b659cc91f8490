"""Payroll deduction (potong gaji): the month's lines, the CSV for HR and the import of HR's result."""

from __future__ import annotations

import csv
import datetime as dt
import io

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.loans import (
    LoanProduct,
    LoanSettings,
    PayrollProfile,
    apply_loan,
    apply_repayment,
    approve_loan,
    check_application,
    disburse_loan,
    retirement_date,
    simulate,
    sisa_plafon,
)
from server.domain.models import Actor, Member, Posting
from server.domain.payroll import (
    EXPORT_COLUMNS,
    ImportedResult,
    ImportProblem,
    InstallmentDue,
    PayrollLine,
    check_month,
    export_csv,
    installments_due,
    parse_result_csv,
    payroll_lines,
    reconcile,
    savings_posting,
    unreported,
)
from server.errors import InvalidInput

NOW = dt.datetime(2026, 10, 1, 3, 0, tzinfo=dt.UTC)
SITI = Member(id=100, number="A-0100", name="Siti Aminah", kind="anggota", location_id=1)
BUDI = Member(id=101, number="A-0101", name="Budi, S.Kom", kind="anggota", location_id=1)
RINA = Member(id=102, number="A-0099", name="Rina", kind="anggota", location_id=1)
SITI_P = PayrollProfile(
    100, plafon=2_500_000, birth_date=dt.date(1980, 5, 10), voluntary_deduction=200_000, mandatory_savings=100_000
)
BUDI_P = PayrollProfile(101, plafon=3_000_000, mandatory_savings=100_000)
RINA_P = PayrollProfile(102, plafon=1_000_000)  # nothing to deduct
UMUM = LoanProduct(1, "Pinjaman Umum", ("Pendidikan",), "flat", 1200, 1_000_000, 50_000_000, 3, 36)


def siti_loan():
    """Siti's 9.000.000 over 12 months, disbursed 1 Oct 2026: 840.000 due on the 1st of each month."""
    schedule = simulate(UMUM, 9_000_000, 12, dt.date(2026, 10, 1))
    checks = check_application(
        product=UMUM, purpose="Pendidikan", amount=9_000_000, tenor=12, schedule=schedule,
        breakdown=sisa_plafon(SITI_P, []), savings_balance=900_000,
        retirement=retirement_date(SITI_P, LoanSettings()), settings=LoanSettings(),
    )  # fmt: skip
    loan = apply_loan(
        loan_id="loan-1", code="PJM-2610-000001", actor=Actor(20, "anggota", 100), member_id=100, product=UMUM,
        purpose="Pendidikan", amount=9_000_000, tenor=12, requested_disbursement_date=dt.date(2026, 10, 1),
        location_id=1, disbursement_method="tunai", checks=checks, schedule=schedule, now=NOW,
    )  # fmt: skip
    loan = approve_loan(loan, Actor(30, "pengurus"), NOW)
    return disburse_loan(loan, Actor(10, "petugas", location_ids=frozenset({1})), UMUM, dt.date(2026, 10, 1), NOW)


LOAN, SCHEDULE = siti_loan()
UNPAID = [(i, 0) for i in SCHEDULE.installments]
PROFILES = [(SITI_P, SITI), (BUDI_P, BUDI), (RINA_P, RINA)]


def november_lines() -> list[PayrollLine]:
    return payroll_lines("2026-11", PROFILES, installments_due("2026-11", LOAN, UNPAID))


def expected_of(lines: list[PayrollLine]) -> dict[str, PayrollLine]:
    return {line.line_id: line for line in lines}


def with_status(csv_text: str, statuses: list[str]) -> str:
    """HR's answer: the exported file with a ``status`` column added."""
    rows = list(csv.reader(io.StringIO(csv_text, newline="")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rows[0] + ["status"])
    for row, status in zip(rows[1:], statuses, strict=True):
        writer.writerow(row + [status])
    return out.getvalue()


# --- lines -----------------------------------------------------------------------------------------------


def test_installments_due_in_a_month_are_the_unpaid_parts_of_that_month():
    [due] = installments_due("2026-11", LOAN, UNPAID)
    assert due == InstallmentDue(100, "loan-1", "PJM-2610-000001", 1, dt.date(2026, 11, 1), 840_000)
    partly = [(i, 300_000 if i.number == 1 else 0) for i in SCHEDULE.installments]
    assert installments_due("2026-11", LOAN, partly)[0].amount == 540_000
    paid = [(i, i.amount if i.number == 1 else 0) for i in SCHEDULE.installments]
    assert installments_due("2026-11", LOAN, paid) == []
    assert installments_due("2026-10", LOAN, UNPAID) == []  # disbursed in October, first due in November
    assert installments_due("2026-11", msgspec.structs.replace(LOAN, status="paid_off"), UNPAID) == []


def test_the_month_lines_per_member_in_member_number_order():
    lines = november_lines()
    assert [(ln.member_number, ln.kind, ln.reference, ln.amount) for ln in lines] == [
        ("A-0100", "simpanan_wajib", "wajib", 100_000),
        ("A-0100", "simpanan_sukarela", "sukarela", 200_000),
        ("A-0100", "angsuran", "PJM-2610-000001/1", 840_000),
        ("A-0101", "simpanan_wajib", "wajib", 100_000),
    ]
    assert lines[0].line_id == "2026-11:100:simpanan_wajib:wajib"
    assert lines[2].line_id == "2026-11:100:angsuran:PJM-2610-000001/1"
    assert (lines[2].loan_id, lines[2].installment_number) == ("loan-1", 1)
    assert (lines[0].member_name, lines[0].month) == ("Siti Aminah", "2026-11")


def test_running_the_same_month_again_gives_the_same_lines():
    assert november_lines() == november_lines()
    reordered = payroll_lines("2026-11", list(reversed(PROFILES)), installments_due("2026-11", LOAN, UNPAID))
    assert reordered == november_lines()


def test_an_installment_of_a_member_outside_payroll_is_refused():
    with pytest.raises(InvalidInput) as err:
        payroll_lines("2026-11", [(BUDI_P, BUDI)], installments_due("2026-11", LOAN, UNPAID))
    assert err.value.code == "member_not_in_payroll"
    assert err.value.detail == {"member_ids": [100]}


def test_the_same_installment_twice_is_a_bug():
    due = installments_due("2026-11", LOAN, UNPAID)
    with pytest.raises(ValueError):
        payroll_lines("2026-11", PROFILES, due + due)


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-11", "", "2026/11"])
def test_a_month_is_yyyy_mm(month):
    with pytest.raises(InvalidInput) as err:
        check_month(month)
    assert err.value.code == "invalid_month"


# --- export ------------------------------------------------------------------------------------------------


def test_export_csv():
    assert export_csv(november_lines()) == (
        "line_id,bulan,no_anggota,nama,jenis,referensi,jumlah\r\n"
        "2026-11:100:simpanan_wajib:wajib,2026-11,A-0100,Siti Aminah,simpanan_wajib,wajib,100000\r\n"
        "2026-11:100:simpanan_sukarela:sukarela,2026-11,A-0100,Siti Aminah,simpanan_sukarela,sukarela,200000\r\n"
        "2026-11:100:angsuran:PJM-2610-000001/1,2026-11,A-0100,Siti Aminah,angsuran,PJM-2610-000001/1,840000\r\n"
        '2026-11:101:simpanan_wajib:wajib,2026-11,A-0101,"Budi, S.Kom",simpanan_wajib,wajib,100000\r\n'
    )
    assert EXPORT_COLUMNS == ("line_id", "bulan", "no_anggota", "nama", "jenis", "referensi", "jumlah")


def test_export_keeps_spreadsheets_from_running_a_name_as_a_formula():
    evil = Member(id=103, number="A-0103", name='=HYPERLINK("http://x")', kind="anggota", location_id=1)
    lines = payroll_lines("2026-11", [(PayrollProfile(103, mandatory_savings=1), evil)], [])
    assert "'=HYPERLINK" in export_csv(lines)


# --- import ------------------------------------------------------------------------------------------------


def test_a_result_file_that_matches_the_export_is_accepted_line_by_line():
    lines = november_lines()
    text = with_status(export_csv(lines), ["lunas", "gagal", "1", "0"])

    accepted, problems = parse_result_csv(text, expected_of(lines))

    assert problems == []
    assert [(r, ln) for r, ln in accepted] == [
        (ImportedResult(2, lines[0].line_id, True), lines[0]),
        (ImportedResult(3, lines[1].line_id, False), lines[1]),
        (ImportedResult(4, lines[2].line_id, True), lines[2]),
        (ImportedResult(5, lines[3].line_id, False), lines[3]),
    ]


def test_lines_that_do_not_match_are_reported_with_their_line_number_and_not_accepted():
    lines = november_lines()
    header = "line_id,bulan,no_anggota,nama,jenis,referensi,jumlah,status"
    text = "\r\n".join([
        header,
        "2026-11:100:simpanan_wajib:wajib,2026-11,A-0100,Siti Aminah,simpanan_wajib,wajib,100000,lunas",
        "2026-11:999:simpanan_wajib:wajib,2026-11,A-0999,Siapa,simpanan_wajib,wajib,100000,lunas",
        "2026-11:100:simpanan_sukarela:sukarela,2026-11,A-0101,Siti Aminah,simpanan_sukarela,sukarela,200000,lunas",
        "2026-11:100:angsuran:PJM-2610-000001/1,2026-11,A-0100,Siti Aminah,angsuran,PJM-2610-000001/1,800000,lunas",
        "2026-11:101:simpanan_wajib:wajib,2026-11,A-0101,Budi,simpanan_wajib,wajib,100.000,lunas",
        "",
        "2026-11:101:simpanan_wajib:wajib,2026-11,A-0101,Budi,simpanan_wajib,wajib,100000,mungkin",
        "2026-11:101:simpanan_wajib:wajib,2026-11,A-0101,Budi,simpanan_wajib,wajib,100000",
        "2026-11:101:simpanan_wajib:wajib,2026-10,A-0101,Budi,simpanan_wajib,wajib,100000,lunas",
        "2026-11:101:simpanan_wajib:wajib,2026-11,A-0101,Budi,simpanan_sukarela,wajib,100000,lunas",
    ]) + "\r\n"  # fmt: skip

    accepted, problems = parse_result_csv(text, expected_of(lines))

    assert [r.line_id for r, _ in accepted] == ["2026-11:100:simpanan_wajib:wajib"]
    assert [(p.line_number, p.code) for p in problems] == [
        (3, "unknown_line"),
        (4, "member_mismatch"),
        (5, "amount_mismatch"),
        (6, "malformed_amount"),
        (8, "invalid_status"),
        (9, "malformed_line"),
        (10, "month_mismatch"),
        (11, "kind_mismatch"),
    ]
    assert problems[2].message == "Jumlah Rp800.000 berbeda dengan ekspor (Rp840.000)."


def test_a_line_given_twice_is_reported_on_every_occurrence():
    lines = november_lines()
    text = with_status(export_csv(lines), ["lunas", "lunas", "lunas", "lunas"])
    text += text.split("\r\n")[1] + "\r\n"  # the first line again, as line 6

    accepted, problems = parse_result_csv(text, expected_of(lines))

    assert [r.line_number for r, _ in accepted] == [3, 4, 5]
    assert [(p.line_number, p.code) for p in problems] == [(2, "duplicate_line"), (6, "duplicate_line")]
    assert "baris 6" in problems[0].message


def test_a_header_without_a_required_column_rejects_the_file():
    lines = november_lines()
    accepted, problems = parse_result_csv(export_csv(lines), expected_of(lines))  # no status column
    assert accepted == []
    assert problems == [ImportProblem(1, "missing_column", "Kolom wajib tidak ada di baris judul: status.")]
    assert parse_result_csv("", {})[1][0].code == "empty_file"


def test_excel_files_with_bom_semicolons_and_only_the_required_columns_are_read():
    lines = november_lines()
    text = "\ufeffLINE_ID;No_Anggota;Jumlah;Status\n" + "\n".join(
        f"{ln.line_id};{ln.member_number};{ln.amount};{'LUNAS' if i % 2 == 0 else ' Gagal '}"
        for i, ln in enumerate(lines)
    )
    accepted, problems = parse_result_csv(text, expected_of(lines))
    assert problems == []
    assert [r.paid for r, _ in accepted] == [True, False, True, False]


def test_a_quoted_name_over_two_lines_keeps_line_numbers_right():
    lines = november_lines()
    header = "line_id,no_anggota,nama,jumlah,status"
    text = "\n".join([
        header,
        f'{lines[0].line_id},A-0100,"Siti\nAminah",100000,lunas',
        f"{lines[1].line_id},A-0100,Siti,999,lunas",
    ])  # fmt: skip
    accepted, problems = parse_result_csv(text, expected_of(lines))
    assert [r.line_number for r, _ in accepted] == [2]
    assert [(p.line_number, p.code) for p in problems] == [(4, "amount_mismatch")]


def test_unreported_lines():
    lines = november_lines()
    text = with_status(export_csv(lines[:2]), ["lunas", "gagal"])
    accepted, _ = parse_result_csv(text, expected_of(lines))
    assert unreported(expected_of(lines), accepted) == lines[2:]


# --- posting, idempotently ------------------------------------------------------------------------------------


def test_reconcile_posts_new_results_once():
    lines = november_lines()
    accepted, _ = parse_result_csv(
        with_status(export_csv(lines), ["lunas", "gagal", "lunas", "lunas"]), expected_of(lines)
    )

    first, problems = reconcile(accepted, {})
    assert len(first) == 4 and problems == []
    recorded = {r.line_id: r.paid for r, _ in first}
    again, problems = reconcile(accepted, recorded)
    assert again == [] and problems == []


def test_reconcile_takes_a_later_payment_but_never_unpays():
    lines = november_lines()
    recorded = {lines[0].line_id: True, lines[1].line_id: False}
    accepted, _ = parse_result_csv(with_status(export_csv(lines[:2]), ["gagal", "lunas"]), expected_of(lines))

    changes, problems = reconcile(accepted, recorded)

    assert [(r.line_id, r.paid) for r, _ in changes] == [(lines[1].line_id, True)]
    assert [(p.line_number, p.code) for p in problems] == [(2, "already_paid")]


def test_savings_posting_of_a_paid_savings_line():
    lines = november_lines()
    assert savings_posting(lines[0]) == Posting(100, "wajib", 100_000, "deposit", lines[0].line_id, "PG-2026-11")
    assert savings_posting(lines[1]).savings_type == "sukarela"
    with pytest.raises(ValueError):
        savings_posting(lines[2])


def post(accepted, recorded, balances, loan, paid):
    """What storage does with an import: record changed results, post the paid ones."""
    changes, _ = reconcile(accepted, recorded)
    for result, line in changes:
        recorded[result.line_id] = result.paid
        if not result.paid:
            continue
        if line.kind == "angsuran":
            rows = [(i, paid[i.number]) for i in SCHEDULE.installments]
            repayment = apply_repayment(loan, rows, line.amount)
            for a in repayment.allocations:
                paid[a.number] += a.amount
            loan = repayment.loan
        else:
            p = savings_posting(line)
            balances[(p.member_id, p.savings_type)] = balances.get((p.member_id, p.savings_type), 0) + p.amount
    return loan


def test_importing_the_same_file_twice_changes_nothing():
    lines = november_lines()
    text = with_status(export_csv(lines), ["lunas", "lunas", "lunas", "gagal"])
    recorded: dict[str, bool] = {}
    balances: dict[tuple[int, str], int] = {}
    paid = {i.number: 0 for i in SCHEDULE.installments}

    loan = post(parse_result_csv(text, expected_of(lines))[0], recorded, balances, LOAN, paid)
    state = (dict(recorded), dict(balances), dict(paid), loan)
    loan = post(parse_result_csv(text, expected_of(lines))[0], recorded, balances, loan, paid)

    assert (recorded, balances, paid, loan) == state
    assert balances == {(100, "wajib"): 100_000, (100, "sukarela"): 200_000}
    assert paid[1] == 840_000 and loan.outstanding == 9_000_000 - 750_000


NAMES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=20)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_round_trip_accepts_every_line_and_a_corrupted_line_is_the_only_problem(data):
    profiles = [
        (PayrollProfile(i, mandatory_savings=data.draw(st.integers(0, 500_000)),
                        voluntary_deduction=data.draw(st.integers(0, 500_000))),
         Member(i, f"A-{i:04d}", data.draw(NAMES), "anggota", 1))
        for i in range(1, data.draw(st.integers(1, 6)) + 1)
    ]  # fmt: skip
    lines = payroll_lines("2026-11", profiles, [])
    if not lines:
        return
    statuses = data.draw(
        st.lists(st.sampled_from(["lunas", "gagal", "1", "0"]), min_size=len(lines), max_size=len(lines))
    )
    good = with_status(export_csv(lines), statuses)
    accepted, problems = parse_result_csv(good, expected_of(lines))
    assert problems == [] and [ln for _, ln in accepted] == lines
    assert [r.paid for r, _ in accepted] == [s in ("lunas", "1") for s in statuses]

    victim = data.draw(st.integers(0, len(lines) - 1))
    bad_lines = [msgspec.structs.replace(ln, amount=ln.amount + 1) if i == victim else ln for i, ln in enumerate(lines)]
    bad = with_status(export_csv(bad_lines), statuses)
    accepted, problems = parse_result_csv(bad, expected_of(lines))
    assert [ln for _, ln in accepted] == [ln for i, ln in enumerate(lines) if i != victim]
    assert len(problems) == 1 and problems[0].code == "amount_mismatch"
    assert accepted == [] or all(r.line_number != problems[0].line_number for r, _ in accepted)
