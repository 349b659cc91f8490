"""Issue 10.7: TOTP second factor. A wrong, a reused and a correct code at login; recovery codes work
once; wrong codes are throttled; with ``mfa_enforced`` the board must enrol before anything else."""

from __future__ import annotations

import time

import httpx
import pyotp
import pytest

from server.auth import mfa
from tests.ops.conftest import ROLES, client_for, login


def _step() -> int:
    return int(time.time() // mfa.STEP_SECONDS)


def _enrol(url: str, username: str) -> tuple[str, list[str]]:
    """Enrol and confirm with the current step's code; returns the secret and the recovery codes."""
    with client_for(url, username) as http:
        started = http.post("/api/auth/mfa/enrol")
        assert started.status_code == 201, started.text
        body = started.json()
        secret = body["secret"]
        assert body["otpauth_uri"].startswith("otpauth://totp/") and f"secret={secret}" in body["otpauth_uri"]
        assert body["qr_svg"].lstrip().startswith("<svg")
        wrong = http.post(
            "/api/auth/mfa/confirm", json={"code": "000000" if mfa.code_at(secret, _step()) != "000000" else "111111"}
        )
        assert (wrong.status_code, wrong.json()["code"]) == (422, "mfa_invalid")
        confirmed = http.post("/api/auth/mfa/confirm", json={"code": pyotp.TOTP(secret).now()})
        assert confirmed.status_code == 200, confirmed.text
        codes = confirmed.json()["recovery_codes"]
        assert len(codes) == 10 and len(set(codes)) == 10
        status = http.get("/api/auth/mfa").json()
        assert status["enrolled"] and status["required"] and status["recovery_codes_left"] == 10
        again = http.post("/api/auth/mfa/enrol")
        assert (again.status_code, again.json()["code"]) == (409, "mfa_already_enrolled")
    return secret, codes


def test_board_login_needs_a_fresh_code_wrong_and_reused_codes_are_refused(ops_server) -> None:
    server = ops_server()
    secret, _ = _enrol(server.url, "pengurus1")
    missing = login(server.url, "pengurus1")
    assert (missing.status_code, missing.json()["code"]) == (401, "mfa_required")
    right = mfa.code_at(secret, _step() + 1)  # the confirm used the current step; the next one is fresh
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = login(server.url, "pengurus1", otp=wrong)
    assert (refused.status_code, refused.json()["code"]) == (401, "mfa_invalid")
    ok = login(server.url, "pengurus1", otp=right)
    assert ok.status_code == 200 and ok.json()["user"]["username"] == "pengurus1"
    assert ok.json()["mfa_enrolment_required"] is False
    replayed = login(server.url, "pengurus1", otp=right)
    assert (replayed.status_code, replayed.json()["code"]) == (401, "mfa_code_reused")


def test_a_recovery_code_works_exactly_once(ops_server) -> None:
    server = ops_server()
    _, codes = _enrol(server.url, "admin")
    first = login(server.url, "admin", otp=codes[0].lower())  # case and dashes do not matter
    assert first.status_code == 200, first.text
    second = login(server.url, "admin", otp=codes[0])
    assert (second.status_code, second.json()["code"]) == (401, "mfa_invalid")
    with client_for(server.url, "admin", otp=codes[1]) as http:
        assert http.get("/api/auth/mfa").json()["recovery_codes_left"] == 8


def test_wrong_codes_are_throttled_before_any_check(ops_server) -> None:
    server = ops_server(login_free_failures=2, login_delay_seconds=60)
    secret, _ = _enrol(server.url, "pengurus1")
    right = mfa.code_at(secret, _step() + 1)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    answers = [login(server.url, "pengurus1", otp=wrong).status_code for _ in range(3)]
    assert answers == [401, 401, 401]
    throttled = login(server.url, "pengurus1", otp=right)  # even the right code waits now
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert throttled.json()["code"] == "too_many_attempts"
    with client_for(server.url, "admin") as admin:  # the admin sees and lifts it like a password lockout
        assert "mfa:pengurus1" in {row["key"] for row in admin.get("/api/admin/login-lockouts").json()}
        assert admin.post("/api/admin/login-lockouts/clear", json={"username": "pengurus1"}).json()["cleared"] >= 1
    assert login(server.url, "pengurus1", otp=right).status_code == 200


def test_officers_and_members_may_opt_in_and_then_need_the_code(ops_server) -> None:
    server = ops_server()
    for username in ("petugas1", "anggota01"):
        assert login(server.url, username).status_code == 200  # not enrolled: password alone
        secret, _ = _enrol(server.url, username)
        assert login(server.url, username).json()["code"] == "mfa_required"
        assert login(server.url, username, otp=mfa.code_at(secret, _step() + 1)).status_code == 200


def test_enforced_mfa_lets_the_board_do_nothing_but_enrol(ops_server) -> None:
    server = ops_server(mfa_enforced=True)
    response = login(server.url, "admin")
    assert response.status_code == 200 and response.json()["mfa_enrolment_required"] is True
    with client_for(server.url, "admin") as http:
        blocked = http.get("/api/admin/health")
        assert (blocked.status_code, blocked.json()["code"]) == (403, "mfa_enrolment_required")
        assert http.get("/api/auth/mfa").json()["enrolment_required"] is True
    secret, _ = _enrol(server.url, "admin")
    with client_for(server.url, "admin", otp=mfa.code_at(secret, _step() + 1)) as http:
        assert http.get("/api/admin/health").status_code == 200
    # officers are not forced
    with client_for(server.url, "petugas1") as http:
        assert http.get("/api/auth/mfa").json()["enrolment_required"] is False
        assert http.get("/api/auth/me").status_code == 200


@pytest.mark.parametrize("role", sorted(ROLES))
def test_only_an_admin_may_reset_a_users_second_factor(ops_server, role: str) -> None:
    server = ops_server()
    secret, _ = _enrol(server.url, "petugas2")
    with client_for(server.url, ROLES[role]) as http:
        response = http.post("/api/admin/users/102/mfa/reset")
        if role == "admin":
            assert response.status_code == 200 and response.json() == {"user_id": 102, "removed": True}
            assert login(server.url, "petugas2").status_code == 200  # password alone again
            assert http.post("/api/admin/users/999999/mfa/reset").json()["code"] == "user_not_found"
        else:
            assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed")
            assert login(server.url, "petugas2").json()["code"] == "mfa_required"


def test_the_command_line_reset_is_audited_like_the_apis(ops_server, capsys) -> None:
    from server.cli import main

    server = ops_server()
    _enrol(server.url, "petugas2")
    data = ["--data-dir", str(server.data_dir)]
    assert main([*data, "mfa-reset", "petugas2", "--by", "anggota01"]) == 1  # not an admin: nothing done
    assert "admin_not_found" in capsys.readouterr().err
    assert login(server.url, "petugas2").json()["code"] == "mfa_required"
    assert main([*data, "mfa-reset", "petugas2", "--by", "admin"]) == 0
    assert "dihapus" in capsys.readouterr().out
    assert login(server.url, "petugas2").status_code == 200  # password alone again
    with client_for(server.url, "pengurus1") as board:
        entries = board.get("/api/audit", params={"entity": "user", "entity_id": "102"}).json()
    resets = [e for e in entries if e["action"] == "user.mfa_reset"]
    assert len(resets) == 1, entries
    assert resets[0]["username"] == "admin"
    assert (resets[0]["before"], resets[0]["after"]) == ({"mfa_enrolled": True}, {"mfa_enrolled": False})


def test_confirm_without_enrolment_and_malformed_codes_are_clear_4xx(ops_server) -> None:
    server = ops_server()
    with client_for(server.url, "petugas1") as http:
        early = http.post("/api/auth/mfa/confirm", json={"code": "123456"})
        assert (early.status_code, early.json()["code"]) == (409, "mfa_not_started")
        bad = http.post("/api/auth/mfa/confirm", json={"code": ""})
        assert bad.status_code == 422
        extra = http.post("/api/auth/mfa/confirm", json={"code": "123456", "x": 1})
        assert extra.status_code == 422
    too_long = login(server.url, "petugas1", otp="9" * 41)
    assert too_long.status_code == 422


def test_changing_the_password_of_an_enrolled_user_needs_the_code_too(ops_server) -> None:
    """Review finding: with the password alone anyone could set a new one for an enrolled board member
    (and end their sessions). Now the code is asked for exactly as at login; a weak new password is
    refused before a code is spent; the user without a second factor still needs none."""
    from tests.ops.conftest import DEMO_PASSWORD, HEADERS

    server = ops_server()
    secret, recovery = _enrol(server.url, "pengurus1")
    change = {"username": "pengurus1", "current_password": DEMO_PASSWORD, "new_password": "Kopi-Tubruk-Pagi-2026"}

    def post(body: dict) -> httpx.Response:
        return httpx.post(f"{server.url}/api/auth/password", headers=HEADERS, json=body, timeout=30)

    missing = post(change)
    assert (missing.status_code, missing.json()["code"]) == (401, "mfa_required")
    code = mfa.code_at(secret, _step() + 1)
    weak = post({**change, "new_password": "pendek", "otp": code})
    assert (weak.status_code, weak.json()["code"]) == (422, "password_too_short")
    wrong = post({**change, "otp": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert (wrong.status_code, wrong.json()["code"]) == (401, "mfa_invalid")
    assert login(server.url, "pengurus1", otp=code).status_code == 200  # nothing changed; the code is still fresh
    ok = post({**change, "otp": recovery[0]})  # the TOTP steps of this minute are spent: a recovery code
    assert ok.status_code == 200, ok.text
    assert login(server.url, "pengurus1", otp=recovery[1]).status_code == 401  # the old password is gone
    plain = post({"username": "petugas1", "current_password": DEMO_PASSWORD, "new_password": "Kopi-Tubruk-Pagi-2026"})
    assert plain.status_code == 200, plain.text  # no second factor: the password is the proof
