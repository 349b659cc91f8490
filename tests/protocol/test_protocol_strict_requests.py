"""Strict requests (issue 7.7, 6.6): JSON bodies must say they are JSON, name each key once, and the
push body is decoded once, strictly, from the raw bytes."""

from __future__ import annotations

import json

import msgspec
import pytest
from litestar.connection import Request

from tests.protocol.protocol_helpers import assert_error, cash_deposit, counter, new_id, raw_client, snapshot
from tests.support.api import DEMO_PASSWORD, login


def _push_body(session, **op_overrides) -> dict:
    op = msgspec.to_builtins(cash_deposit(3, 10_000, 1))
    op.update(op_overrides)
    return {
        "client_id": session.client_id,
        "mutations": [{"id": 1, "uuid": new_id(), "user_id": session.user["id"], "op": op}],
    }


def _post(session, body: bytes, content_type: str | None):
    headers = {} if content_type is None else {"content-type": content_type}
    return session.http.post("/api/sync/push", content=body, headers=headers)


@pytest.fixture
def officer(live_server):
    return login(live_server.url, "petugas1")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"])
def test_push_without_application_json_is_415_and_changes_nothing(live_server, officer, content_type):
    body = msgspec.json.encode(_push_body(officer))
    before = snapshot(live_server.db_path, officer.client_id)
    assert_error(_post(officer, body, content_type), 415, "unsupported_media_type")
    assert snapshot(live_server.db_path, officer.client_id) == before


def test_push_with_charset_parameter_is_accepted(live_server, officer):
    body = msgspec.json.encode(_push_body(officer))
    response = _post(officer, body, "application/json; charset=utf-8")
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "applied"
    assert counter(live_server.db_path, officer.client_id) == 1


def _with_duplicate(session, where: str) -> bytes:
    """A push whose JSON names one key twice: at the top, in a mutation, or in its op (escaped twin)."""
    text = json.dumps(_push_body(session))
    if where == "top":
        return text.replace('"client_id"', '"client_id": "zzzzzzzzzzzz", "client_id"', 1).encode()
    if where == "mutation":
        return text.replace('"user_id"', '"user_id": 999, "user_id"', 1).encode()
    if where == "op":  # 500 first, then the real amount: a parser keeping the first would read another deposit
        return text.replace('"amount"', '"amount": 500, "amount"', 1).encode()
    assert where == "escaped"  # "\u0061mount" is "amount": the same key, spelled differently
    return text.replace('"amount"', '"\\u0061mount": 500, "amount"', 1).encode()


@pytest.mark.parametrize("where", ["top", "mutation", "op", "escaped"])
def test_push_naming_a_key_twice_is_400_duplicate_key_and_changes_nothing(live_server, officer, where):
    before = snapshot(live_server.db_path, officer.client_id)
    body = assert_error(_post(officer, _with_duplicate(officer, where), "application/json"), 400, "duplicate_key")
    if where in ("op", "escaped"):
        assert body["detail"] == {"key": "amount"}
    assert snapshot(live_server.db_path, officer.client_id) == before


def test_escaped_quotes_and_unicode_are_not_mistaken_for_duplicates(live_server, officer):
    note = 'kata "lunas" \u0022 \\ baris\nbaru \u00e9 \U0001f600'
    body = json.dumps(_push_body(officer, note=note), ensure_ascii=True).encode()  # every non-ASCII as \uXXXX
    response = _post(officer, body, "application/json")
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "applied"
    pretty = json.dumps(_push_body(officer, note='"'), indent=2)
    pretty = pretty.replace('"id": 1', '"id": 2').encode()
    response = _post(officer, pretty, "application/json")
    assert response.status_code == 200, response.text
    assert counter(live_server.db_path, officer.client_id) == 2


def test_amount_sent_as_a_string_is_refused_not_converted(live_server, officer):
    before = snapshot(live_server.db_path, officer.client_id)
    body = msgspec.json.encode(_push_body(officer, amount="10000"))
    assert_error(_post(officer, body, "application/json"), 422, "invalid_request")
    assert snapshot(live_server.db_path, officer.client_id) == before


def test_push_body_is_decoded_once_from_the_raw_bytes(live_server, officer, monkeypatch):
    """Litestar's lenient ``request.json()`` (a decode to builtins, then a conversion) never runs for a push."""
    calls: list[str] = []
    original = Request.json

    async def counted(self):  # type: ignore[no-untyped-def]
        calls.append(self.url.path)
        return await original(self)

    monkeypatch.setattr(Request, "json", counted)
    response = _post(officer, msgspec.json.encode(_push_body(officer)), "application/json")
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "applied"
    assert "/api/sync/push" not in calls


def test_login_and_refresh_are_strict_too(live_server):
    client = raw_client(live_server.url)
    good = {"username": "petugas1", "password": DEMO_PASSWORD, "client_id": new_id().replace("-", "")}
    assert_error(
        client.post("/api/auth/login", content=json.dumps(good), headers={"content-type": "text/plain"}),
        415,
        "unsupported_media_type",
    )
    assert_error(client.post("/api/auth/login", content=json.dumps(good).encode()), 415, "unsupported_media_type")
    twice = json.dumps(good).replace('"username"', '"username": "admin", "username"', 1)
    assert_error(
        client.post("/api/auth/login", content=twice, headers={"content-type": "application/json"}),
        400,
        "duplicate_key",
    )
    tokens = client.post("/api/auth/login", json=good).json()
    refresh = json.dumps({"refresh_token": tokens["refresh_token"], "client_id": good["client_id"]})
    assert_error(
        client.post("/api/auth/refresh", content=refresh, headers={"content-type": "text/plain"}),
        415,
        "unsupported_media_type",
    )
    refresh_twice = refresh.replace('"client_id"', '"client_id": "x", "client_id"', 1)
    assert_error(
        client.post("/api/auth/refresh", content=refresh_twice, headers={"content-type": "application/json"}),
        400,
        "duplicate_key",
    )
    assert (
        client.post("/api/auth/refresh", content=refresh, headers={"content-type": "application/json"}).status_code
        == 200
    )


def test_admin_json_endpoints_refuse_other_media_types(live_server):
    admin = login(live_server.url, "admin")
    response = admin.http.post(
        "/api/admin/officers/101/locations", content=b'{"location_ids": [1]}', headers={"content-type": "text/plain"}
    )
    assert_error(response, 415, "unsupported_media_type")
    response = admin.http.post(
        "/api/admin/officers/101/locations",
        content=b'{"location_ids": [2], "location_ids": [1]}',
        headers={"content-type": "application/json"},
    )
    assert_error(response, 400, "duplicate_key")
