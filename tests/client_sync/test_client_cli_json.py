"""The officer CLI for scripts: ``--json`` on anggota, tertunda, kas, status; its own folder variable."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cs_support import closed_url, seed_profile

from client_sync import SyncClient
from client_sync.cli import DB_NAME, DIR_VARIABLE, default_data_dir, main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with SyncClient(tmp_path / DB_NAME, closed_url()) as client:
        seed_profile(client)
    return tmp_path


def run_json(data_dir: Path, *args: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--data-dir", str(data_dir), *args, "--json"], out=out, err=err)
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


def test_tertunda_and_kas_as_json_name_each_queued_deposit_and_the_cash_total(data_dir: Path) -> None:
    assert main(["--data-dir", str(data_dir), "setor", "A0001", "150.000"], out=io.StringIO()) == 0
    assert main(["--data-dir", str(data_dir), "setor", "2", "20000", "--jenis", "wajib"], out=io.StringIO()) == 0

    pending = run_json(data_dir, "tertunda")
    assert [i["id"] for i in pending["pending"]] == [1, 2]
    first = pending["pending"][0]
    assert first["state"] == "pending" and first["name"] == "deposit.create"
    assert first["op"]["amount"] == 150_000 and first["op"]["member_id"] == 1
    assert "Rp150.000" in first["description"] and first["state_label"] == "belum terkirim"
    assert pending["rejected"] == 0

    cash = run_json(data_dir, "kas")
    assert cash["unsynced_count"] == 2 and cash["unsynced_total"] == 170_000
    assert cash["total"] >= cash["unsynced_total"] and cash["count"] >= 2


def test_anggota_as_json_lists_matches_with_balances_and_loans(data_dir: Path) -> None:
    found = run_json(data_dir, "anggota", "budi")
    assert found["query"] == "budi"
    [member] = found["members"]
    assert member["number"] == "A0001" and member["name"] == "Budi Santoso" and member["id"] == 1
    assert {b["savings_type"] for b in member["balances"]} >= {"pokok", "wajib", "sukarela"}
    assert all(isinstance(b["balance"], int) for b in member["balances"])
    assert isinstance(member["loans"], list)
    assert run_json(data_dir, "anggota", "tidak-ada-nama-ini") == {"query": "tidak-ada-nama-ini", "members": []}


def test_status_as_json_reports_user_queue_and_device(data_dir: Path) -> None:
    main(["--data-dir", str(data_dir), "setor", "A0001", "150.000"], out=io.StringIO())
    status = run_json(data_dir, "status")
    assert status["user"]["username"] == "petugas1" and status["user"]["role"] == "petugas"
    assert status["pending"] == 1 and status["unsent"] == 1 and status["rejected"] == 0
    assert status["last_sync_at"] is None or isinstance(status["last_sync_at"], str)
    assert status["needs_update"] is False and status["rejected_items"] == []
    assert "device_name" in status and "server_url" in status


def test_json_output_is_the_whole_stdout_even_with_nothing_pending(data_dir: Path) -> None:
    out = io.StringIO()
    assert main(["--data-dir", str(data_dir), "tertunda", "--json"], out=out, err=io.StringIO()) == 0
    assert json.loads(out.getvalue()) == {"pending": [], "rejected": 0}


def test_officer_folder_comes_from_its_own_variable_not_the_servers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("LUMBUNG_DATA_DIR", str(tmp_path / "server-data"))
    monkeypatch.delenv(DIR_VARIABLE, raising=False)
    assert default_data_dir() == Path.home() / ".lumbung"
    monkeypatch.setenv(DIR_VARIABLE, str(tmp_path / "officer"))
    assert default_data_dir() == tmp_path / "officer"


def test_officer_cli_process_writes_its_database_under_lumbung_officer_dir(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        DIR_VARIABLE: str(tmp_path / "officer"),
        "LUMBUNG_DATA_DIR": str(tmp_path / "server-data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "client_sync.cli", "status", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["user"] is None
    assert (tmp_path / "officer" / DB_NAME).exists() and not (tmp_path / "server-data").exists()
