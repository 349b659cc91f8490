"""Loans on the device, offline: the server's rules run on replica rows, pending loans drawn on top.

Replica rows are built from the domain structs exactly as the server publishes them
(``msgspec.to_builtins`` of ``LoanProduct``/``PayrollProfile``/``Loan``, the schedule row of
``server.storage.loans``), so what is tested is the device reading what the feed really carries.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from cs_support import change, closed_url, page, seed_profile

from client_sync import InvalidMutation, RuleViolation, SyncClient
from client_sync.cli import DB_NAME, main
from client_sync.loans import (
    deduction_change_views,
    find_loan,
    loan_views,
    pending_allocation,
    plafon_installments,
    product_list,
)
from client_sync.models import QueuedItem
from server.domain.loans import (
    APPLICATION_RULES,
    Loan,
    LoanProduct,
    LoanSettings,
    PayrollProfile,
    apply_repayment,
    next_payroll_month,
)
from server.domain.models import COOP_TZ
from server.domain.schedule import Installment, ScheduleTerms, build_schedule, due_date
from server.protocol import (
    DeductionChangeCancel,
    DeductionChangeCreate,
    LoanApply,
    LoanApprove,
    LoanCancel,
    LoanDisburse,
    LoanRepay,
    MutationResult,
    PushResponse,
    UserInfo,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "loan_schedules.json"
MEMBER = UserInfo(id=201, username="anggota01", name="Budi Santoso", role="anggota", member_id=1, location_ids=[])
OFFICER_ELSEWHERE = UserInfo(id=103, username="petugas3", name="Wati", role="petugas", member_id=None, location_ids=[2])
TODAY = dt.datetime.now(COOP_TZ).date()

UMUM = LoanProduct(
    1,
    "Pinjaman Umum",
    ("Pendidikan", "Modal usaha"),
    "flat",
    1200,
    1_000_000,
    50_000_000,
    3,
    36,
    admin_fee_bp=100,
    rounding_multiple=1000,
)
BARANG = LoanProduct(
    2,
    "Pinjaman Barang",
    ("Elektronik",),
    "efektif",
    1800,
    500_000,
    20_000_000,
    3,
    24,
    rounding_mode="up",
    rounding_multiple=1000,
)
LAMA = LoanProduct(3, "Pinjaman Lama", (), "anuitas", 900, 500_000, 10_000_000, 1, 12, active=False)


def _row(struct: Any) -> dict[str, Any]:
    return msgspec.to_builtins(struct)  # type: ignore[no-any-return]


def profile(member_id: int = 1, **kw: Any) -> PayrollProfile:
    """A member 30 years old (far from retirement whatever today is), plafon Rp3.000.000."""
    values: dict[str, Any] = {
        "plafon": 3_000_000,
        "birth_date": TODAY.replace(year=TODAY.year - 30, day=1),
        "category": "karyawan",
        "voluntary_deduction": 200_000,
        "mandatory_savings": 100_000,
    }
    return PayrollProfile(member_id, **{**values, **kw})


def loan(
    loan_id: str,
    status: str = "active",
    *,
    member_id: int = 1,
    amount: int = 9_000_000,
    tenor: int = 12,
    monthly: int = 840_000,
    code: str = "PJM-2601-000001",
    location_id: int = 1,
    **kw: Any,
) -> Loan:
    terms = ScheduleTerms(amount, tenor, 1200, "flat", "half_up", 1000)
    kw.setdefault("outstanding", amount if status == "active" else 0)
    return Loan(
        id=loan_id,
        code=code,
        member_id=member_id,
        product_id=1,
        purpose="Modal usaha",
        amount=amount,
        tenor=tenor,
        status=status,  # type: ignore[arg-type]
        created_by=201,
        created_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC),
        requested_disbursement_date=dt.date(2026, 1, 15),
        location_id=location_id,
        disbursement_method="tunai",
        monthly_installment=monthly,
        terms=terms,
        disbursement_date=dt.date(2026, 1, 15) if status in ("active", "paid_off") else None,
        **kw,
    )


def schedule_row(the_loan: Loan, paid: list[int]) -> dict[str, Any]:
    """The ``loan_schedule`` row as ``server.storage.loans._publish_schedule`` writes it."""
    assert the_loan.terms is not None
    installments = build_schedule(the_loan.terms, the_loan.disbursement_date or the_loan.requested_disbursement_date)
    rows = []
    for inst in installments.installments:
        r = _row(inst)
        r["paid"] = paid[inst.number - 1] if inst.number <= len(paid) else 0
        rows.append(r)
    return {"loan_id": the_loan.id, "installments": rows}


def seed_loans(client: SyncClient, *extra: tuple[str, Any, dict[str, Any]], start: int = 1000) -> None:
    rows: list[tuple[str, Any, dict[str, Any]]] = [("loan_product", p.id, _row(p)) for p in (UMUM, BARANG, LAMA)]
    rows += [("payroll_profile", 1, _row(profile())), ("payroll_profile", 2, _row(profile(2, plafon=None)))]
    rows += list(extra)
    cid = client.client_id
    assert cid
    client.store.apply_page(cid, page([change(start + i, e, i_d, d) for i, (e, i_d, d) in enumerate(rows)]))


@pytest.fixture
def member_client(tmp_path: Path) -> Any:
    """A member's own phone, synced once (savings 100.000 + 350.000 + 600.000), now offline."""
    client = SyncClient(tmp_path / "member.sqlite3", closed_url(), device_name="hp")
    seed_profile(client, MEMBER)
    seed_loans(client)
    yield client
    client.close()


