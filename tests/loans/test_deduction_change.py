"""Pengajuan Perubahan Setoran: a new voluntary payroll deduction, checked against sisa plafon with
the current deduction counted as replaced, effective from the next payroll month; cancellable while
pending; the payroll export of that month applies it."""

from __future__ import annotations

import datetime as dt
import uuid

from server.domain.loans import next_payroll_month
from server.domain.models import COOP_TZ
from server.protocol import DeductionChangeCancel, DeductionChangeCreate
from tests.support.api import login


def _change(member_id: int, amount: int) -> DeductionChangeCreate:
    return DeductionChangeCreate(
        change_id=str(uuid.uuid4()), member_id=member_id, savings_type="sukarela", new_amount=amount
    )


def test_deduction_change_within_plafon_applies_from_next_payroll_month(fresh_server) -> None:
    member, board = login(fresh_server.url, "anggota05"), login(fresh_server.url, "pengurus1")
    parts = member.get("/api/dashboard").json()["plafon_parts"]
    # the current deduction is replaced, not added: the whole plafon is available for the new amount
    too_much = _change(5, parts["plafon"] - parts["active_installments"] + 1)
    fits = _change(5, parts["plafon"] - parts["active_installments"])
    refused, applied = member.push_ops(too_much, fits)
    assert (refused["status"], refused["code"]) == ("rejected", "deduction_over_plafon")
    assert applied["status"] == "applied"
    history = member.get("/api/deduction-changes").json()
    month = next_payroll_month(dt.datetime.now(COOP_TZ).date())
    assert [(h["new_amount"], h["status"], h["effective_month"]) for h in history] == [
        (fits.new_amount, "submitted", month)
    ]
    export = board.http.post(f"/api/payroll/{month}/export").text
    assert f"{month}:5:simpanan_sukarela:sukarela" in export and f",{fits.new_amount}\r\n" in export
    assert member.get("/api/deduction-changes").json()[0]["status"] == "applied"
    assert member.get("/api/dashboard").json()["plafon_parts"]["voluntary_deduction"] == fits.new_amount


def test_pending_deduction_change_can_be_cancelled_only_by_its_member(fresh_server) -> None:
    member, other = login(fresh_server.url, "anggota06"), login(fresh_server.url, "anggota07")
    change = _change(6, 50_000)
    assert member.push_ops(change)[0]["status"] == "applied"
    stranger = other.push_ops(DeductionChangeCancel(change_id=change.change_id))[0]
    assert (stranger["status"], stranger["code"]) == ("rejected", "not_owner")
    assert member.push_ops(DeductionChangeCancel(change_id=change.change_id))[0]["status"] == "applied"
    again = member.push_ops(DeductionChangeCancel(change_id=change.change_id))[0]
    assert (again["status"], again["code"]) == ("rejected", "not_cancellable")
    assert member.get("/api/deduction-changes").json()[0]["status"] == "cancelled"
