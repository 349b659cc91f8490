"""Shared loan-rule vectors (tests/vectors/protocol_loan_rules.json), checked against server/domain.

The PWA's loans.js runs the same file (tests/js/loans.test.js), so a member's device refuses a loan
application, a deduction change or an empty plafon with exactly the code and Indonesian message the
server's rules would give. The file is generated from ``CASES`` by ``python
tests/client_sync/test_vectors_loan_rules.py --write``; the test fails when the file and the domain disagree.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from server.domain.loans import (
    DeductionChange,
    LoanProduct,
    LoanSettings,
    PayrollProfile,
    admin_fee,
    check_application,
    check_deduction_change,
    check_repayment_amount,
    counted_savings_balance,
    plafon_now,
    repayment_due,
    retirement_date,
    simulate,
)
from server.domain.models import SavingsAccount
from server.errors import DomainError

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "protocol_loan_rules.json"

PRODUCT = {
    "id": 1,
    "name": "Pinjaman Umum",
    "purposes": ["Renovasi", "Pendidikan"],
    "method": "flat",
    "annual_rate_bp": 1200,
    "min_amount": 1_000_000,
    "max_amount": 50_000_000,
    "min_tenor": 3,
    "max_tenor": 36,
    "admin_fee_bp": 100,
    "admin_fee_flat": 5000,
    "rounding_mode": "half_up",
    "rounding_multiple": 1000,
    "active": True,
}
PROFILE = {
    "member_id": 100,
    "plafon": 2_000_000,
    "birth_date": "1980-05-20",
    "category": "karyawan",
    "voluntary_deduction": 100_000,
    "mandatory_savings": 50_000,
}
ACCOUNTS = [
    {"member_id": 100, "savings_type": "pokok", "balance": 500_000, "held": 0},
    {"member_id": 100, "savings_type": "wajib", "balance": 1_200_000, "held": 0},
    {"member_id": 100, "savings_type": "sukarela", "balance": 800_000, "held": 300_000},
]
LOANS = [
    {"member_id": 100, "status": "active", "monthly_installment": 400_000},
    {"member_id": 100, "status": "approved", "monthly_installment": 250_000},
    {"member_id": 100, "status": "paid_off", "monthly_installment": 900_000},
    {"member_id": 100, "status": "submitted", "monthly_installment": 700_000},
    {"member_id": 101, "status": "active", "monthly_installment": 800_000},
]
CHANGE = {
    "id": "5b1f8f3e-8e8d-4f3e-9a51-1c2d3e4f5a6b",
    "member_id": 100,
    "current_amount": 100_000,
    "new_amount": 300_000,
    "effective_month": "2027-01",
    "created_by": 7,
    "created_at": "2026-12-01T03:00:00Z",
    "status": "submitted",
}


def app(name: str, description: str, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "product": PRODUCT,
        "member_id": 100,
        "profile": PROFILE,
        "loans": LOANS,
        "accounts": ACCOUNTS,
        "changes": [],
        "purpose": "Renovasi",
        "amount": 12_000_000,
        "tenor": 12,
        "start_date": "2026-12-01",
        "month": "2026-12",
        "settings": None,
    }
    base.update(over)
    return {"name": name, "kind": "application", "description": description, "input": base}


def ded(
    name: str, description: str, new_amount: Any, profile: dict | None = PROFILE, installments: list[int] | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "deduction_change",
        "description": description,
        "input": {
            "profile": profile,
            "installments": [400_000, 250_000] if installments is None else installments,
            "new_amount": new_amount,
        },
    }


# a loan of 3.000.000 over 3 months at 1 % a month, flat: three installments of 1.030.000
SCHEDULE = [
    {"amount": 1_030_000, "paid": 1_030_000},
    {"amount": 1_030_000, "paid": 500_000},
    {"amount": 1_030_000, "paid": 0},
]


def rep(
    name: str, description: str, amount: Any, pending: list[int] | None = None, installments: list | None = None
) -> dict[str, Any]:
    """A cash installment (loan.repay) checked against what is still owed, less the device's own queued ones."""
    return {
        "name": name,
        "kind": "repayment",
        "description": description,
        "input": {
            "loan_code": "PIN-2611-000007",
            "installments": SCHEDULE if installments is None else installments,
            "pending": pending or [],
            "amount": amount,
        },
    }