# --- simulation: the shared vectors, offline -----------------------------------------------------


def _vector_products() -> tuple[list[dict[str, Any]], list[LoanProduct]]:
    cases = json.loads(VECTORS.read_text())
    products = [
        LoanProduct(
            n,
            case["name"],
            (),
            case["terms"]["method"],
            case["terms"]["annual_rate_bp"],
            1,
            10**12,
            1,
            600,
            rounding_mode=case["terms"]["rounding_mode"],
            rounding_multiple=case["terms"]["rounding_multiple"],
        )
        for n, case in enumerate(cases, start=1)
    ]
    return cases, products


def test_simulate_loan_reproduces_every_schedule_vector_offline(offline_client: SyncClient) -> None:
    cases, products = _vector_products()
    cid = offline_client.client_id
    assert cid and len(cases) >= 20
    offline_client.store.apply_page(cid, page([change(2000 + p.id, "loan_product", p.id, _row(p)) for p in products]))
    for n, case in enumerate(cases, start=1):
        terms, start = case["terms"], dt.date.fromisoformat(case["start_date"])
        expected = case["expected"]
        if "error" in expected:
            with pytest.raises(RuleViolation) as caught:
                offline_client.simulate_loan(n, terms["principal"], terms["tenor"], start)
            assert caught.value.code == expected["error"] and caught.value.codes == [expected["error"]], case["name"]
            assert "Jadwal angsuran tidak dapat dibentuk" in caught.value.message
            continue
        schedule = offline_client.simulate_loan(n, terms["principal"], terms["tenor"], start)
        assert [_row(i) for i in schedule.installments] == expected["installments"], case["name"]
        totals = {k: getattr(schedule, k) for k in expected["totals"]}
        assert totals == expected["totals"], case["name"]
    assert offline_client.pending() == []


def test_simulate_by_product_name_and_today_by_default(member_client: SyncClient) -> None:
    schedule = member_client.simulate_loan("pinjaman umum", 9_000_000, 12)
    assert schedule.start_date == TODAY and schedule.max_installment == 840_000 and schedule.total_interest == 1_080_000
    assert member_client.simulate_loan("umum", 9_000_000, 12, TODAY) == schedule  # the one name containing it
    with pytest.raises(RuleViolation) as caught:
        member_client.simulate_loan(99, 1_000_000, 3)
    assert caught.value.code == "product_not_found"


# --- products, profile, plafon ---------------------------------------------------------------------


def test_products_and_payroll_profile_come_from_the_replica(member_client: SyncClient) -> None:
    assert member_client.loan_products() == [UMUM, BARANG, LAMA]
    assert member_client.loan_product("2") == BARANG and member_client.loan_product("Pinjaman") is None  # ambiguous
    assert member_client.payroll_profile(1) == profile()
    assert member_client.payroll_profile(7) is None
    assert product_list([_row(LAMA), _row(UMUM)]) == [UMUM, LAMA]


def test_sisa_plafon_counts_approved_and_active_loans_only(member_client: SyncClient) -> None:
    rows = [
        ("loan", "l-sub", _row(loan("l-sub", "submitted", monthly=100_000))),
        ("loan", "l-apr", _row(loan("l-apr", "approved", monthly=300_000))),
        ("loan", "l-act", _row(loan("l-act", "active", monthly=500_000))),
        ("loan", "l-off", _row(loan("l-off", "paid_off", monthly=700_000))),
        ("loan", "l-rej", _row(loan("l-rej", "rejected", monthly=900_000))),
        ("loan", "l-other", _row(loan("l-other", "active", member_id=2, monthly=1_000))),
    ]
    seed_loans(member_client, *rows, start=3000)
    member_client.apply_loan(1, 1, "Pendidikan", 1_000_000, 3)  # pending here: never counted, like the server
    breakdown = member_client.sisa_plafon(1)
    assert (breakdown.plafon, breakdown.active_installments, breakdown.voluntary_deduction, breakdown.remaining) == (
        3_000_000,
        800_000,
        200_000,
        2_000_000,
    )
    assert plafon_installments([r[2] for r in rows], 1) == [300_000, 500_000]


