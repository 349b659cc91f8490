"""One access rule, four doors: the feed, the read API, attachment downloads and pokes agree.

The same role × row matrix is run through a real server over HTTP. For every user and every
transaction row we ask: is it in the user's pull? In their history listing? Does its slip open? Does
its proof download? Was their event stream poked when it was made? All five answers must be the same,
and equal to the rule written out here independently of ``server/access.py``:

    the board (pengurus, admin) sees everything; anyone sees rows about their own member record and
    rows they made; an officer (petugas) sees the rows of the locations they serve.

Loans (pull vs. Detail Pinjaman) and members (pull vs. the dashboard) get the same check.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.domain.models import COOP_TZ
from server.protocol import LoanApply
from tests.protocol.protocol_helpers import cash_deposit, mandiri_deposit, png_bytes, pull_to_head, sha256
from tests.protocol.test_protocol_live import RawEventStream
from tests.support.api import ApiSession, login
from tests.support.servers import ThreadServer, copy_template

# username -> (user id, role, member id, locations that count as served)
USERS = {
    "anggota03": (3, "anggota", 3, set()),
    "anggota05": (5, "anggota", 5, set()),  # also has a stray location row (see the fixture): it must not count
    "anggota14": (14, "anggota", 14, set()),
    "petugas1": (101, "petugas", None, {1}),
    "petugas2": (102, "petugas", None, {1}),
    "petugas3": (103, "petugas", None, {2}),
    "pengurus1": (104, "pengurus", None, set()),
    "admin": (105, "admin", None, set()),
}


def expected(username: str, member_id: int, location_id: int, created_by: int) -> bool:
    user_id, role, own_member, served = USERS[username]
    return role in ("pengurus", "admin") or member_id == own_member or created_by == user_id or location_id in served


@pytest.fixture
def matrix_server(demo_template: Path, tmp_path: Path) -> Iterator[ThreadServer]:
    data = copy_template(demo_template, tmp_path / "data")
    with sqlite3.connect(data / "lumbung.sqlite3") as conn:  # a member with a location row left behind
        conn.execute("INSERT INTO officer_locations (user_id, location_id) VALUES (5, 2)")
    server = ThreadServer(data).start()
    yield server
    server.stop()


def _upload(session: ApiSession, seed: str) -> str:
    data = png_bytes(seed)
    response = session.http.put(f"/api/attachments/{sha256(data)}", content=data, headers={"content-type": "image/png"})
    assert response.status_code == 201, response.text
    return sha256(data)


def _loan(member_id: int, location_id: int) -> LoanApply:
    return LoanApply(
        loan_id=str(uuid.uuid4()),
        member_id=member_id,
        product_id=1,
        purpose="Pendidikan",
        amount=3_000_000,
        tenor=6,
        requested_disbursement_date=dt.datetime.now(COOP_TZ).date(),
        location_id=location_id,
        disbursement_method="tunai",
    )


def test_feed_read_api_downloads_and_pokes_agree_for_every_role_and_row(matrix_server: ThreadServer) -> None:
    url = matrix_server.url
    sessions = {name: login(url, name) for name in USERS}
    cursors = {name: pull_to_head(s)[1]["cursor"] for name, s in sessions.items()}
    streams = {name: RawEventStream(url, s.token) for name, s in sessions.items()}
    try:
        # (creator, op builder) -> rows with owners (member, location, creator) that differ in every way
        rows: list[tuple[str, str, str | None, tuple[int, int, int]]] = []  # (kind, id, attachment, owners)

        def make(creator: str, kind: str, op, owners: tuple[int, int, int], attachment: str | None) -> None:
            result = sessions[creator].push_ops(op)[0]
            assert result["status"] == "applied", (creator, result)
            row_id = op.deposit_id if kind == "deposit" else op.loan_id
            rows.append((kind, row_id, attachment, owners))
            # pokes: exactly the users who may see the new row, nobody else
            for name, stream in streams.items():
                want = expected(name, *owners)
                assert stream.poked_within(5.0 if want else 0.4) == want, (name, kind, owners)

        a1 = _upload(sessions["anggota03"], "matrix-a1")
        make("anggota03", "deposit", mandiri_deposit(3, 31_000, 1, attachment=a1), (3, 1, 3), a1)
        a2 = _upload(sessions["petugas1"], "matrix-a2")
        make("petugas1", "deposit", _with_attachment(cash_deposit(5, 32_000, 1), a2), (5, 1, 101), a2)
        a3 = _upload(sessions["petugas3"], "matrix-a3")
        make("petugas3", "deposit", _with_attachment(cash_deposit(14, 33_000, 2), a3), (14, 2, 103), a3)
        a4 = _upload(sessions["anggota14"], "matrix-a4")  # member of location 2, paying in at location 1
        make("anggota14", "deposit", mandiri_deposit(14, 34_000, 1, attachment=a4), (14, 1, 14), a4)
        make("anggota03", "loan", _loan(3, 1), (3, 1, 3), None)
        make("anggota14", "loan", _loan(14, 1), (14, 1, 14), None)
    finally:
        for stream in streams.values():
            stream.close()

    decided = 0
    for name, session in sessions.items():
        pulled = {(c["entity"], c["id"]) for c in pull_to_head(session, cursor=cursors[name])[0]}
        listed = {d["id"] for d in session.get("/api/deposits", page_size=200).json()["items"]}
        for kind, row_id, attachment, owners in rows:
            want = expected(name, *owners)
            decided += want
            doors = {"feed": (kind, row_id) in pulled}
            if kind == "deposit":
                doors["history"] = row_id in listed
                doors["slip"] = _status(session, f"/api/deposits/{row_id}/slip", "deposit_not_found")
                doors["download"] = _status(session, f"/api/attachments/{attachment}", "attachment_not_found")
            else:
                doors["loan_detail"] = _status(session, f"/api/loans/{row_id}", "loan_not_found")
            assert set(doors.values()) == {want}, (name, kind, owners, doors)
    assert 0 < decided < len(USERS) * len(rows)  # the matrix holds both answers

    # members: in the (full) pull exactly when the dashboard opens for them
    for name, session in sessions.items():
        pulled_members = {c["id"] for c in pull_to_head(session)[0] if c["entity"] == "member"}
        for member_id, location_id in ((3, 1), (5, 1), (14, 2)):
            want = expected(name, member_id, location_id, created_by=0)
            opens = _status(session, f"/api/dashboard?member_id={member_id}", "member_not_found")
            assert (str(member_id) in pulled_members, opens) == (want, want), (name, member_id)


def _with_attachment(op, attachment: str):
    import msgspec

    return msgspec.structs.replace(op, attachment=attachment)


def _status(session: ApiSession, path: str, not_found_code: str) -> bool:
    """True for 200, False for the 404 of an unknown id; anything else fails the test."""
    response = session.http.get(path)
    if response.status_code == 200:
        return True
    assert (response.status_code, response.json()["code"]) == (404, not_found_code), (path, response.text[:300])
    return False
