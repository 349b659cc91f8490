"""Issue 7.2: real credentials. Admins create users and reset passwords (API and command line), a
reset password must be changed at the next login, weak passwords are refused, demo accounts are
marked, and ``serve`` refuses to start while demo accounts keep the shared demo password."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from server.protocol import PROTOCOL_HEADER
from server.storage.migrate import upgrade
from tests.support.api import DEMO_PASSWORD, login
from tests.support.servers import ROOT, ThreadServer, copy_template, free_port

HEADERS = {PROTOCOL_HEADER: "1"}
GOOD = "Sawah-Hijau-2026"


def _login(url: str, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/auth/login",
        headers=HEADERS,
        timeout=30,
        json={"username": username, "password": password, "client_id": uuid.uuid4().hex},
    )


def _change(url: str, username: str, current: str, new: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/auth/password",
        headers=HEADERS,
        timeout=30,
        json={"username": username, "current_password": current, "new_password": new},
    )


def _error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.text[:300])
    body = response.json()
    assert body["code"] == code and body["message"].strip(), body
    return body


def _cli(
    data_dir: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    environment = {**os.environ, "LUMBUNG_ARGON2_MEMORY_KIB": "8192", "LUMBUNG_ARGON2_TIME_COST": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_user_the_admin_creates_must_change_the_password_before_logging_in(live_server) -> None:
    admin = login(live_server.url, "admin")
    created = admin.http.post(
        "/api/admin/users",
        json={
            "username": "kasir.baru",
            "name": "Kasir Baru",
            "role": "petugas",
            "password": "Mulai-Kerja-01",
            "location_ids": [2],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["location_ids"] == [2] and created.json()["role"] == "petugas"
    body = _error(_login(live_server.url, "kasir.baru", "Mulai-Kerja-01"), 403, "password_change_required")
    assert body["detail"]["change_password"] == "/api/auth/password"
    _error(_change(live_server.url, "kasir.baru", "salah-sekali", GOOD), 401, "invalid_credentials")
    _error(_change(live_server.url, "kasir.baru", "Mulai-Kerja-01", "Mulai-Kerja-01"), 422, "password_unchanged")
    changed = _change(live_server.url, "kasir.baru", "Mulai-Kerja-01", GOOD)
    assert changed.status_code == 200 and changed.json()["sessions_ended"] is True, changed.text
    _error(_login(live_server.url, "kasir.baru", "Mulai-Kerja-01"), 401, "invalid_credentials")
    assert _login(live_server.url, "kasir.baru", GOOD).status_code == 200
    with sqlite3.connect(live_server.db_path) as conn:
        assert conn.execute("SELECT demo FROM users WHERE username = 'kasir.baru'").fetchone() == (0,)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("pendek1", "password_too_short"),
        ("password1234", "password_too_common"),
        ("Koperasi123", "password_too_common"),  # our Indonesian list, case-insensitive
        ("1234567890", "password_too_common"),
        ("xx-anggota.baru-xx", "password_too_common"),  # contains the username
        ("a" * 201, "password_too_long"),
        (" " * 12, "password_too_short"),  # 500-hunt finding: blanks passed the length check
        ("  pendek1   ", "password_too_short"),  # the surrounding spaces do not count
        ("\u200b" * 12, "password_invalid_characters"),  # zero-width: invisible, cannot be typed reliably
        ("Sawah-Hijau\x00-31", "password_invalid_characters"),
        ("Sawah-Hijau\t-Subuh", "password_invalid_characters"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(live_server, password: str, code: str) -> None:
    admin = login(live_server.url, "admin")
    response = admin.http.post(
        "/api/admin/users",
        json={
            "username": "anggota.baru",
            "name": "Anggota Baru",
            "role": "anggota",
            "member_id": 20,
            "password": password,
        },
    )
    _error(response, 422, code)
    with sqlite3.connect(live_server.db_path) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE username = 'anggota.baru'").fetchone() == (0,)


@pytest.mark.parametrize("new_password", [" " * 10, "\x00" * 12, "\u200b" * 10])
def test_a_blank_or_invisible_new_password_is_refused_and_the_old_one_stays(fresh_server, new_password: str) -> None:
    """500-hunt finding: POST /api/auth/password set ten spaces, twelve NULs or ten zero-width spaces."""
    headers = {"X-Lumbung-Protocol": "1"}
    body = {"username": "anggota15", "current_password": "rahasia123", "new_password": new_password}
    response = httpx.post(fresh_server.url + "/api/auth/password", headers=headers, json=body, timeout=30)
    assert response.status_code == 422 and response.json()["code"] in (
        "password_too_short",
        "password_invalid_characters",
    )
    assert login(fresh_server.url, "anggota15").http.get("/api/auth/me").status_code == 200  # unchanged


def test_new_users_are_checked_and_only_an_admin_creates_them(live_server) -> None:
    admin = login(live_server.url, "admin")
    spec = {"username": "dobel", "name": "Dobel", "role": "anggota", "member_id": 19, "password": GOOD}
    _error(login(live_server.url, "pengurus1").http.post("/api/admin/users", json=spec), 403, "role_not_allowed")
    assert admin.http.post("/api/admin/users", json=spec).status_code == 201
    _error(admin.http.post("/api/admin/users", json=spec), 409, "username_taken")
    _error(admin.http.post("/api/admin/users", json={**spec, "username": "x"}), 422, "username_invalid")
    _error(admin.http.post("/api/admin/users", json={**spec, "username": "lain", "role": "raja"}), 422, "role_invalid")
    _error(
        admin.http.post("/api/admin/users", json={**spec, "username": "lain", "member_id": 999}),
        404,
        "member_not_found",
    )
    _error(
        admin.http.post("/api/admin/users", json={**spec, "username": "lain", "member_id": None}),
        422,
        "member_id_invalid",
    )


def test_a_reset_ends_the_sessions_and_the_user_must_change_the_new_password(fresh_server) -> None:
    member = login(fresh_server.url, "anggota08")
    assert member.get("/api/auth/me").status_code == 200
    admin = login(fresh_server.url, "admin")
    reset = admin.http.post(
        f"/api/admin/users/{member.user['id']}/reset-password", json={"password": "Lupa-Sandi-2026"}
    )
    assert reset.status_code == 200 and reset.json()["password_change_required"] is True, reset.text
    _error(member.get("/api/auth/me"), 401, "session_revoked")
    _error(_login(fresh_server.url, "anggota08", DEMO_PASSWORD), 401, "invalid_credentials")
    _error(_login(fresh_server.url, "anggota08", "Lupa-Sandi-2026"), 403, "password_change_required")
    assert _change(fresh_server.url, "anggota08", "Lupa-Sandi-2026", GOOD).status_code == 200
    assert _login(fresh_server.url, "anggota08", GOOD).status_code == 200
    _error(admin.http.post("/api/admin/users/9999/reset-password", json={"password": GOOD}), 404, "user_not_found")


def test_demo_accounts_are_marked_and_only_they(live_server) -> None:
    with sqlite3.connect(live_server.db_path) as conn:
        rows = dict(conn.execute("SELECT username, demo FROM users WHERE id < 1000"))
    assert rows["admin"] == 1 and rows["anggota01"] == 1 and all(rows.values())


def test_the_first_admin_from_a_file_then_users_from_the_command_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    spec = tmp_path / "admin.json"
    spec.write_text(json.dumps({"username": "ketua", "name": "Ketua Koperasi", "password": "Padi-Menguning-77"}))
    first = _cli(data, "create-admin", "--from-file", str(spec))
    assert first.returncode == 0, first.stderr
    again = _cli(data, "create-admin", "--from-file", str(spec))
    assert again.returncode == 1 and "Sudah ada admin" in again.stderr
    weak = tmp_path / "weak.json"
    weak.write_text(json.dumps({"username": "admin2", "name": "A", "password": "rahasia123"}))
    assert "password_too_common" in _cli(data, "create-admin", "--from-file", str(weak)).stderr  # the demo password
    created = _cli(
        data,
        "create-user",
        "pengurus.a",
        "--name",
        "Bu Ani",
        "--role",
        "pengurus",
        "--password-file",
        "-",
        stdin="Bulan-Purnama-12\n",
    )
    assert created.returncode == 0, created.stderr
    server = ThreadServer(data).start()
    try:
        assert _login(server.url, "ketua", "Padi-Menguning-77").status_code == 200  # no change required
        _error(_login(server.url, "pengurus.a", "Bulan-Purnama-12"), 403, "password_change_required")
        changed = _cli(
            data,
            "change-password",
            "pengurus.a",
            "--password-file",
            "-",
            stdin="Bulan-Purnama-12\nMatahari-Terbit-34\n",
        )
        assert changed.returncode == 0, changed.stderr
        assert _login(server.url, "pengurus.a", "Matahari-Terbit-34").status_code == 200
        wrong = _cli(data, "change-password", "pengurus.a", "--password-file", "-", stdin="salah\nMatahari-Baru-56\n")
        assert wrong.returncode == 1
        reset = _cli(data, "reset-password", "ketua", "--password-file", "-", stdin="Angin-Selatan-90\n")
        assert reset.returncode == 0, reset.stderr
        _error(_login(server.url, "ketua", "Angin-Selatan-90"), 403, "password_change_required")
        assert _cli(data, "reset-password", "tidak.ada", "--password-file", "-", stdin=GOOD + "\n").returncode == 1
    finally:
        server.stop()


def _serve(data: Path, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "LUMBUNG_ALLOW_DEMO_ACCOUNTS"}
    env.update({"LUMBUNG_ARGON2_MEMORY_KIB": "8192", "LUMBUNG_ARGON2_TIME_COST": "1"})
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data), "serve", "--port", str(free_port()), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_refuses_to_start_while_demo_accounts_keep_the_shared_password(
    demo_template: Path, tmp_path: Path
) -> None:
    data = copy_template(demo_template, tmp_path / "data")
    refused = _serve(data)
    _, err = refused.communicate(timeout=60)
    assert refused.returncode == 2 and "akun demo" in err and "--allow-demo-accounts" in err
    allowed = _serve(data, "--allow-demo-accounts")
    try:
        time.sleep(3)
        assert allowed.poll() is None, allowed.communicate()[1]
    finally:
        allowed.terminate()
        allowed.wait(20)
    # once every demo account's password was changed (or the account deactivated), it starts
    with sqlite3.connect(data / "lumbung.sqlite3") as conn:
        conn.execute("UPDATE users SET active = 0 WHERE username != 'admin'")
    assert _cli(data, "reset-password", "admin", "--password-file", "-", stdin=GOOD + "\n").returncode == 0
    started = _serve(data)
    try:
        time.sleep(3)
        assert started.poll() is None, started.communicate()[1]
    finally:
        started.terminate()
        started.wait(20)


def test_the_migration_marks_every_existing_user_as_a_demo_account(tmp_path: Path) -> None:
    db = tmp_path / "lumbung.sqlite3"
    upgrade(db, "0003")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO users (id, username, name, password_hash, role) VALUES (1, 'lama', 'Lama', 'x', 'admin')"
        )
    upgrade(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT demo, password_changed_at FROM users").fetchall() == [(1, None)]