def test_no_plafon_is_refused_like_the_server(member_client: SyncClient) -> None:
    for call in (
        lambda: member_client.sisa_plafon(2),
        lambda: member_client.sisa_plafon(9),
        lambda: member_client.check_loan(2, 1, "Pendidikan", 1_000_000, 3),
    ):
        with pytest.raises(RuleViolation) as caught:
            call()
        assert caught.value.code == "plafon_not_set" and "belum ditetapkan" in caught.value.message


# --- the application rules -------------------------------------------------------------------------


def test_check_loan_reports_every_rule_in_the_servers_order(member_client: SyncClient) -> None:
    checks = member_client.check_loan(1, 1, "Modal usaha", 9_000_000, 12)
    assert [c.code for c in checks] == list(APPLICATION_RULES) and all(c.ok for c in checks)
    assert checks[4].message == "Angsuran Rp840.000 tidak melebihi sisa plafon Rp2.800.000."
    bad = {c.code: c for c in member_client.check_loan(1, 3, "Liburan", 60_000_000, 20) if not c.ok}
    assert set(bad) == {
        "product_inactive",
        "amount_out_of_range",
        "tenor_out_of_range",
        "installment_over_plafon",
        "savings_below_minimum",
    }
    assert bad["amount_out_of_range"].message == "Jumlah pinjaman harus antara Rp500.000 dan Rp10.000.000."


def test_counted_savings_are_balance_minus_held_from_the_replica(member_client: SyncClient) -> None:
    def savings_ok(amount: int) -> bool:
        checks = member_client.check_loan(1, 1, "Pendidikan", amount, 3)
        return next(c for c in checks if c.code == "savings_below_minimum").ok

    assert savings_ok(10_500_000)  # 10 % = 1.050.000 = pokok + wajib + sukarela exactly
    held = {"member_id": 1, "savings_type": "sukarela", "balance": 600_000, "held": 1}
    member_client.store.apply_page(
        member_client.client_id or "", page([change(4000, "savings_account", "1:sukarela", held)])
    )
    assert not savings_ok(10_500_000)
    only_sukarela = LoanSettings(counted_savings=("sukarela",))
    checks = member_client.check_loan(1, 1, "Pendidikan", 5_000_000, 3, settings=only_sukarela)
    assert next(c for c in checks if c.code == "savings_below_minimum").ok  # 599.999 >= 500.000


def test_retirement_uses_the_default_settings_or_the_ones_given(member_client: SyncClient) -> None:
    near = profile(birth_date=dt.date(1970, 6, 1))  # karyawan: retires 1 June 2026
    cid = member_client.client_id or ""
    member_client.store.apply_page(cid, page([change(4100, "payroll_profile", 1, _row(near))]))
    checks = member_client.check_loan(1, 1, "Pendidikan", 3_000_000, 12, dt.date(2025, 6, 1))
    rule = checks[-1]
    assert rule.code == "tenor_past_retirement" and not rule.ok
    assert rule.message == (
        "Angsuran terakhir jatuh tempo 1 Juni 2026, tidak sebelum tanggal pensiun 1 Juni 2026. Perpendek jangka waktu."
    )
    assert member_client.check_loan(1, 1, "Pendidikan", 3_000_000, 11, dt.date(2025, 6, 1))[-1].ok
    later = LoanSettings(retirement_ages={"karyawan": 60})
    assert member_client.check_loan(1, 1, "Pendidikan", 3_000_000, 12, dt.date(2025, 6, 1), later)[-1].ok
    unknown = profile(birth_date=None)
    member_client.store.apply_page(cid, page([change(4101, "payroll_profile", 1, _row(unknown))]))
    rule = member_client.check_loan(1, 1, "Pendidikan", 3_000_000, 12)[-1]
    assert not rule.ok and "Tanggal lahir atau kategori anggota belum tercatat" in rule.message


