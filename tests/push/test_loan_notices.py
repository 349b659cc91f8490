"""A loan's decisions reach its member: approved, disbursed (once, though the loan row changes again with
every installment) and each installment recorded."""

from __future__ import annotations

import datetime as dt
import time
import uuid

from server.domain.models import COOP_TZ
from server.protocol import LoanApply, LoanApprove, LoanDisburse, LoanRepay
from tests.push.conftest import login, public_key, subscribe
from tests.push.receiver import PushReceiver
from tests.support.servers import ThreadServer

TODAY = dt.datetime.now(COOP_TZ).date()


def test_loan_approved_disbursed_and_installments_are_told_once_each(
    push_server: ThreadServer, receiver: PushReceiver
) -> None:
    member = login(push_server.url, "anggota04")
    device = receiver.device("loan4")
    subscribe(member, device)
    loan_id = str(uuid.uuid4())
    [applied] = member.push_ops(
        LoanApply(
            loan_id=loan_id,
            member_id=4,
            product_id=1,
            purpose="Pendidikan",
            amount=6_000_000,
            tenor=6,
            requested_disbursement_date=TODAY,
            location_id=1,
            disbursement_method="tunai",
        )
    )
    assert applied["status"] == "applied"
    board, officer = login(push_server.url, "pengurus1"), login(push_server.url, "petugas1")
    assert board.push_ops(LoanApprove(loan_id=loan_id))[0]["status"] == "applied"
    assert officer.push_ops(LoanDisburse(loan_id=loan_id, disbursement_date=TODAY))[0]["status"] == "applied"
    for _ in range(2):
        [repaid] = officer.push_ops(LoanRepay(repayment_id=str(uuid.uuid4()), loan_id=loan_id, amount=100_000))
        assert repaid["status"] == "applied", repaid
    receiver.wait_for(lambda: len(receiver.hits(device)) >= 4)
    time.sleep(0.8)
    messages = [m["payload"] for m in receiver.messages(device, public_key(member))]
    assert sorted(m["kind"] for m in messages) == [
        "loan.approved",
        "loan.disbursed",
        "loan.installment",
        "loan.installment",
    ]
    code = next(m["ref"]["code"] for m in messages if m["kind"] == "loan.approved")
    assert code.startswith("PJM-") and all(
        m["ref"] == {"entity": "loan", "id": loan_id, "code": code} for m in messages
    )
    by_kind = {m["kind"]: m for m in messages}
    assert by_kind["loan.disbursed"]["body"] == f"Pinjaman {code} Rp6.000.000 telah dicairkan"
    assert by_kind["loan.installment"]["body"] == f"Angsuran Rp100.000 (tunai) untuk pinjaman {code} telah dicatat"
    assert len({m["tag"] for m in messages}) == 1  # one topic per loan: newer notices replace older ones