CASES: list[dict[str, Any]] = [
    app("all_rules_pass", "Every rule passes: 12 months of 1.120.000 against sisa plafon 1.250.000."),
    app(
        "installment_over_plafon",
        "20.000.000 over 12 months: 1.867.000 a month exceeds sisa plafon 1.250.000.",
        amount=20_000_000,
    ),
    app(
        "savings_below_minimum",
        "10 % of 23.000.000 is 2.300.000; counted savings are 2.200.000 (held excluded).",
        amount=23_000_000,
        tenor=36,
    ),
    app(
        "savings_exactly_minimum",
        "Counted savings 2.200.000 = ceil(10 % of 22.000.000): passes.",
        amount=22_000_000,
        tenor=36,
    ),
    app(
        "savings_ceil_one_rupiah",
        "10 % of 22.000.001 rounds up to 2.200.001: one rupiah short.",
        amount=22_000_001,
        tenor=36,
    ),
    app(
        "tenor_past_retirement",
        "Born 20 May 1980, karyawan retires 20 May 2036; 36 months from Jun 2033 end on it.",
        start_date="2033-05-20",
        month="2033-05",
        tenor=36,
    ),
    app(
        "retirement_unknown_birth_date",
        "No birth date: the retirement rule fails with its own message.",
        profile={**PROFILE, "birth_date": None},
    ),
    app(
        "retirement_unknown_category",
        "A category without a retirement age fails the same way.",
        profile={**PROFILE, "category": "honorer"},
    ),
    app(
        "retirement_pns_58",
        "pns retires at 58 (20 May 2038); 60 months from 2033-06 end before it.",
        profile={**PROFILE, "category": "pns"},
        start_date="2033-05-19",
        month="2033-05",
        tenor=36,
        amount=3_000_000,
    ),
    app(
        "leap_day_birthday",
        "Born 29 Feb 1972, karyawan: retires 28 Feb 2028 (a leap year keeps 29 Feb).",
        profile={**PROFILE, "birth_date": "1972-02-29"},
        start_date="2025-02-28",
        month="2025-02",
        tenor=36,
        amount=3_000_000,
    ),
    app(
        "leap_day_birthday_common_year",
        "Born 29 Feb 1972, pns: retires 28 Feb 2030 (a common year); the last installment on that day fails.",
        profile={**PROFILE, "birth_date": "1972-02-29", "category": "pns"},
        start_date="2027-02-28",
        month="2027-02",
        tenor=36,
        amount=3_000_000,
    ),
    app(
        "product_inactive",
        "An inactive product fails its rule, the others are still reported.",
        product={**PRODUCT, "active": False},
    ),
    app("purpose_blank", "A blank purpose.", purpose="   "),
    app("purpose_unknown", "A purpose the product does not list.", purpose="Liburan"),
    app(
        "purpose_any",
        "A product without purposes takes any non-blank purpose (trimmed).",
        product={**PRODUCT, "purposes": []},
        purpose="  Modal usaha ",
    ),
    app("amount_out_of_range", "Below the product's minimum.", amount=900_000, tenor=3),
    app("tenor_out_of_range", "Past the product's longest tenor.", tenor=48, amount=30_000_000),
    app(
        "many_failures",
        "Everything fails at once; every failure has its message.",
        product={**PRODUCT, "active": False},
        purpose="Liburan",
        amount=60_000_000,
        tenor=48,
        profile={**PROFILE, "birth_date": None},
    ),
    app("plafon_not_set", "No plafon: refused before any rule.", profile={**PROFILE, "plafon": None}),
    app("no_profile", "No payroll profile at all: plafon_not_set too.", profile=None),
    app(
        "schedule_infeasible",
        "Rp1.000.000 over 36 months rounded to Rp1.000 at 0 %: infeasible.",
        product={
            **PRODUCT,
            "annual_rate_bp": 0,
            "method": "flat",
            "rounding_mode": "up",
            "min_amount": 1,
            "max_tenor": 600,
        },
        amount=10_000,
        tenor=36,
    ),
    app("pending_change_counts", "A deduction change requested for next month (300.000) counts now.", changes=[CHANGE]),
    app("cancelled_change_ignored", "A cancelled change does not count.", changes=[{**CHANGE, "status": "cancelled"}]),
    app(
        "applied_change_in_effect",
        "An applied change effective this month replaces the profile's amount.",
        changes=[{**CHANGE, "effective_month": "2026-11", "new_amount": 50_000, "status": "applied"}],
    ),
    app(
        "negative_sisa_plafon",
        "Installments already exceed the plafon: a negative sisa plafon in the message.",
        loans=[{"member_id": 100, "status": "active", "monthly_installment": 2_500_000}],
    ),
    app(
        "efektif_max_is_first",
        "Efektif: the largest installment is the first.",
        product={**PRODUCT, "method": "efektif", "annual_rate_bp": 1800, "rounding_multiple": 100},
    ),
    app(
        "custom_settings",
        "Settings: only sukarela counts, 25 %, karyawan retires at 60.",
        settings={"min_savings_bp": 2500, "counted_savings": ["sukarela"], "retirement_ages": {"karyawan": 60}},
    ),
    app(
        "percent_with_fraction",
        "A 12,5 % minimum prints as 12,5%.",
        settings={
            "min_savings_bp": 1250,
            "counted_savings": ["pokok", "wajib", "sukarela"],
            "retirement_ages": {"karyawan": 56},
        },
    ),
    ded("deduction_within_plafon", "2.000.000 - 650.000 installments leaves 1.350.000 for the deduction.", 1_350_000),
    ded("deduction_zero", "Zero stops the voluntary deduction.", 0),
    ded("deduction_over_plafon", "One rupiah over what the installments leave.", 1_350_001),
    ded("deduction_negative", "Negative is refused.", -1),
    ded("deduction_plafon_not_set", "No plafon.", 100_000, profile={**PROFILE, "plafon": None}),
    rep("repayment_all_that_is_due", "530.000 + 1.030.000 still owed: paying exactly that is accepted.", 1_560_000),
    rep("repayment_over_due", "One rupiah more than is owed.", 1_560_001),
    rep("repayment_part", "Part of an installment.", 100_000),
    rep("repayment_zero", "Zero is refused.", 0),
    rep("repayment_negative", "Negative is refused.", -5),
    rep(
        "repayment_with_queued",
        "1.000.000 already queued on this device leaves 560.000: 560.001 is refused.",
        560_001,
        pending=[600_000, 400_000],
    ),
    rep("repayment_with_queued_fits", "What the queued ones leave is accepted.", 560_000, pending=[1_000_000]),
    rep(
        "repayment_paid_off",
        "Everything paid: nothing more is accepted.",
        1,
        installments=[{"amount": 1_030_000, "paid": 1_030_000}],
    ),
]


