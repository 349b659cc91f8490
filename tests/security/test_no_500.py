"""Issue 7.5: input never makes a 500. Deep JSON, OPTIONS on guarded routes, a huge search ``q``, a CSV
field over the csv module's limit: each a 4xx with a stable code. And a fuzz of the login and push
decoders over HTTP (Hypothesis): whatever the body, a deliberate answer with our error shape."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.protocol import PROTOCOL_HEADER
from tests.support.api import login
from tests.support.servers import ThreadServer, copy_template

HEADERS = {PROTOCOL_HEADER: "1", "content-type": "application/json"}


def _error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert body["code"] == code and body["message"].strip(), body
    return body


@pytest.mark.parametrize("depth", [990, 1000, 5000, 200_000])
def test_deeply_nested_json_is_refused_on_login_and_push(live_server, depth: int) -> None:
    body = "[" * depth + "]" * depth
    _error(httpx.post(f"{live_server.url}/api/auth/login", content=body, headers=HEADERS), 400, "body_too_deep")
    officer = login(live_server.url, "petugas1")
    nested = '{"client_id": "' + officer.client_id + '", "mutations": ' + "[" * depth + "]" * depth + "}"
    response = officer.http.post("/api/sync/push", content=nested, headers={"content-type": "application/json"})
    # the push body is decoded once, strictly, against its typed structs: a nested array where a mutation
    # object belongs is refused by type (422) before its depth matters; either way a 4xx, never a 500
    assert (response.status_code, response.json()["code"]) in {(400, "body_too_deep"), (422, "invalid_request")}


@pytest.mark.parametrize(
    "path",
    [
        "/api/admin/users",
        "/api/members",
        "/api/payroll/2026-01/import",
        "/api/sync/push",
        "/api/admin/loan-products/1",
        "/api/loans",
    ],
)
def test_options_on_guarded_routes_is_never_a_500(live_server, path: str) -> None:
    _error(httpx.options(f"{live_server.url}{path}", headers=HEADERS), 401, "token_missing")
    member = login(live_server.url, "anggota01")
    answer = member.http.options(path)
    assert answer.status_code in (204, 403), (answer.status_code, answer.text[:200])


@pytest.mark.parametrize("path", ["/api/members", "/api/deposits", "/api/withdrawals"])
def test_a_50000_character_search_is_refused_before_sql(live_server, path: str) -> None:
    officer = login(live_server.url, "petugas1")
    _error(officer.get(path, q="a" * 50_000), 400, "query_too_long")
    _error(officer.get(path, q="%_" * 10_000), 400, "query_too_long")
    body = _error(officer.get(path, q="a" * 513), 400, "query_too_long")
    assert body["detail"] == {"parameter": "q", "max_length": 512}
    assert officer.get(path, q="a" * 512).status_code == 200


def test_a_csv_field_over_128_kib_is_a_422(live_server) -> None:
    board = login(live_server.url, "pengurus1")
    huge = "x" * (128 * 1024 + 10)
    in_header = f'line_id,no_anggota,jumlah,"{huge}"\r\n'
    _error(board.http.post("/api/payroll/2026-01/import", content=in_header.encode()), 422, "csv_malformed")
    in_a_line = f'line_id,no_anggota,jumlah,status\r\n"{huge}",1,2,lunas\r\n'  # reported as the file's problem
    report = board.http.post("/api/payroll/2026-01/import", content=in_a_line.encode())
    assert report.status_code == 200 and report.json()["problems"][0]["code"] == "malformed_file"


# --- fuzz: the login and push decoders -----------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)
LOGIN_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "username": st.text(max_size=120) | JSON,
        "password": st.text(max_size=220) | JSON,
        "client_id": st.from_regex(r"[A-Za-z0-9_-]{0,70}", fullmatch=True) | JSON,
        "extra": JSON,
    },
)


def _assert_deliberate(response: httpx.Response) -> None:
    assert response.status_code < 500 or (response.status_code == 503 and response.json()["code"] == "busy"), (
        response.status_code,
        response.text[:300],
    )
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body["code"], str) and body["code"] and isinstance(body["message"], str), body


@pytest.fixture(scope="module")
def fuzz_server(demo_template, tmp_path_factory):
    """Its own server: the fuzz's failed logins would otherwise lock 127.0.0.1 out of the shared one."""
    server = ThreadServer(
        copy_template(demo_template, tmp_path_factory.mktemp("fuzz")),
        login_address_failures=100_000,
        login_free_failures=100_000,
        login_lockout_failures=100_000,
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fuzz_client(fuzz_server):
    with httpx.Client(base_url=fuzz_server.url, headers=HEADERS, timeout=30) as client:
        yield client


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=LOGIN_FIELDS | JSON)
def test_fuzz_login_decoder_never_fails_the_server(fuzz_client, body) -> None:
    response = fuzz_client.post("/api/auth/login", content=json.dumps(body))
    _assert_deliberate(response)
    assert response.status_code != 200  # no generated body holds a real password


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300))
def test_fuzz_login_with_arbitrary_bytes(fuzz_client, raw: bytes) -> None:
    _assert_deliberate(fuzz_client.post("/api/auth/login", content=raw))


MUTATION = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers(min_value=-5, max_value=2**70) | JSON,
        "uuid": st.uuids().map(str) | JSON,
        "user_id": st.integers(min_value=-2, max_value=200) | JSON,
        "op": st.fixed_dictionaries(
            {
                "type": st.sampled_from(["deposit.create", "withdrawal.create", "deposit.verify", "loan.apply", "nope"])
                | JSON
            },
            optional={
                "member_id": st.integers(-1, 30) | JSON,
                "amount": st.integers(-10, 2**65) | JSON,
                "savings_type": st.sampled_from(["sukarela", "pokok", "x"]) | JSON,
                "kind": st.text(max_size=10) | JSON,
                "location_id": st.integers(0, 3) | JSON,
                "extra": JSON,
            },
        )
        | JSON,
        "device_time": st.text(max_size=30) | JSON,
    },
)


@pytest.fixture(scope="module")
def pusher(fuzz_server):
    officer = login(fuzz_server.url, "petugas1")
    yield officer
    officer.close()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(MUTATION, max_size=3) | JSON, client=st.booleans())
def test_fuzz_push_decoder_never_fails_the_server(pusher, mutations, client: bool) -> None:
    body = {"client_id": pusher.client_id if client else uuid.uuid4().hex, "mutations": mutations}
    response = pusher.http.post(
        "/api/sync/push", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    _assert_deliberate(response)