def test_apply_loan_refused_on_the_device_queues_nothing(member_client: SyncClient) -> None:
    with pytest.raises(RuleViolation) as caught:
        member_client.apply_loan(1, 1, "Liburan", 60_000_000, 12)
    exc = caught.value
    assert isinstance(exc, InvalidMutation)
    assert exc.code == "purpose_unknown"
    assert exc.message == 'Tujuan "Liburan" tidak tersedia untuk produk Pinjaman Umum.'
    assert exc.codes == ["purpose_unknown", "amount_out_of_range", "installment_over_plafon", "savings_below_minimum"]
    assert all(not c.ok and c.message for c in exc.failed)
    for kwargs, code in [
        ({"disbursement_method": "transfer"}, "missing_field"),
        ({"requested_disbursement_date": TODAY - dt.timedelta(days=1)}, "disbursement_date_in_past"),
    ]:
        with pytest.raises(RuleViolation) as caught:
            member_client.apply_loan(1, 1, "Pendidikan", 1_000_000, 3, **kwargs)
        assert caught.value.code == code and caught.value.codes == [code]
    with pytest.raises(RuleViolation) as caught:
        member_client.apply_loan(2, 1, "Pendidikan", 1_000_000, 3)  # another member's loan
    assert caught.value.code == "not_owner"
    with pytest.raises(RuleViolation) as caught:
        member_client.apply_loan(1, 1, "Pendidikan", 1_000_000, 0)
    assert caught.value.code == "tenor_not_positive"
    assert member_client.pending() == [] and member_client.loans() == []


def test_officer_cannot_apply_for_a_member(offline_client: SyncClient) -> None:
    seed_loans(offline_client)
    with pytest.raises(RuleViolation) as caught:
        offline_client.apply_loan(1, 1, "Pendidikan", 1_000_000, 3)
    assert caught.value.code == "not_owner" and offline_client.pending() == []


def test_applied_offline_the_loan_shows_pending_until_the_replica_has_it(member_client: SyncClient) -> None:
    item = member_client.apply_loan(
        1,
        "Pinjaman Umum",
        " Modal usaha ",
        9_000_000,
        12,
        disbursement_method="transfer",
        bank_name="BRI",
        account_number="0021",
        account_holder="Budi Santoso",
    )
    op = item.op
    assert isinstance(op, LoanApply)
    assert (op.member_id, op.product_id, op.purpose, op.location_id, op.requested_disbursement_date) == (
        1,
        1,
        "Modal usaha",
        1,
        TODAY,
    )
    [pending] = member_client.loans()
    assert pending.id == op.loan_id and pending.status == "pending" and pending.status_label == "Menunggu sinkronisasi"
    assert (pending.monthly_installment, pending.admin_fee, pending.product_name, pending.code) == (
        840_000,
        90_000,
        "Pinjaman Umum",
        None,
    )
    assert member_client.loans(status="pending") == [pending] and member_client.loans(status="submitted") == []
    detail = member_client.loan_detail(op.loan_id[:8])
    assert detail is not None and detail.projected and len(detail.installments) == 12
    assert detail.installments[0].due_date == due_date(TODAY, 1)  # projected from the requested date
    assert detail.total_amount == 10_080_000 and detail.total_due == 10_080_000 and detail.repayments == []

    cid = member_client.client_id
    assert cid
    member_client.store.record_results(
        cid, [item], PushResponse([MutationResult(1, item.uuid, "applied", visible_at=5000)], 1)
    )
    assert member_client.loans()[0].status == "pending"  # applied, not yet pulled: never vanishes
    server_row = _row(loan(op.loan_id, "submitted", code="PJM-2611-000007"))
    member_client.store.apply_page(cid, page([change(5000, "loan", op.loan_id, server_row)]))
    [shown] = member_client.loans()
    assert shown.status == "submitted" and shown.status_label == "Diajukan" and not shown.pending
    assert shown.code == "PJM-2611-000007" and member_client.loan("pjm-2611-000007") == shown
    assert member_client.pending() == []


def test_pending_actions_mark_the_loan_pure() -> None:
    items = [_item(1, LoanCancel(loan_id="l1")), _item(2, LoanApprove(loan_id="l2"))]
    rows = [_row(loan("l1", "submitted", code="PJM-1")), _row(loan("l2", "submitted", code="PJM-2"))]
    views = {v.id: v for v in loan_views(rows, items, [UMUM])}
    assert views["l1"].cancelling and views["l1"].pending_op == "loan.cancel" and views["l1"].status == "submitted"
    assert views["l2"].pending_op == "loan.approve" and not views["l2"].cancelling
    assert find_loan(list(views.values()), "PJM-2") == views["l2"] and find_loan(list(views.values()), "l") is None


def _item(number: int, op: Any) -> QueuedItem:
    return QueuedItem(
        id=number,
        uuid=str(uuid.uuid4()),
        user_id=101,
        name=type(op).__struct_config__.tag,
        op=op,
        queued_at=f"2026-02-0{number}T00:00:00Z",
    )


# --- repayments and the detail --------------------------------------------------------------------

