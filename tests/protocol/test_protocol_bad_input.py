"""Bad input: each answer is a 4xx with a stable ``code`` and a ``message``, and nothing changes."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import msgspec
import pytest

from server.protocol import PushRequest
from tests.protocol.protocol_helpers import (
    PNG_MAGIC,
    assert_error,
    cancel_withdrawal,
    cash_deposit,
    counter,
    mandiri_deposit,
    new_id,
    png_bytes,
    pull_to_head,
    query,
    raw_client,
    sha256,
    snapshot,
    withdrawal,
)
from tests.support.api import login


def _push_raw(session, payload) -> httpx.Response:  # noqa: F821
    body = payload if isinstance(payload, bytes) else msgspec.json.encode(payload)
    return session.http.post("/api/sync/push", content=body, headers={"content-type": "application/json"})


def _valid_push(session, **op_overrides) -> dict:
    """A well-formed push of one offline deposit as a plain dict, to be broken one field at a time."""
    op = msgspec.to_builtins(cash_deposit(3, 10_000, 1))
    op.update(op_overrides)
    return {
        "client_id": session.client_id,
        "mutations": [{"id": 1, "uuid": new_id(), "user_id": session.user["id"], "op": op}],
    }


@pytest.fixture
def officer(live_server):
    """A fresh device per test, so one test's (wrongly) accepted push cannot shift another's numbering."""
    return login(live_server.url, "petugas1")


def test_malformed_json_is_400_and_changes_nothing(live_server, officer):
    before = snapshot(live_server.db_path, officer.client_id)
    for body in (b"{not json", b'{"client_id": "abcdefgh", "mutations": [', b"\xff\xfe", b"{'a': 1}"):
        assert_error(_push_raw(officer, body), 400, "malformed_json")
    assert snapshot(live_server.db_path, officer.client_id) == before


@pytest.mark.parametrize(
    "breakage",
    [
        {"client_id": 12345678},
        {"client_id": "short"},
        {"client_id": "has spaces in it"},
        {"mutations": "all of them"},
        {"mutations": [{"id": "1"}]},
        {"extra_field": True},
    ],
    ids=[
        "client_id_int",
        "client_id_short",
        "client_id_spaces",
        "mutations_string",
        "mutation_id_string",
        "unknown_field",
    ],
)
def test_push_with_wrong_shape_is_422_invalid_request(live_server, officer, breakage):
    payload = _valid_push(officer)
    payload.update(breakage)
    before = snapshot(live_server.db_path, officer.client_id)
    assert_error(_push_raw(officer, payload), 422, "invalid_request")
    assert snapshot(live_server.db_path, officer.client_id) == before


@pytest.mark.parametrize(
    "field,value",
    [
        ("amount", 0),
        ("amount", -5_000),
        ("amount", 10**12 + 1),
        ("amount", 10**30),
        ("amount", 10_000.5),
        ("amount", True),
        ("amount", None),
        # strings and floats are not integer rupiah, however they look: "1e4" must never become Rp10.000
        ("amount", "10000"),
        ("amount", "1e4"),
        ("amount", 10_000.0),
        ("location_id", "1"),
        ("member_id", "3"),
        ("member_id", "tiga"),
        ("member_id", 0),
        ("member_id", 2**63),
        ("deposit_id", "not-a-uuid"),
        ("kind", "cash"),
        ("name", "deposit.explode"),
        ("name", "loan.apply"),
        ("name", None),
        ("note", "x" * 1001),
        ("attachment", "ABC"),
    ],
)
def test_mutation_arguments_outside_the_protocol_are_422(live_server, officer, field, value):
    payload = _valid_push(officer, **{field: value})
    before = snapshot(live_server.db_path, officer.client_id)
    body = assert_error(_push_raw(officer, payload), 422, "invalid_request")
    assert body.get("detail")
    assert snapshot(live_server.db_path, officer.client_id) == before


def test_mutation_fields_outside_the_protocol_are_422(live_server, officer):
    for mutation_change in (
        {"id": 0},
        {"id": -1},
        {"id": 1.5},
        {"uuid": "nope"},
        {"device_time": "kemarin"},
        {"surprise": 1},
    ):
        payload = _valid_push(officer)
        payload["mutations"][0].update(mutation_change)
        before = snapshot(live_server.db_path, officer.client_id)
        assert_error(_push_raw(officer, payload), 422, "invalid_request")
        assert snapshot(live_server.db_path, officer.client_id) == before


@pytest.mark.parametrize("mutation_change", [{"id": "1"}, {"user_id": "101"}], ids=["id_string", "user_id_string"])
def test_mutation_numbers_sent_as_strings_are_422(live_server, officer, mutation_change):
    payload = _valid_push(officer)
    payload["mutations"][0].update(mutation_change)
    before = snapshot(live_server.db_path, officer.client_id)
    assert_error(_push_raw(officer, payload), 422, "invalid_request")
    assert snapshot(live_server.db_path, officer.client_id) == before


def test_amount_over_the_cooperatives_limit_is_a_recorded_rejection(live_server):
    officer = login(live_server.url, "petugas1")
    over = cash_deposit(3, 100_000_001, 1)
    under = cash_deposit(3, 999, 1)
    before = snapshot(live_server.db_path)
    results = officer.push_ops(over, under)
    assert [(r["status"], r["code"]) for r in results] == [("rejected", "amount_out_of_range")] * 2
    assert all(r["message"] for r in results)
    assert counter(live_server.db_path, officer.client_id) == 2
    after = snapshot(live_server.db_path)
    assert after["deposits"] == before["deposits"] and after["balance"] == before["balance"]
    assert (
        query(live_server.db_path, "SELECT 1 FROM deposits WHERE id IN (?, ?)", over.deposit_id, under.deposit_id) == []
    )
    # the boundary itself is allowed
    assert officer.push_ops(cash_deposit(3, 100_000_000, 1))[0]["status"] == "applied"


def test_withdrawing_from_another_members_account_is_rejected_not_owner(live_server):
    path = live_server.db_path
    thief = login(live_server.url, "anggota05")
    victim_before = query(
        path, "SELECT balance, held FROM savings_accounts WHERE member_id = 7 AND savings_type = 'sukarela'"
    )[0]
    attempt = withdrawal(7, 10_000, 1)
    result = thief.push_ops(attempt)[0]
    assert result["status"] == "rejected" and result["code"] == "not_owner"
    assert query(path, "SELECT 1 FROM withdrawals WHERE id = ?", attempt.withdrawal_id) == []
    assert tuple(
        query(path, "SELECT balance, held FROM savings_accounts WHERE member_id = 7 AND savings_type = 'sukarela'")[0]
    ) == tuple(victim_before)

    # nor can they cancel someone else's request
    owner = login(live_server.url, "anggota07")
    theirs = withdrawal(7, 10_000, 1)
    assert owner.push_ops(theirs)[0]["status"] == "applied"
    meddle = thief.push_ops(cancel_withdrawal(theirs.withdrawal_id))[0]
    assert meddle["status"] == "rejected" and meddle["code"] == "not_owner"
    assert query(path, "SELECT status FROM withdrawals WHERE id = ?", theirs.withdrawal_id)[0][0] == "unverified"
    assert owner.push_ops(cancel_withdrawal(theirs.withdrawal_id))[0]["status"] == "applied"


def test_member_may_deposit_for_another_member_but_sees_only_that_deposit(live_server):
    """The guide's "Setor untuk karyawan/badan": a member may pay into another member's (or a badan's)
    savings. The depositor then holds that one deposit row (they made it) and nothing else of member 7:
    no balances, no ledger entries, no other deposits."""
    path = live_server.db_path
    member = login(live_server.url, "anggota05")
    proof = png_bytes(f"bukti-lain-{member.client_id}")
    digest = sha256(proof)
    assert (
        member.http.put(f"/api/attachments/{digest}", content=proof, headers={"content-type": "image/png"}).status_code
        == 201
    )
    on_behalf = mandiri_deposit(member_id=7, amount=50_000, location_id=1, attachment=digest)
    result = member.push_ops(on_behalf)[0]
    assert result["status"] == "applied", result
    assert [
        tuple(r) for r in query(path, "SELECT member_id, created_by FROM deposits WHERE id = ?", on_behalf.deposit_id)
    ] == [(7, 5)]
    foreign = [
        c
        for c in pull_to_head(member)[0]
        if c["data"] and isinstance(c["data"], dict) and c["data"].get("member_id") not in (None, 5)
    ]
    assert [(c["entity"], c["id"]) for c in foreign] == [("deposit", on_behalf.deposit_id)]


# --- attachments ------------------------------------------------------------------------------


def _put(session, digest: str, data: bytes, content_type: str):
    return session.http.put(f"/api/attachments/{digest}", content=data, headers={"content-type": content_type})


def _stored_attachment(live_server, digest: str) -> bool:
    on_disk = (Path(live_server.data_dir) / "attachments" / digest[:2] / digest).exists()
    in_db = bool(query(live_server.db_path, "SELECT 1 FROM attachments WHERE lower(sha256) = ?", digest.lower()))
    return on_disk or in_db


def test_attachment_far_over_the_limit_gets_the_same_code_and_an_indonesian_message(live_server):
    """6 MB or 8 MB is as much 'too large' as 5 MB + 1: same stable code, a message the member can read."""
    member = login(live_server.url, "anggota04")
    for size in (6 * 1024 * 1024 + 100, 8 * 1024 * 1024):
        data = PNG_MAGIC + b"\0" * (size - len(PNG_MAGIC))
        body = assert_error(_put(member, sha256(data), data, "image/png"), 413, "attachment_too_large")
        assert "Request Entity" not in body["message"]


def test_oversize_attachment_is_413(live_server):
    member = login(live_server.url, "anggota04")
    data = PNG_MAGIC + b"\0" * (5 * 1024 * 1024 + 1 - len(PNG_MAGIC))
    assert len(data) == 5 * 1024 * 1024 + 1
    digest = sha256(data)
    body = assert_error(_put(member, digest, data, "image/png"), 413, "attachment_too_large")
    assert body["detail"]["max_bytes"] == 5 * 1024 * 1024
    assert not _stored_attachment(live_server, digest)
    # exactly at the limit is fine
    ok = data[:-1]
    assert _put(member, sha256(ok), ok, "image/png").status_code == 201


def test_attachment_of_an_unsupported_or_mismatched_type_is_415(live_server):
    member = login(live_server.url, "anggota04")
    text = b"ini bukan gambar"
    assert_error(_put(member, sha256(text), text, "text/plain"), 415, "attachment_type_unsupported")
    assert_error(_put(member, sha256(text), text, ""), 415, "attachment_type_unsupported")
    assert not _stored_attachment(live_server, sha256(text))
    fake_png = b"GIF89a" + b"\0" * 100
    assert_error(_put(member, sha256(fake_png), fake_png, "image/png"), 415, "attachment_type_mismatch")
    pdf_as_jpeg = b"%PDF-1.4 ..."
    assert_error(_put(member, sha256(pdf_as_jpeg), pdf_as_jpeg, "image/jpeg"), 415, "attachment_type_mismatch")
    assert not _stored_attachment(live_server, sha256(fake_png))
    assert _put(member, sha256(pdf_as_jpeg), pdf_as_jpeg, "application/pdf").status_code == 201


def test_attachment_whose_bytes_do_not_match_the_hash_is_422(live_server):
    member = login(live_server.url, "anggota04")
    data = png_bytes(f"rusak-{member.client_id}")
    damaged = data[:-1] + b"!"
    before = snapshot(live_server.db_path)
    assert_error(_put(member, sha256(data), damaged, "image/png"), 422, "attachment_hash_mismatch")
    assert not _stored_attachment(live_server, sha256(data))
    assert snapshot(live_server.db_path)["attachments"] == before["attachments"]


def test_attachment_uploaded_under_an_uppercase_hash_satisfies_the_mutation_that_names_it(live_server):
    """The hash in the URL is compared case-insensitively, so the upload must be stored under the
    canonical (lower-case) hash that mutations use; otherwise the upload 'succeeds' and the deposit
    still waits forever for its attachment."""
    member = login(live_server.url, "anggota04")
    data = png_bytes(f"upper-{member.client_id}")
    digest = sha256(data)
    response = _put(member, digest.upper(), data, "image/png")
    assert response.status_code in (201, 422), response.text
    if response.status_code == 201:
        result = member.push_ops(mandiri_deposit(4, 20_000, 1, attachment=digest))[0]
        assert result["status"] == "applied", result


# --- protocol version and authentication ------------------------------------------------------


def test_wrong_or_missing_protocol_version_is_426(live_server, officer):
    before = snapshot(live_server.db_path, officer.client_id)
    for version in (None, "0", "2", "1.0", ""):
        client = raw_client(live_server.url, officer.token, version=version)
        body = assert_error(
            client.get("/api/sync/pull", params={"client_id": officer.client_id}), 426, "protocol_version_unsupported"
        )
        assert body["detail"]["supported"] == [1]
        assert_error(client.post("/api/sync/push", json=_valid_push(officer)), 426, "protocol_version_unsupported")
        assert_error(
            client.post(
                "/api/auth/login",
                json={"username": "petugas1", "password": "rahasia123", "client_id": new_id().replace("-", "")},
            ),
            426,
            "protocol_version_unsupported",
        )
    assert snapshot(live_server.db_path, officer.client_id) == before


def test_missing_expired_forged_and_revoked_tokens_are_401(live_server):
    session = login(live_server.url, "petugas1")
    url = live_server.url
    claims = jwt.decode(session.token, options={"verify_signature": False})
    key = (Path(live_server.data_dir) / "secret.key").read_text().strip()
    now = int(time.time())
    expired = jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600}, key, algorithm="HS256")
    forged = jwt.encode({**claims, "exp": now + 3600}, "kunci-palsu-" + "x" * 40, algorithm="HS256")
    unsigned = jwt.encode({**claims, "exp": now + 3600}, None, algorithm="none")

    before = snapshot(live_server.db_path, session.client_id)
    for token, code in (
        (None, "token_missing"),
        (expired, "token_expired"),
        (forged, "token_invalid"),
        (unsigned, "token_invalid"),
        ("garbage", "token_invalid"),
    ):
        client = raw_client(url, token)
        assert_error(client.get("/api/sync/pull", params={"client_id": session.client_id}), 401, code)
        assert_error(client.post("/api/sync/push", json=_valid_push(session)), 401, code)
    # a wrong scheme is the same as no token
    assert_error(
        raw_client(url).get("/api/auth/me", headers={"Authorization": f"Basic {session.token}"}), 401, "token_missing"
    )
    assert snapshot(live_server.db_path, session.client_id) == before

    # the live token still works; after logout it and the refresh token are dead
    assert session.get("/api/auth/me").status_code == 200
    assert session.http.post("/api/auth/logout").status_code == 204
    assert_error(session.get("/api/auth/me"), 401, "session_revoked")
    assert_error(session.http.get("/api/sync/pull", params={"client_id": session.client_id}), 401, "session_revoked")
    refreshed = session.http.post(
        "/api/auth/refresh", json={"refresh_token": session.refresh_token, "client_id": session.client_id}
    )
    assert_error(refreshed, 401, "refresh_invalid")


def test_wrong_password_is_401_invalid_credentials(live_server):
    client = raw_client(live_server.url)
    for username in ("petugas1", "tidak-ada"):
        assert_error(
            client.post(
                "/api/auth/login",
                json={"username": username, "password": "salah-sandi", "client_id": new_id().replace("-", "")},
            ),
            401,
            "invalid_credentials",
        )


def test_push_with_another_users_client_id_is_403(live_server):
    owner = login(live_server.url, "petugas2")
    intruder = login(live_server.url, "petugas1")
    before = snapshot(live_server.db_path, owner.client_id)
    payload = msgspec.to_builtins(
        PushRequest(client_id=owner.client_id, mutations=[intruder.mutation(cash_deposit(3, 10_000, 1), number=1)])
    )
    assert_error(_push_raw(intruder, payload), 403, "client_not_owned")
    assert_error(intruder.http.get("/api/sync/pull", params={"client_id": owner.client_id}), 403, "client_not_owned")
    assert snapshot(live_server.db_path, owner.client_id) == before
    # and a login cannot take the device over either
    taken = raw_client(live_server.url).post(
        "/api/auth/login", json={"username": "petugas1", "password": "rahasia123", "client_id": owner.client_id}
    )
    assert taken.status_code == 403 and taken.json()["code"]


def test_mutation_made_by_another_user_is_403_and_nothing_of_the_batch_applies(live_server):
    officer = login(live_server.url, "petugas1")
    mine = officer.mutation(cash_deposit(3, 10_000, 1))
    theirs = officer.mutation(cash_deposit(3, 10_000, 1))
    theirs = msgspec.structs.replace(theirs, user_id=102)
    before = snapshot(live_server.db_path, officer.client_id)
    body = assert_error(officer.push(mine, theirs), 403, "mutation_user_mismatch")
    assert body["detail"]["id"] == 2
    assert snapshot(live_server.db_path, officer.client_id) == before


# --- read API parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path,params",
    [
        ("/api/dashboard", {"member_id": 10**20}),
        ("/api/deposits", {"member_id": 10**20}),
        ("/api/deposits", {"location_id": 10**20}),
        ("/api/withdrawals", {"page": 10**18}),
        (
            "/api/savings-card",
            {"savings_type": "sukarela", "period_start": "2020-01-01", "period_end": "2030-12-31", "member_id": 10**20},
        ),
        ("/api/deposits", {"page": 0}),
        ("/api/deposits", {"page_size": 10_000}),
        ("/api/deposits", {"date_from": "kemarin"}),
        ("/api/savings-card", {"savings_type": "sukarela", "period_start": "2030-01-01", "period_end": "2020-01-01"}),
        ("/api/sync/pull", {"limit": 0}),
        ("/api/sync/pull", {"limit": 10**6}),
    ],
    ids=[
        "dashboard_huge_member",
        "deposits_huge_member",
        "deposits_huge_location",
        "withdrawals_huge_page",
        "card_huge_member",
        "page_zero",
        "page_size_huge",
        "bad_date",
        "period_reversed",
        "limit_zero",
        "limit_huge",
    ],
)
def test_out_of_range_read_parameters_are_4xx_not_a_crash(live_server, path, params):
    session = login(live_server.url, "pengurus1")
    if path == "/api/sync/pull":
        params = {**params, "client_id": session.client_id}
    response = session.get(path, **params)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = response.json()
    assert body["code"] and body["message"]


def test_admin_endpoints_with_out_of_range_ids_are_4xx_not_a_crash(live_server):
    admin = login(live_server.url, "admin")
    for path, payload in (
        (f"/api/admin/officers/{10**20}/locations", {"location_ids": [1]}),
        ("/api/admin/officers/101/locations", {"location_ids": [10**20]}),
        (f"/api/admin/users/{10**20}/revoke-sessions", None),
    ):
        response = admin.http.post(path, json=payload)
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:300])
    assert [
        r[0] for r in query(live_server.db_path, "SELECT location_id FROM officer_locations WHERE user_id = 101")
    ] == [1]
