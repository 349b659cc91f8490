"""Money guards found in review: a pending deduction change and a loan approval can never together
overrun the plafon; re-exporting a month never takes a later month's amount; dates and files far
outside reason get a 4xx or a reported problem, never a 500."""

from __future__ import annotations

import datetime as dt
import uuid

from server.domain.loans import current_month, next_payroll_month
from server.protocol import DeductionChangeCreate, LoanApprove
from tests.loans.test_loan_lifecycle import TODAY, _apply_op
from tests.support.api import login


def _change(member_id: int, amount: int) -> DeductionChangeCreate:
    return DeductionChangeCreate(
        change_id=str(uuid.uuid4()), member_id=member_id, savings_type="sukarela", new_amount=amount
    )


def test_pending_deduction_change_blocks_an_approval_that_would_overrun_the_plafon(fresh_server) -> None:
    member, board = login(fresh_server.url, "anggota05"), login(fresh_server.url, "pengurus1")
    plafon = member.get("/api/dashboard").json()["plafon_angsuran"]
    loan = _apply_op(5, amount=15_000_000, tenor=12)
    applied = member.push_ops(loan)[0]
    assert applied["status"] == "applied", applied
    installment = member.get("/api/loans").json()[0]["monthly_installment"]
    change = _change(5, plafon - installment + 100_000)  # fits alone (the loan is not approved yet)
    assert member.push_ops(change)[0]["status"] == "applied"
    refused = board.push_ops(LoanApprove(loan_id=loan.loan_id))[0]
    assert (refused["status"], refused["code"]) == ("rejected", "installment_over_plafon")
    parts = member.get("/api/dashboard").json()["plafon_parts"]
    assert parts["voluntary_deduction"] == change.new_amount and parts["active_installments"] == 0


def test_requested_deduction_change_counts_against_a_later_application(fresh_server) -> None:
    member = login(fresh_server.url, "anggota05")
    plafon = member.get("/api/dashboard").json()["plafon_angsuran"]
    assert member.push_ops(_change(5, plafon - 100_000))[0]["status"] == "applied"
    refused = member.push_ops(_apply_op(5, amount=15_000_000, tenor=12))[0]
    assert (refused["status"], refused["code"]) == ("rejected", "installment_over_plafon")


def test_re_exporting_this_month_keeps_this_months_deduction(fresh_server) -> None:
    member, board = login(fresh_server.url, "anggota04"), login(fresh_server.url, "pengurus1")
    this_month = current_month(dt.datetime.now(dt.UTC))
    before = board.http.post(f"/api/payroll/{this_month}/export").text
    assert member.push_ops(_change(4, 75_000))[0]["status"] == "applied"
    next_month = next_payroll_month(TODAY)
    assert ",75000\r\n" in board.http.post(f"/api/payroll/{next_month}/export").text
    assert board.http.post(f"/api/payroll/{this_month}/export").text == before


def test_far_dates_and_months_are_refused_with_codes(fresh_server) -> None:
    member, admin, board = (login(fresh_server.url, u) for u in ("anggota03", "admin", "pengurus1"))
    far = member.get("/api/loans/simulate", product_id=1, amount=5_000_000, tenor=12, start_date="9999-06-01")
    assert (far.status_code, far.json()["code"]) == (422, "date_out_of_range")
    absurd, late = member.push_ops(
        _apply_op(3, requested_disbursement_date=dt.date(9999, 6, 1)),
        _apply_op(3, requested_disbursement_date=TODAY + dt.timedelta(days=800)),
    )
    assert (absurd["status"], absurd["code"]) == ("rejected", "date_out_of_range")
    assert (late["status"], late["code"]) == ("rejected", "disbursement_date_too_far")
    profile = {"plafon": 3_000_000, "birth_date": "9990-01-01"}
    unborn = admin.http.put("/api/admin/members/3/payroll-profile", json=profile)
    assert (unborn.status_code, unborn.json()["code"]) == (422, "birth_date_invalid")
    too_far = board.http.post("/api/payroll/2099-12/export")
    assert (too_far.status_code, too_far.json()["code"]) == (422, "month_too_far")
    moved = admin.http.post("/api/admin/officers/102/locations", json={"location_ids": [1, 1]})
    assert moved.status_code == 200 and moved.json()["location_ids"] == [1]


def test_unreadable_result_files_are_reported_not_crashed_on(fresh_server) -> None:
    board = login(fresh_server.url, "pengurus1")
    month = current_month(dt.datetime.now(dt.UTC))
    header, first = board.http.post(f"/api/payroll/{month}/export").text.strip().splitlines()[:2]
    huge_amount = first.rsplit(",", 1)[0] + "," + "9" * 5000
    report = board.http.post(
        f"/api/payroll/{month}/import", content=f"{header},status\r\n{huge_amount},lunas\r\n".encode()
    )
    assert report.status_code == 200 and report.json()["posted"] == 0 and report.json()["problems"]
    giant_field = "x" * 140_000
    report = board.http.post(
        f"/api/payroll/{month}/import", content=f"{header},status\r\n{giant_field},lunas\r\n".encode()
    )
    assert report.status_code == 200 and [p["code"] for p in report.json()["problems"]] == ["malformed_file"]


def test_a_payroll_profile_beyond_the_money_bound_or_of_an_unknown_category_changes_nothing(fresh_server) -> None:
    """Review finding: 2^62 was saved and exported to HR as a deduction; any text was a category."""
    admin, member = login(fresh_server.url, "admin"), login(fresh_server.url, "anggota03")
    before = member.get("/api/dashboard").json()["plafon_angsuran"]
    for field in ("plafon", "voluntary_deduction", "mandatory_savings"):
        refused = admin.http.put("/api/admin/members/3/payroll-profile", json={"plafon": 3_000_000, field: 2**62})
        assert (refused.status_code, refused.json()["code"]) == (422, "amount_too_large"), refused.text
        assert refused.json()["detail"]["field"] == field
    for category in ("bogus", "\u0000" * 10_000):
        refused = admin.http.put(
            "/api/admin/members/3/payroll-profile", json={"plafon": 3_000_000, "category": category}
        )
        assert (refused.status_code, refused.json()["code"]) == (422, "category_invalid"), refused.text
    assert member.get("/api/dashboard").json()["plafon_angsuran"] == before
    saved = admin.http.put("/api/admin/members/3/payroll-profile", json={"plafon": 3_000_000, "category": "dosen"})
    assert saved.status_code == 200 and saved.json()["category"] == "dosen"