LOAN_ID = str(uuid.UUID(int=42))


@pytest.fixture
def officer_with_loan(offline_client: SyncClient) -> SyncClient:
    active = loan(LOAN_ID, "active", code="PJM-2601-000042", outstanding=8_250_000)
    repayment = {
        "id": "r1",
        "loan_id": LOAN_ID,
        "member_id": 1,
        "amount": 840_000 + 100_000,
        "principal": 760_000,
        "interest": 180_000,
        "source": "tunai",
        "created_at": "2026-02-15T03:00:00+00:00",
    }
    seed_loans(
        offline_client,
        ("loan", LOAN_ID, _row(active)),
        ("loan_schedule", LOAN_ID, schedule_row(active, [840_000, 100_000])),
        ("loan_repayment", "r1", repayment),
    )
    return offline_client


def test_loan_detail_shows_paid_installments_and_allocates_queued_cash(officer_with_loan: SyncClient) -> None:
    client = officer_with_loan
    detail = client.loan_detail("PJM-2601-000042")
    assert detail is not None and not detail.projected
    assert [(i.paid, i.fully_paid) for i in detail.installments[:3]] == [(840_000, True), (100_000, False), (0, False)]
    assert detail.total_paid == 940_000 and detail.next_installment.number == 2  # type: ignore[union-attr]
    item = client.repay_loan("PJM-2601-000042", 1_000_000)
    assert isinstance(item.op, LoanRepay) and item.op.loan_id == LOAN_ID
    detail = client.loan_detail(LOAN_ID)
    assert detail is not None
    # 740.000 finishes installment 2, 260.000 goes to installment 3: exactly the server's apply_repayment
    assert [(i.pending_paid, i.fully_paid, i.fully_paid_with_pending) for i in detail.installments[1:4]] == [
        (740_000, False, True),
        (260_000, False, False),
        (0, False, False),
    ]
    assert detail.next_installment.number == 3 and detail.next_installment.due == 580_000  # type: ignore[union-attr]
    assert detail.total_due == 12 * 840_000 - 940_000 - 1_000_000
    assert [(r.id, r.pending) for r in detail.repayments] == [(item.op.repayment_id, True), ("r1", False)]
    assert client.loans()[0].pending_repayments == 1_000_000


def test_a_repayment_pulled_before_its_item_settles_is_not_counted_twice(officer_with_loan: SyncClient) -> None:
    client = officer_with_loan
    item = client.repay_loan("PJM-2601-000042", 740_000)
    op = item.op
    assert isinstance(op, LoanRepay)
    cid = client.client_id or ""
    client.store.record_results(
        cid, [item], PushResponse([MutationResult(1, item.uuid, "applied", visible_at=9999)], 1)
    )
    paid_now = loan(LOAN_ID, "active", code="PJM-2601-000042")
    row = {
        "id": op.repayment_id,
        "loan_id": LOAN_ID,
        "member_id": 1,
        "amount": 740_000,
        "principal": 740_000,
        "interest": 0,
        "source": "tunai",
        "created_at": "2026-03-01T00:00:00+00:00",
    }
    # a page that ends before the mutation's own row: schedule and repayment pulled, item not yet settled
    paid_rows = schedule_row(paid_now, [840_000, 840_000])
    client.store.apply_page(
        cid,
        page(
            [change(9000, "loan_schedule", LOAN_ID, paid_rows), change(9001, "loan_repayment", op.repayment_id, row)],
            position=9001,
        ),
    )
    assert [i.uuid for i in client.pending()] == [item.uuid]  # applied, not settled: still overlaid
    detail = client.loan_detail(LOAN_ID)
    assert detail is not None and [i.pending_paid for i in detail.installments] == [0] * 12
    assert [(r.id, r.pending) for r in detail.repayments] == [(op.repayment_id, False), ("r1", False)]
    assert client.repay_loan(LOAN_ID, 12 * 840_000 - 2 * 840_000).id == 2  # exactly what is still owed


def test_pending_allocation_is_the_servers_allocation() -> None:
    active = loan(LOAN_ID, "active")
    rows = [
        (
            Installment(
                r["number"],
                dt.date.fromisoformat(r["due_date"]),
                r["principal"],
                r["interest"],
                r["amount"],
                r["remaining"],
            ),
            r["paid"],
        )
        for r in schedule_row(active, [840_000])["installments"]
    ]
    after, extra = pending_allocation(active, rows, [500_000, 99_000_000, 400_000])  # the middle one is refused
    first = apply_repayment(active, rows, 500_000)
    second = apply_repayment(first.loan, [(i, p + (500_000 if i.number == 2 else 0)) for i, p in rows], 400_000)
    expected: dict[int, int] = {}
    for a in first.allocations + second.allocations:
        expected[a.number] = expected.get(a.number, 0) + a.amount
    assert {n: v for n, v in extra.items() if v} == expected == {2: 840_000, 3: 60_000}
    assert after.outstanding == second.outstanding


