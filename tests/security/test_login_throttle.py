"""Issue 7.1: failed logins are throttled per account and per address, a lockout survives a restart
and an admin lifts it (API and command line), and password checks are bounded (503 ``busy``)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid

import httpx

from server.protocol import PROTOCOL_HEADER
from tests.support.aio import run_async
from tests.support.api import DEMO_PASSWORD, login
from tests.support.servers import ROOT, ThreadServer

HEADERS = {PROTOCOL_HEADER: "1"}
# small numbers so a test sees every stage: 2 free failures, then waits, locked at the 4th
TIGHT = {"login_free_failures": 2, "login_delay_seconds": 30, "login_lockout_failures": 4, "login_lockout_seconds": 600}


def _login(url: str, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/auth/login",
        headers=HEADERS,
        timeout=30,
        json={"username": username, "password": password, "client_id": uuid.uuid4().hex},
    )


def _error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert body["code"] == code and body["message"].strip(), body
    return body


def test_after_the_free_failures_even_the_right_password_must_wait(server_with) -> None:
    server = server_with(**TIGHT)
    for _ in range(2):
        _error(_login(server.url, "anggota03", "salah-salah"), 401, "invalid_credentials")
    _error(_login(server.url, "anggota03", "salah-salah"), 401, "invalid_credentials")  # the 3rd starts a wait
    refused = _login(server.url, "anggota03", DEMO_PASSWORD)
    body = _error(refused, 429, "too_many_attempts")
    assert 1 <= int(refused.headers["Retry-After"]) <= 30
    assert body["detail"]["retry_after"] == int(refused.headers["Retry-After"])
    assert "detik" in body["message"]
    # another account is not affected
    assert _login(server.url, "anggota04", DEMO_PASSWORD).status_code == 200


def test_the_wait_grows_with_each_failure_and_a_success_resets_it(server_with) -> None:
    server = server_with(
        login_free_failures=0, login_delay_seconds=1, login_delay_max_seconds=100, login_lockout_failures=50
    )
    waits = []
    for _ in range(3):
        deadline = time.monotonic() + 20
        while (r := _login(server.url, "anggota05", "salah-salah")).status_code == 429 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert r.status_code == 401
        waits.append(
            int(_error(_login(server.url, "anggota05", "x"), 429, "too_many_attempts")["detail"]["retry_after"])
        )
    assert waits[0] < waits[1] < waits[2], waits  # 1, 2, 4 seconds
    time.sleep(waits[-1] + 0.2)
    assert _login(server.url, "anggota05", DEMO_PASSWORD).status_code == 200
    _error(_login(server.url, "anggota05", "salah-salah"), 401, "invalid_credentials")
    again = _error(_login(server.url, "anggota05", "x"), 429, "too_many_attempts")
    assert again["detail"]["retry_after"] == 1  # counting started again from the first wait


def _lock(url: str, username: str) -> None:
    for _ in range(6):
        if _login(url, username, "salah-salah").status_code == 429:
            return
    raise AssertionError("account was never locked")


def test_a_lockout_survives_a_restart_and_the_admin_lifts_it(server_with, tmp_path) -> None:
    settings = {**TIGHT, "login_delay_seconds": 0}  # no waits before the lockout
    server = server_with(**settings)
    for _ in range(4):
        _error(_login(server.url, "petugas2", "salah-salah"), 401, "invalid_credentials")
    _error(_login(server.url, "petugas2", DEMO_PASSWORD), 429, "too_many_attempts")
    server.stop()
    server = ThreadServer(server.data_dir, **settings).start()
    try:
        retry = _login(server.url, "petugas2", DEMO_PASSWORD)
        assert _error(retry, 429, "too_many_attempts")["detail"]["retry_after"] > 500
        admin = login(server.url, "admin")
        listed = admin.get("/api/admin/login-lockouts").json()
        assert [row["key"] for row in listed] == ["user:petugas2"]
        member = login(server.url, "anggota01")
        _error(
            member.http.post("/api/admin/login-lockouts/clear", json={"username": "petugas2"}), 403, "role_not_allowed"
        )
        cleared = admin.http.post("/api/admin/login-lockouts/clear", json={"username": "petugas2"})
        assert cleared.status_code == 200 and cleared.json() == {"cleared": 1}
        assert _login(server.url, "petugas2", DEMO_PASSWORD).status_code == 200
    finally:
        server.stop()


def test_the_unlock_command_lifts_a_lockout_of_a_running_server(server_with) -> None:
    server = server_with(**{**TIGHT, "login_delay_seconds": 0})
    _lock(server.url, "anggota06")
    _error(_login(server.url, "anggota06", DEMO_PASSWORD), 429, "too_many_attempts")
    listed = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), "lockouts"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "user:anggota06" in listed.stdout, listed
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), "unlock", "--username", "anggota06"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "1" in done.stdout, done
    assert _login(server.url, "anggota06", DEMO_PASSWORD).status_code == 200


def test_many_failures_from_one_address_lock_the_address_for_every_account(server_with) -> None:
    server = server_with(login_address_failures=5, login_lockout_failures=100, login_free_failures=100)
    for i in range(5):  # five different (unknown) usernames: no account reaches its own limit
        _error(_login(server.url, f"tamu{i}", "salah-salah"), 401, "invalid_credentials")
    refused = _login(server.url, "anggota07", DEMO_PASSWORD)
    _error(refused, 429, "too_many_attempts")
    admin_cli = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), "unlock", "--address", "127.0.0.1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert admin_cli.returncode == 0, admin_cli
    assert _login(server.url, "anggota07", DEMO_PASSWORD).status_code == 200


def test_password_checks_beyond_the_bound_are_answered_busy_at_once(server_with) -> None:
    # unknown usernames are checked against a dummy hash made at the server's cost: make it slow
    server = server_with(
        password_checks_concurrent=1,
        password_checks_waiting=1,
        argon2_time_cost=40,
        login_address_failures=1000,
        login_free_failures=1000,
        login_lockout_failures=1000,
    )

    async def flood() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, headers=HEADERS, timeout=60) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/api/auth/login",
                        json={"username": f"tamu{i}", "password": "salah-salah", "client_id": uuid.uuid4().hex},
                    )
                    for i in range(8)
                )
            )

    answers = run_async(flood())
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(401) >= 1 and statuses.count(503) >= 4, statuses
    assert set(statuses) <= {401, 503}
    busy = next(r for r in answers if r.status_code == 503)
    assert busy.json()["code"] == "busy" and busy.headers["Retry-After"] == "1"
