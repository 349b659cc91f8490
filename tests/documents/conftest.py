"""One cooperative with something to print: a verified transfer withdrawal, an officer's cash deposit
still unverified, and a disbursed loan with an admin fee; the withdrawal transfer fee is set."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.domain.models import COOP_TZ
from server.protocol import DepositCreate, LoanApply, LoanApprove, LoanDisburse, WithdrawalCreate, WithdrawalVerify
from tests.support.api import login
from tests.support.servers import ThreadServer, copy_template

TRANSFER_FEE = 6_500
TODAY = dt.datetime.now(COOP_TZ).date()


class Printed:
    def __init__(self, server: ThreadServer) -> None:
        self.server = server
        self.url = server.url
        self.withdrawal_id = str(uuid.uuid4())
        self.cash_deposit_id = str(uuid.uuid4())
        self.loan_id = str(uuid.uuid4())


@pytest.fixture(scope="module")
def printed(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Printed]:
    server = ThreadServer(
        copy_template(demo_template, tmp_path_factory.mktemp("documents")), withdrawal_transfer_fee=TRANSFER_FEE
    ).start()
    p = Printed(server)
    member, officer, second, board = (login(p.url, u) for u in ("anggota01", "petugas1", "petugas2", "pengurus1"))
    assert (
        member.push_ops(
            WithdrawalCreate(
                withdrawal_id=p.withdrawal_id,
                member_id=1,
                savings_type="sukarela",
                amount=200_000,
                method="transfer",
                location_id=1,
                bank_name="BRI",
                account_number="0021010001",
                account_holder="Budi Santoso",
            )
        )[0]["status"]
        == "applied"
    )
    assert officer.push_ops(WithdrawalVerify(withdrawal_id=p.withdrawal_id))[0]["status"] == "applied"
    assert (
        officer.push_ops(
            DepositCreate(
                deposit_id=p.cash_deposit_id,
                member_id=2,
                savings_type="sukarela",
                kind="offline",
                amount=175_000,
                location_id=1,
            )
        )[0]["status"]
        == "applied"
    )
    borrower = login(p.url, "anggota04")
    assert (
        borrower.push_ops(
            LoanApply(
                loan_id=p.loan_id,
                member_id=4,
                product_id=1,
                purpose="Pendidikan",
                amount=6_000_000,
                tenor=6,
                requested_disbursement_date=TODAY,
                location_id=1,
                disbursement_method="tunai",
            )
        )[0]["status"]
        == "applied"
    )
    assert board.push_ops(LoanApprove(loan_id=p.loan_id))[0]["status"] == "applied"
    assert second.push_ops(LoanDisburse(loan_id=p.loan_id, disbursement_date=TODAY))[0]["status"] == "applied"
    for s in (member, officer, second, board, borrower):
        s.close()
    yield p
    server.stop()