def test_repayments_the_server_would_refuse_are_refused_here(officer_with_loan: SyncClient, tmp_path: Path) -> None:
    client = officer_with_loan
    owed = 12 * 840_000 - 940_000
    with pytest.raises(RuleViolation) as caught:
        client.repay_loan("PJM-2601-000042", owed + 1)
    assert caught.value.code == "repayment_exceeds_due" and "melebihi sisa tagihan" in caught.value.message
    client.repay_loan("PJM-2601-000042", owed - 10)
    with pytest.raises(RuleViolation) as caught:  # the queued cash already counts
        client.repay_loan("PJM-2601-000042", 11)
    assert caught.value.code == "repayment_exceeds_due"
    paid_off = client.repay_loan("PJM-2601-000042", 10)  # the last rupiah: the loan will be lunas
    assert paid_off.id == 2
    with pytest.raises(RuleViolation) as caught:
        client.repay_loan("PJM-2601-000042", 1)
    assert caught.value.code == "loan_not_active" and "lunas" in caught.value.message
    with pytest.raises(RuleViolation) as caught:
        client.repay_loan("PJM-404", 1_000)
    assert caught.value.code == "loan_not_found"
    seed_loans(client, ("loan", "l-sub", _row(loan("l-sub", "submitted", code="PJM-SUB"))), start=7000)
    with pytest.raises(RuleViolation) as caught:
        client.repay_loan("PJM-SUB", 1_000)
    assert caught.value.code == "loan_not_active"
    seed_profile(client, OFFICER_ELSEWHERE, replica=False)
    client.store.apply_page(client.client_id or "", page([change(1, "loan", LOAN_ID, _row(loan(LOAN_ID)))]))
    with pytest.raises(RuleViolation) as caught:
        client.repay_loan(LOAN_ID, 1_000)
    assert caught.value.code == "not_officer_of_location"


# --- voluntary deduction changes --------------------------------------------------------------------


def test_deduction_change_checked_against_plafon_then_queued(member_client: SyncClient) -> None:
    seed_loans(member_client, ("loan", "l-act", _row(loan("l-act", "active", monthly=500_000))), start=8000)
    with pytest.raises(RuleViolation) as caught:
        member_client.request_deduction_change(1, 2_500_001)  # plafon 3.000.000 - 500.000, current one replaced
    assert caught.value.code == "deduction_over_plafon" and caught.value.detail == {"available": 2_500_000}
    item = member_client.request_deduction_change(1, 2_500_000)
    assert isinstance(item.op, DeductionChangeCreate) and item.op.savings_type == "sukarela"
    [view] = member_client.deduction_changes(1)
    assert (view.status, view.current_amount, view.new_amount, view.effective_month) == (
        "pending",
        200_000,
        2_500_000,
        next_payroll_month(TODAY),
    )
    assert member_client.deduction_changes() == [view]
    with pytest.raises(RuleViolation) as caught:
        member_client.request_deduction_change(2, 0)
    assert caught.value.code == "not_owner"
    assert len(member_client.pending()) == 1


def test_deduction_change_views_pure() -> None:
    server = {
        "id": "c1",
        "member_id": 1,
        "current_amount": 0,
        "new_amount": 50_000,
        "effective_month": "2026-03",
        "created_by": 201,
        "created_at": "2026-02-01T00:00:00+00:00",
        "savings_type": "sukarela",
        "status": "submitted",
    }
    items = [
        _item(1, DeductionChangeCreate(change_id="c2", member_id=1, savings_type="sukarela", new_amount=75_000)),
        _item(2, DeductionChangeCancel(change_id="c1")),
    ]
    views = deduction_change_views([server], items, {1: profile()}, today=dt.date(2026, 12, 3))
    assert [(v.id, v.status, v.effective_month, v.current_amount, v.cancelling) for v in views] == [
        ("c2", "pending", "2027-01", 200_000, False),
        ("c1", "submitted", "2026-03", 0, True),
    ]


# --- the officer CLI ----------------------------------------------------------------------------------


