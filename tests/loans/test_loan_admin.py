"""The admin sets loan products and members' payroll profiles; plafon changes keep their history;
a submitted application can be cancelled by its member, and only while submitted."""

from __future__ import annotations

from server.protocol import LoanApprove, LoanCancel
from tests.loans.test_loan_lifecycle import _apply_op
from tests.support.api import login

PRODUCT = {
    "id": 4,
    "name": "Pinjaman Pendidikan",
    "purposes": ["Uang sekolah"],
    "method": "anuitas",
    "annual_rate_bp": 900,
    "min_amount": 1_000_000,
    "max_amount": 30_000_000,
    "min_tenor": 6,
    "max_tenor": 36,
    "rounding_mode": "up",
    "rounding_multiple": 1000,
}


def test_admin_adds_a_product_that_members_then_see_and_simulate(fresh_server) -> None:
    admin, member = login(fresh_server.url, "admin"), login(fresh_server.url, "anggota08")
    saved = admin.http.put("/api/admin/loan-products/4", json=PRODUCT)
    assert saved.status_code == 200, saved.text
    assert [p["name"] for p in member.get("/api/loan-products").json()][-1] == "Pinjaman Pendidikan"
    simulation = member.get(
        "/api/loans/simulate", product_id=4, amount=6_000_000, tenor=12, purpose="Uang sekolah"
    ).json()
    amounts = [i["amount"] for i in simulation["schedule"]["installments"]]
    assert all(a % 1000 == 0 for a in amounts[:-1]) and len(set(amounts[:-1])) == 1
    assert sum(i["principal"] for i in simulation["schedule"]["installments"]) == 6_000_000
    assert {c["code"] for c in simulation["checks"]} >= {"installment_over_plafon", "savings_below_minimum"}


def test_invalid_products_and_name_clashes_are_refused(fresh_server) -> None:
    admin, officer = login(fresh_server.url, "admin"), login(fresh_server.url, "petugas1")
    bad = admin.http.put("/api/admin/loan-products/5", json={**PRODUCT, "id": 5, "name": "X", "min_amount": 0})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_product")
    clash = admin.http.put("/api/admin/loan-products/6", json={**PRODUCT, "id": 6, "name": "Pinjaman Umum"})
    assert (clash.status_code, clash.json()["code"]) == (409, "product_name_taken")
    not_admin = officer.http.put("/api/admin/loan-products/4", json=PRODUCT)
    assert (not_admin.status_code, not_admin.json()["code"]) == (403, "role_not_allowed")


def test_plafon_changes_are_kept_in_history_and_move_the_dashboard(fresh_server) -> None:
    admin, board, member = (login(fresh_server.url, u) for u in ("admin", "pengurus1", "anggota09"))
    profile = {
        "plafon": 4_000_000,
        "birth_date": "1985-05-05",
        "category": "karyawan",
        "voluntary_deduction": 150_000,
        "mandatory_savings": 50_000,
    }
    assert admin.http.put("/api/admin/members/9/payroll-profile", json=profile).status_code == 200
    assert (
        admin.http.put("/api/admin/members/9/payroll-profile", json={**profile, "plafon": 4_500_000}).status_code == 200
    )
    history = board.get("/api/members/9/plafon-history").json()
    assert [h["plafon"] for h in history][-2:] == [4_000_000, 4_500_000]
    dashboard = member.get("/api/dashboard").json()
    assert dashboard["plafon_angsuran"] == 4_500_000 and dashboard["sisa_plafon"] == 4_500_000 - 150_000
    assert member.get("/api/members/9/plafon-history").status_code == 403


def test_member_cancels_a_submitted_application_but_not_an_approved_one(fresh_server) -> None:
    member, board = login(fresh_server.url, "anggota10"), login(fresh_server.url, "pengurus1")
    first, second = _apply_op(10, amount=2_000_000), _apply_op(10, amount=2_500_000)
    assert [r["status"] for r in member.push_ops(first, second)] == ["applied", "applied"]
    assert board.push_ops(LoanApprove(loan_id=second.loan_id))[0]["status"] == "applied"
    cancelled, refused = member.push_ops(LoanCancel(loan_id=first.loan_id), LoanCancel(loan_id=second.loan_id))
    assert cancelled["status"] == "applied"
    assert (refused["status"], refused["code"]) == ("rejected", "loan_not_cancellable")
    statuses = {loan["id"]: loan["status_label"] for loan in member.get("/api/loans").json()}
    assert statuses == {first.loan_id: "Dibatalkan", second.loan_id: "Disetujui"}
