"""``lumbung-server`` as an operator meets it: clear failures, ``--json`` verdicts, the demo's logins."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from server.auth.passwords import Passwords
from server.demo import DEMO_PASSWORD, load_demo
from server.storage.database import Database
from server.storage.migrate import upgrade
from tests.support.servers import TEST_SETTINGS, copy_template, free_port

ROOT = Path(__file__).resolve().parents[2]
CHEAP_HASHES = {"LUMBUNG_ARGON2_MEMORY_KIB": "8192", "LUMBUNG_ARGON2_TIME_COST": "1"}


def server_cli(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LUMBUNG_")}
    environ.update({"PYTHONPATH": str(ROOT), **CHEAP_HASHES, **env})
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("spoil", ["data_dir_is_a_file", "database_is_a_folder", "database_is_corrupt"])
def test_serve_with_an_unopenable_database_exits_non_zero_with_a_clear_message(tmp_path: Path, spoil: str) -> None:
    data = tmp_path / "data"
    if spoil == "data_dir_is_a_file":
        data.write_text("not a folder")
    elif spoil == "database_is_a_folder":
        (data / "lumbung.sqlite3").mkdir(parents=True)
    else:
        data.mkdir()
        (data / "lumbung.sqlite3").write_bytes(os.urandom(8192))
    done = server_cli("--data-dir", str(data), "serve", "--port", str(free_port()), timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "basis data tidak dapat dibuka" in done.stderr and "Traceback" not in done.stderr
    assert str(data.name) in done.stderr


def test_a_short_secret_key_is_refused_at_start_up(tmp_path: Path) -> None:
    done = server_cli(
        "--data-dir", str(tmp_path / "data"), "serve", "--port", str(free_port()), LUMBUNG_SECRET_KEY="x" * 31
    )
    assert done.returncode == 2 and "LUMBUNG_SECRET_KEY" in done.stderr and "32" in done.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was created


def test_a_secret_key_of_32_bytes_is_accepted() -> None:
    from server.settings import Settings

    assert Settings(secret_key="k" * 32).signing_key() == "k" * 32
    with pytest.raises(ValueError, match="at least 32"):
        Settings(secret_key="é" * 15)  # 30 bytes: bytes count, not characters


def test_verify_ledger_json_is_a_parseable_verdict(demo_template: Path, tmp_path: Path) -> None:
    data = copy_template(demo_template, tmp_path / "data")
    done = server_cli("--data-dir", str(data), "verify-ledger", "--json")
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["ok"] is True and verdict["entries"] > 0 and verdict["first_bad_seq"] is None
    assert verdict["mismatched_accounts"] == []


def test_verify_ledger_json_reports_a_mismatch_and_exits_one(demo_template: Path, tmp_path: Path) -> None:
    data = copy_template(demo_template, tmp_path / "data")
    with sqlite3.connect(data / "lumbung.sqlite3") as conn:
        conn.execute("UPDATE savings_accounts SET balance = balance + 1 WHERE member_id = 1 AND savings_type = 'pokok'")
    done = server_cli("--data-dir", str(data), "verify-ledger", "--json")
    assert done.returncode == 1
    verdict = json.loads(done.stdout)
    assert verdict["ok"] is False and verdict["mismatched_accounts"]


def test_demo_json_loads_once_and_demo_logins_prints_them_again(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    assert server_cli("--data-dir", data, "demo", "--logins").returncode == 1  # nothing loaded yet
    first = server_cli("--data-dir", data, "demo", "--json")
    assert first.returncode == 0, first.stderr
    loaded = json.loads(first.stdout)
    assert loaded["loaded"] is True and loaded["password"] == DEMO_PASSWORD
    by_name = {login["username"]: login for login in loaded["logins"]}
    assert by_name["petugas3"]["role"] == "petugas" and by_name["petugas3"]["location_ids"] == [2]
    assert by_name["anggota01"]["member_id"] == 1 and by_name["pengurus1"]["role"] == "pengurus"

    again = json.loads(server_cli("--data-dir", data, "demo", "--json").stdout)
    assert again["loaded"] is False and again["logins"] == loaded["logins"]
    logins = server_cli("--data-dir", data, "demo", "--logins")
    assert logins.returncode == 0 and "petugas1" in logins.stdout and DEMO_PASSWORD in logins.stdout
    assert json.loads(server_cli("--data-dir", data, "demo", "--logins", "--json").stdout)["logins"] == loaded["logins"]


class CountingPasswords(Passwords):
    """The real hasher, counting its calls (how many argon2 hashes a start-up costs)."""

    calls = 0

    def hash(self, password: str) -> str:
        type(self).calls += 1
        return super().hash(password)


def test_loading_the_demo_again_hashes_nothing_and_keeps_the_stored_hashes(tmp_path: Path) -> None:
    path = tmp_path / "lumbung.sqlite3"
    upgrade(path)
    db = Database(path)
    try:
        passwords = CountingPasswords(TEST_SETTINGS["argon2_memory_kib"], TEST_SETTINGS["argon2_time_cost"])
        assert load_demo(db, passwords) is True
        first_calls = CountingPasswords.calls
        hashes = db.read_sync(lambda c: dict(c.execute("SELECT username, password_hash FROM users").fetchall()))
        assert first_calls >= 25
        assert load_demo(db, passwords) is False
        assert CountingPasswords.calls == first_calls  # the second start hashed nothing
        assert db.read_sync(lambda c: dict(c.execute("SELECT username, password_hash FROM users").fetchall())) == hashes
    finally:
        db.close()


def test_server_cli_commands_are_one_table_each_with_help() -> None:
    from server.cli import COMMANDS, build_parser

    assert set(COMMANDS) >= {"migrate", "demo", "serve", "verify-ledger", "backup", "restore", "compact"}
    help_text = build_parser().format_help()
    assert all(name in help_text for name in COMMANDS)


def test_readme_documents_every_command_the_protocol_header_and_the_officer_folder() -> None:
    from client_sync.cli import DIR_VARIABLE
    from client_sync.cli import build_parser as officer_parser
    from server.cli import COMMANDS

    readme = (ROOT / "README.md").read_text()
    assert all(f"lumbung-server {name}" in readme for name in COMMANDS)
    officer_sub = next(a for a in officer_parser()._actions if a.dest == "command")
    assert all(
        f"lumbung-officer {name}" in readme or f"lumbung-officer --server URL {name}" in readme or name == "login"
        for name in officer_sub.choices
    ), "an officer command is undocumented"
    assert "X-Lumbung-Protocol: 1" in readme and "demo --logins" in readme and DIR_VARIABLE in readme
    assert "Ctrl+C" in readme and "lumbung.sqlite3" in readme


def test_the_readme_curl_login_works_against_a_served_demo(live_server) -> None:
    import httpx

    body = {"username": "anggota01", "password": DEMO_PASSWORD, "client_id": "curl-percobaan-1"}
    refused = httpx.post(f"{live_server.url}/api/auth/login", json=body, timeout=10)
    assert refused.status_code == 426 and refused.json()["code"] == "protocol_version_unsupported"
    answer = httpx.post(f"{live_server.url}/api/auth/login", json=body, headers={"X-Lumbung-Protocol": "1"}, timeout=10)
    assert answer.status_code == 200
    token = answer.json()["access_token"]
    dashboard = httpx.get(
        f"{live_server.url}/api/dashboard",
        timeout=10,
        headers={"X-Lumbung-Protocol": "1", "Authorization": f"Bearer {token}"},
    )
    assert dashboard.status_code == 200 and dashboard.json()["member"]["number"] == "A0001"


def test_ctrl_c_stops_the_server_cleanly_with_exit_zero_and_no_traceback(demo_template: Path, tmp_path: Path) -> None:
    """The README says Ctrl+C stops the server: it must finish cleanly, not end in a KeyboardInterrupt trace."""
    import signal
    import time

    import httpx

    data = copy_template(demo_template, tmp_path / "data")
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LUMBUNG_")}
    environ.update(
        {"PYTHONPATH": str(ROOT), **CHEAP_HASHES, "LUMBUNG_ALLOW_DEMO_ACCOUNTS": "1", "LUMBUNG_BACKUP_ENABLED": "false"}
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data), "serve", "--port", str(port)],
        env=environ,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "the server did not start"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-2000:]


def test_a_generated_secret_key_is_owner_only_and_kept(tmp_path: Path) -> None:
    from server.settings import Settings

    settings = Settings(data_dir=str(tmp_path / "data"))
    first = settings.signing_key()
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and Settings(data_dir=str(tmp_path / "data")).signing_key() == first
    assert not list((tmp_path / "data").glob("*.tmp"))