@pytest.fixture
def officer_dir(tmp_path: Path) -> Path:
    with SyncClient(tmp_path / DB_NAME, closed_url()) as client:
        seed_profile(client)
        active = loan(LOAN_ID, "active", code="PJM-2601-000042", outstanding=9_000_000)
        seed_loans(client, ("loan", LOAN_ID, _row(active)), ("loan_schedule", LOAN_ID, schedule_row(active, [840_000])))
    return tmp_path


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--data-dir", str(data_dir), *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_simulasi_prints_the_schedule_offline(officer_dir: Path) -> None:
    code, out, err = run(officer_dir, "simulasi", "1", "9.000.000", "12", "--mulai", "2026-01-31")
    assert code == 0, err
    lines = out.splitlines()
    assert "Simulasi Pinjaman — Pinjaman Umum" in lines[0] and "flat 12% per tahun" in lines[0]
    header = next(line for line in lines if "Angsuran ke" in line)
    for label in ("Jatuh tempo", "Pokok", "Bunga", "Angsuran", "Sisa pinjaman"):
        assert label in header
    assert "28-02-2026" in out and "31-03-2026" in out  # month ends clamp, counted from the start date
    first = next(line for line in lines if line.strip().startswith("1 "))
    assert first.split() == ["1", "28-02-2026", "750.000", "90.000", "840.000", "8.250.000"]
    total = next(line for line in lines if line.startswith("Jumlah") and "Rp" not in line)
    assert total.split() == ["Jumlah", "9.000.000", "1.080.000", "10.080.000"]
    assert "Biaya administrasi: Rp90.000 (diterima bersih Rp8.910.000)" in out
    code, out, _ = run(officer_dir, "simulasi", "Pinjaman Lama", "20.000.000", "12")
    assert code == 0 and "sudah tidak tersedia" in out and "di luar batas produk" in out


def test_cli_simulasi_errors(officer_dir: Path) -> None:
    code, _, err = run(officer_dir, "simulasi", "emas", "1000000", "3")
    assert code == 1 and "tidak ditemukan" in err and "Pinjaman Barang" in err
    code, _, err = run(officer_dir, "simulasi", "1", "1.000", "60")
    assert code == 2 and "Jadwal angsuran tidak dapat dibentuk" in err
    code, _, err = run(officer_dir, "simulasi", "1", "1000000", "12", "--mulai", "31-01-2026")
    assert code == 2 and "YYYY-MM-DD" in err


def test_cli_angsuran_queues_cash_and_shows_what_remains(officer_dir: Path) -> None:
    code, out, err = run(officer_dir, "angsuran", "PJM-2601-000042", "840.000")
    assert code == 0, err
    assert "TERTUNDA" in out and "Rp840.000" in out and "A0001 Budi Santoso" in out
    assert "angsuran berikutnya ke-3" in out and f"Sisa tagihan: Rp{10 * 840_000:,}".replace(",", ".") in out
    code, out, _ = run(officer_dir, "tertunda")
    assert "angsuran tunai Rp840.000 pinjaman PJM-2601-000042" in out
    code, out, _ = run(officer_dir, "anggota", "A0001")
    assert "Pinjaman PJM-2601-000042 Pinjaman Umum: Aktif" in out and "angsuran tertunda Rp840.000" in out
    code, _, err = run(officer_dir, "angsuran", "PJM-2601-000042", "99.000.000")
    assert code == 2 and "melebihi sisa tagihan" in err
    code, _, err = run(officer_dir, "angsuran", "PJM-0", "1000")
    assert code == 1 and "tidak ditemukan" in err
    with SyncClient(officer_dir / DB_NAME) as client:
        assert len(client.pending()) == 1


def test_cli_angsuran_is_for_officers(tmp_path: Path) -> None:
    with SyncClient(tmp_path / DB_NAME, closed_url()) as client:
        seed_profile(client, MEMBER)
    code, _, err = run(tmp_path, "angsuran", "PJM-1", "1000")
    assert code == 1 and "hanya dapat dicatat oleh petugas" in err


# --- against the real server ------------------------------------------------------------------------

PASSWORD = "rahasia123"


def _online(path: Path, url: str, username: str) -> SyncClient:
    client = SyncClient(path, url, device_name="tes")
    client.login(username, PASSWORD)
    assert client.sync_once().ok
    return client