def _profile(data: dict | None, member_id: int) -> PayrollProfile:
    return msgspec.convert(data or {"member_id": member_id}, PayrollProfile, strict=False)


def _error(exc: DomainError) -> dict[str, Any]:
    return {"error": {"code": exc.code, "message": exc.message}}


def evaluate(case: dict[str, Any]) -> dict[str, Any]:
    """What server/domain says for one case, in the vector file's shape."""
    inp = case["input"]
    if case["kind"] == "repayment":
        due = repayment_due([(i["amount"], i["paid"]) for i in inp["installments"]]) - sum(inp["pending"])
        try:
            check_repayment_amount(inp["loan_code"], due, inp["amount"])
        except DomainError as exc:
            return {"due": due, **_error(exc)}
        return {"due": due}
    if case["kind"] == "deduction_change":
        try:
            after = check_deduction_change(_profile(inp["profile"], 100), inp["installments"], inp["new_amount"])
        except DomainError as exc:
            return _error(exc)
        return {"breakdown": msgspec.structs.asdict(after)}
    member_id = inp["member_id"]
    settings = msgspec.convert(inp["settings"], LoanSettings, strict=False) if inp["settings"] else LoanSettings()
    product = msgspec.convert(inp["product"], LoanProduct, strict=False)
    profile = _profile(inp["profile"], member_id)
    changes = [
        msgspec.convert(c, DeductionChange, strict=False)
        for c in inp["changes"]
        if c["member_id"] == member_id and c.get("status") in ("submitted", "applied")
    ]
    installments = [
        r["monthly_installment"]
        for r in inp["loans"]
        if r["member_id"] == member_id and r["status"] in ("approved", "active")
    ]
    accounts = [
        msgspec.convert(a, SavingsAccount, strict=False) for a in inp["accounts"] if a["member_id"] == member_id
    ]
    start = dt.date.fromisoformat(inp["start_date"])
    try:
        breakdown = plafon_now(profile, changes, inp["month"], installments)
        schedule = simulate(product, inp["amount"], inp["tenor"], start)
    except DomainError as exc:
        return _error(exc)
    retirement = retirement_date(profile, settings)
    checks = check_application(
        product=product,
        purpose=inp["purpose"],
        amount=inp["amount"],
        tenor=inp["tenor"],
        schedule=schedule,
        breakdown=breakdown,
        savings_balance=counted_savings_balance(accounts, settings),
        retirement=retirement,
        settings=settings,
    )
    return {
        "breakdown": msgspec.structs.asdict(breakdown),
        "max_installment": schedule.max_installment,
        "last_due_date": schedule.last_due_date.isoformat(),
        "retirement_date": retirement.isoformat() if retirement else None,
        "admin_fee": admin_fee(product, inp["amount"]),
        "checks": [{"code": c.code, "ok": c.ok, "message": c.message} for c in checks],
    }


