"""Another member's ids are answered 404, exactly like ids that do not exist (issue 7.7): a 403
would tell the caller the id is real. Checked per role on the read API and the loans endpoints."""

from __future__ import annotations

import datetime as dt
import uuid

from server.domain.models import COOP_TZ
from server.protocol import LoanApply
from tests.protocol.protocol_helpers import mandiri_deposit, png_bytes, query, sha256
from tests.support.api import login

TODAY = dt.datetime.now(COOP_TZ).date()
UNKNOWN_MEMBER = 9_999
CARD = "/api/savings-card?savings_type=sukarela&period_start=2020-01-01&period_end=2099-12-31&member_id={m}"
SIMULATE = "/api/loans/simulate?product_id=1&amount=3000000&tenor=6&member_id={m}"
MEMBER_PATHS = [
    "/api/dashboard?member_id={m}",
    CARD,
    "/api/loans?member_id={m}",
    "/api/deduction-changes?member_id={m}",
    SIMULATE,
]


def _member_14_records(url: str, path) -> dict[str, str]:
    """A loan, a deposit and a proof of member 14 (location 2) for the others to probe."""
    member = login(url, "anggota14")
    proof = png_bytes("bukti-anggota14-rahasia")
    upload = member.http.put(f"/api/attachments/{sha256(proof)}", content=proof, headers={"content-type": "image/png"})
    assert upload.status_code == 201
    loan = LoanApply(
        loan_id=str(uuid.uuid4()),
        member_id=14,
        product_id=1,
        purpose="Pendidikan",
        amount=3_000_000,
        tenor=6,
        requested_disbursement_date=TODAY,
        location_id=2,
        disbursement_method="tunai",
    )
    deposit = mandiri_deposit(14, 45_000, 2, attachment=sha256(proof))
    assert [r["status"] for r in member.push_ops(loan, deposit)] == ["applied", "applied"]
    return {
        "loan": f"/api/loans/{loan.loan_id}",
        "slip": f"/api/deposits/{deposit.deposit_id}/slip",
        "proof": f"/api/attachments/{sha256(proof)}",
    }


def _unknown(kind: str) -> str:
    return {
        "loan": f"/api/loans/{uuid.uuid4()}",
        "slip": f"/api/deposits/{uuid.uuid4()}/slip",
        "proof": f"/api/attachments/{sha256(uuid.uuid4().bytes)}",
    }[kind]


def test_foreign_ids_get_the_answer_of_unknown_ids_for_every_role(fresh_server):
    records = _member_14_records(fresh_server.url, fresh_server.db_path)
    assert query(fresh_server.db_path, "SELECT location_id FROM members WHERE id = 14")[0][0] == 2
    # users who may not see member 14 (location 2): another member, an officer of location 1
    for username in ("anggota03", "petugas1"):
        session = login(fresh_server.url, username)
        for template in MEMBER_PATHS:
            foreign = session.http.get(template.format(m=14))
            unknown = session.http.get(template.format(m=UNKNOWN_MEMBER))
            assert (foreign.status_code, unknown.status_code) == (404, 404), (username, template, foreign.text)
            assert foreign.json() == unknown.json() and foreign.json()["code"] == "member_not_found"
        for kind, path in records.items():
            foreign, unknown = session.http.get(path), session.http.get(_unknown(kind))
            assert (foreign.status_code, unknown.status_code) == (404, 404), (username, kind, foreign.text)
            assert foreign.json() == unknown.json(), (username, kind)

    # those who may see member 14 get the records; the ids were real all along
    for username in ("anggota14", "petugas3", "pengurus1", "admin"):
        session = login(fresh_server.url, username)
        for template in MEMBER_PATHS:
            assert session.http.get(template.format(m=14)).status_code == 200, (username, template)
            assert session.http.get(template.format(m=UNKNOWN_MEMBER)).status_code == 404
        for kind, path in records.items():
            assert session.http.get(path).status_code == 200, (username, kind)


def test_admin_saving_a_profile_for_an_unknown_member_is_404(live_server):
    admin = login(live_server.url, "admin")
    response = admin.http.put(f"/api/admin/members/{UNKNOWN_MEMBER}/payroll-profile", json={"plafon": 1_000_000})
    assert response.status_code == 404 and response.json()["code"] == "member_not_found"