def test_member_checks_and_applies_offline_then_sees_it_submitted(live_server: Any, tmp_path: Path) -> None:
    db = tmp_path / "hp.sqlite3"
    online = _online(db, live_server.url, "anggota03")
    assert [p.id for p in online.loan_products()][:3] == [1, 2, 3] and online.payroll_profile(3) is not None
    # the device answers exactly what the server answers, rule by rule and installment by installment
    token = online.profile.access_token  # type: ignore[union-attr]
    answer = httpx.get(
        f"{live_server.url}/api/loans/simulate",
        params={
            "product_id": 1,
            "amount": 5_000_000,
            "tenor": 12,
            "purpose": "Pendidikan",
            "start_date": TODAY.isoformat(),
        },
        headers={"X-Lumbung-Protocol": "1", "Authorization": f"Bearer {token}"},
    ).json()
    checks = online.check_loan(3, 1, "Pendidikan", 5_000_000, 12)
    assert answer["checks"] == [_row(c) for c in checks] and all(c.ok for c in checks)
    assert answer["schedule"] == _row(online.simulate_loan(1, 5_000_000, 12))
    assert answer["plafon"] == _row(online.sisa_plafon(3))
    online.close()

    offline = SyncClient(db, closed_url())  # out of signal from here on
    with pytest.raises(RuleViolation):
        offline.apply_loan(3, 1, "Liburan", 5_000_000, 12)
    item = offline.apply_loan(3, 1, "Pendidikan", 5_000_000, 12)
    change_item = offline.request_deduction_change(3, 150_000)
    loan_id = item.op.loan_id  # type: ignore[union-attr]
    [pending] = offline.loans(3, status="pending")
    assert pending.id == loan_id and pending.monthly_installment > 0
    assert not offline.sync_once().ok and len(offline.pending()) == 2
    offline.close()

    with SyncClient(db, live_server.url) as client:
        summary = client.sync_once()
        assert summary.ok and summary.applied == 2 and summary.rejected == [], summary
        shown = client.loan(loan_id)
        assert shown is not None and shown.status == "submitted" and not shown.pending
        assert shown.code and shown.code.startswith("PJM-") and shown.status_label == "Diajukan"
        assert (shown.monthly_installment, shown.terms, shown.admin_fee) == (
            pending.monthly_installment,
            pending.terms,
            pending.admin_fee,
        )
        [change_view] = [c for c in client.deduction_changes(3) if c.id == change_item.op.change_id]  # type: ignore[union-attr]
        assert change_view.status == "submitted" and change_view.effective_month == next_payroll_month(TODAY)
        assert client.pending() == []


def test_board_approves_officer_disburses_and_takes_cash_all_queued_offline(fresh_server: Any, tmp_path: Path) -> None:
    member = _online(tmp_path / "member.sqlite3", fresh_server.url, "anggota09")
    loan_id = member.apply_loan(9, 1, "Renovasi rumah", 3_000_000, 6).op.loan_id  # type: ignore[union-attr]
    assert member.sync_once().ok
    board = _online(tmp_path / "board.sqlite3", fresh_server.url, "pengurus1")
    board.queue(LoanApprove(loan_id=loan_id))
    assert board.loan(loan_id).pending_op == "loan.approve"  # type: ignore[union-attr]
    assert board.sync_once().ok and board.loan(loan_id).status == "approved"  # type: ignore[union-attr]
    assert member.sync_once().ok
    assert member.sisa_plafon(9).active_installments == member.loan(loan_id).monthly_installment  # type: ignore[union-attr]

    officer = _online(tmp_path / "officer.sqlite3", fresh_server.url, "petugas1")
    officer.queue(LoanDisburse(loan_id=loan_id, disbursement_date=TODAY))
    assert officer.sync_once().ok
    detail = officer.loan_detail(loan_id)
    assert detail is not None and not detail.projected and detail.loan.status == "active"
    first = detail.installments[0]
    repay = officer.repay_loan(detail.loan.code or "", first.amount + 1_000)
    pending = officer.loan_detail(loan_id)
    assert pending is not None and pending.installments[0].fully_paid_with_pending
    assert pending.installments[1].pending_paid == 1_000
    summary = officer.sync_once()
    assert summary.ok and summary.applied == 1, summary
    after = officer.loan_detail(loan_id)
    assert after is not None and after.installments[0].fully_paid and after.installments[1].paid == 1_000
    assert [(r.id, r.pending, r.amount) for r in after.repayments] == [
        (
            repay.op.repayment_id,
            False,  # type: ignore[union-attr]
            first.amount + 1_000,
        )
    ]
    assert after.total_due == pending.total_due and officer.pending() == []
    for client in (member, board, officer):
        client.close()


def test_device_uses_the_loan_settings_the_server_publishes(tmp_path, live_server) -> None:
    """The server publishes its loan settings (retirement ages, savings share) in the feed."""
    from client_sync import SyncClient
    from server.domain.loans import LoanSettings

    device = SyncClient(tmp_path / "settings.db", live_server.url)
    device.login("anggota11", "rahasia123")
    assert device.sync_once().ok
    assert device.loan_settings == live_server.settings.loan_settings
    assert (
        SyncClient(
            tmp_path / "other.db", live_server.url, loan_settings=LoanSettings(min_savings_bp=5)
        ).loan_settings.min_savings_bp
        == 5
    )