def build() -> list[dict[str, Any]]:
    return [{**case, "expected": evaluate(case)} for case in CASES]


def test_vector_file_matches_the_domain() -> None:
    stored = json.loads(VECTORS.read_text(encoding="utf-8"))
    assert [c["name"] for c in stored] == [c["name"] for c in CASES]
    for case, built in zip(stored, build(), strict=True):
        assert case == built, case["name"]


@pytest.mark.parametrize("name", ["installment_over_plafon", "savings_below_minimum", "tenor_past_retirement"])
def test_the_guides_three_rules_each_fail_alone(name: str) -> None:
    case = next(c for c in build() if c["name"] == name)
    failed = [c["code"] for c in case["expected"]["checks"] if not c["ok"]]
    assert failed == [name]


def test_refusals_carry_the_servers_codes() -> None:
    by_name = {c["name"]: c["expected"] for c in build()}
    assert by_name["plafon_not_set"]["error"]["code"] == "plafon_not_set"
    assert by_name["no_profile"]["error"]["code"] == "plafon_not_set"
    assert by_name["schedule_infeasible"]["error"]["code"] == "schedule_infeasible"
    assert by_name["deduction_over_plafon"]["error"]["code"] == "deduction_over_plafon"
    assert by_name["repayment_over_due"]["error"]["code"] == "repayment_exceeds_due"
    assert by_name["repayment_with_queued"]["error"]["code"] == "repayment_exceeds_due"
    assert "error" not in by_name["repayment_all_that_is_due"] and "error" not in by_name["repayment_with_queued_fits"]
    assert by_name["all_rules_pass"]["checks"] and all(c["ok"] for c in by_name["all_rules_pass"]["checks"])


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        VECTORS.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {len(CASES)} cases to {VECTORS}")
    else:
        print(__doc__)
