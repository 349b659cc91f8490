"""Issue 10.8: verified daily backups, kept N days, reported in the admin health view."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from server.cli import main
from server.domain.models import COOP_TZ
from server.domain.timezone import zone
from server.operations.backups import backup_name, backup_time_of, next_run, next_run_text
from tests.ops.conftest import ROLES, client_for


def test_next_run_is_the_next_wall_clock_time_in_wib() -> None:
    utc = dt.UTC
    # 18:30 UTC = 01:30 WIB: 02:00 WIB comes half an hour later, the same WIB day
    assert next_run(dt.datetime(2026, 3, 1, 18, 30, tzinfo=utc), "02:00") == dt.datetime(
        2026, 3, 2, 2, 0, tzinfo=COOP_TZ
    )
    # 19:00 UTC = 02:00 WIB exactly: the next one is tomorrow
    assert next_run(dt.datetime(2026, 3, 1, 19, 0, tzinfo=utc), "02:00") == dt.datetime(
        2026, 3, 3, 2, 0, tzinfo=COOP_TZ
    )
    assert next_run(dt.datetime(2026, 12, 31, 23, 0, tzinfo=utc), "23:59").astimezone(utc) == dt.datetime(
        2027, 1, 1, 16, 59, tzinfo=utc
    )


def test_next_run_follows_the_cooperatives_zone() -> None:
    jayapura = zone("Asia/Jayapura")
    # 16:00 UTC = 01:00 WIT: 02:00 WIT is an hour later, 17:00 UTC of the UTC day before the WIT day
    now = dt.datetime(2026, 3, 1, 16, 0, tzinfo=dt.UTC)
    at = next_run(now, "02:00", jayapura)
    assert at.astimezone(dt.UTC) == dt.datetime(2026, 3, 1, 17, 0, tzinfo=dt.UTC)
    assert next_run_text(at, "Asia/Jayapura") == "2026-03-02 02:00 WIT"
    # the same instant in WIB (23:00) is past 02:00: WIB's run is 19:00 UTC, two hours later
    assert next_run(now, "02:00", zone("Asia/Jakarta")).astimezone(dt.UTC) == dt.datetime(
        2026, 3, 1, 19, 0, tzinfo=dt.UTC
    )
    assert next_run_text(next_run(now, "02:00", zone("Asia/Makassar")), "Asia/Makassar") == "2026-03-02 02:00 WITA"


def test_the_schedule_health_view_and_command_use_the_zone_setting(demo_template: Path, tmp_path: Path, capsys) -> None:
    import time

    from tests.support.servers import ThreadServer, copy_template

    data = copy_template(demo_template, tmp_path / "data")
    assert main(["--data-dir", str(data), "time-zone", "WIT"]) == 0  # a cooperative in Jayapura
    server = ThreadServer(data, backup_enabled=True, backup_time="02:00").start()
    try:
        with client_for(server.url, "admin") as http:
            deadline = time.monotonic() + 10
            while (health := http.get("/api/admin/health").json())["next_backup_at"] is None:
                assert time.monotonic() < deadline, health
                time.sleep(0.05)
    finally:
        server.stop()
    at = dt.datetime.fromisoformat(health["next_backup_at"])
    assert health["next_backup_zone"] == "WIT" and health["next_backup_at"].endswith("T02:00:00+09:00"), health
    assert at.astimezone(dt.UTC).hour == 17 and dt.timedelta(0) < at - dt.datetime.now(dt.UTC) <= dt.timedelta(days=1)
    assert main(["--data-dir", str(data), "backups"]) == 0
    assert f"Cadangan harian berikutnya: {next_run_text(at, 'Asia/Jayapura')}" in capsys.readouterr().out


def test_backup_names_carry_their_time() -> None:
    moment = dt.datetime(2026, 5, 4, 3, 2, 1, tzinfo=dt.UTC)
    assert backup_time_of(backup_name(moment)) == moment
    assert backup_time_of("notes.txt") is None and backup_time_of("lumbung-2026.sqlite3") is None


@pytest.mark.parametrize("role", sorted(ROLES))
def test_backups_and_health_are_for_the_admin_only(ops_server, role: str) -> None:
    server = ops_server()
    with client_for(server.url, ROLES[role]) as http:
        answers = [http.get("/api/admin/health"), http.get("/api/admin/backups"), http.post("/api/admin/backups")]
    if role == "admin":
        assert [a.status_code for a in answers] == [200, 200, 201]
    else:
        assert {(a.status_code, a.json()["code"]) for a in answers} == {(403, "role_not_allowed")}
        assert not server.settings.backups_dir.exists() or not list(server.settings.backups_dir.glob("lumbung-*"))


def test_an_on_demand_backup_is_verified_and_shows_in_the_health_view(ops_server) -> None:
    server = ops_server()
    with client_for(server.url, "admin") as http:
        before = http.get("/api/admin/health").json()
        assert before["last_good_backup"] is None and before["backup_overdue"] and before["status"] == "attention"
        taken = http.post("/api/admin/backups").json()
        assert taken["ok"] is True and taken["trigger"] == "manual" and taken["ledger_entries"] > 0, taken
        file = server.settings.backups_dir / taken["file"]
        assert file.is_file() and file.stat().st_mode & 0o077 == 0
        with sqlite3.connect(f"file:{file}?mode=ro", uri=True) as conn:
            assert conn.execute("SELECT COUNT(*) FROM ledger").fetchone()[0] == taken["ledger_entries"]
        health = http.get("/api/admin/health").json()
        assert health["status"] == "ok" and not health["backup_overdue"]
        assert health["last_good_backup"]["file"] == taken["file"] and health["last_good_backup"]["age_seconds"] < 60
        assert [b["file"] for b in http.get("/api/admin/backups").json()] == [taken["file"]]


def test_a_backup_older_than_the_keep_days_is_removed_after_a_good_one(ops_server) -> None:
    server = ops_server(backup_keep_days=3)
    folder = server.settings.backups_dir
    folder.mkdir(parents=True)
    now = dt.datetime.now(dt.UTC)
    old = folder / backup_name(now - dt.timedelta(days=4))
    recent = folder / backup_name(now - dt.timedelta(days=2))
    other = folder / "catatan.txt"
    for path in (old, recent, other):
        path.write_bytes(b"x")
    with client_for(server.url, "admin") as http:
        taken = http.post("/api/admin/backups").json()
    assert taken["ok"]
    assert not old.exists() and recent.exists() and other.exists() and (folder / taken["file"]).exists()


def test_a_backup_whose_ledger_fails_is_reported_and_prunes_nothing(ops_server) -> None:
    server = ops_server(backup_keep_days=1)
    folder = server.settings.backups_dir
    folder.mkdir(parents=True)
    old = folder / backup_name(dt.datetime.now(dt.UTC) - dt.timedelta(days=5))
    old.write_bytes(b"the last copy we have")
    with sqlite3.connect(server.db_path) as conn:  # a balance edited behind the ledger
        conn.execute("UPDATE savings_accounts SET balance = balance + 1 WHERE member_id = 1 AND savings_type = 'pokok'")
    with client_for(server.url, "admin") as http:
        taken = http.post("/api/admin/backups").json()
        health = http.get("/api/admin/health").json()
    assert taken["ok"] is False and "ledger" in taken["detail"]
    assert old.exists()  # never prune after a failed backup
    assert health["latest_backup_failed"] and health["status"] == "attention" and health["last_good_backup"] is None


def test_the_command_line_takes_and_lists_backups(demo_template: Path, tmp_path: Path, capsys) -> None:
    from tests.support.servers import copy_template

    data = copy_template(demo_template, tmp_path / "data")
    assert main(["--data-dir", str(data), "backup-now", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["ok"] and (data / "backups" / row["file"]).is_file()
    assert main(["--data-dir", str(data), "backups", "--json"]) == 0
    assert [r["file"] for r in json.loads(capsys.readouterr().out)] == [row["file"]]


def test_the_daily_schedule_takes_a_backup_when_its_time_comes(ops_server, monkeypatch) -> None:
    import time

    from server.operations import backups as module

    calls: list[tuple[dt.datetime, str]] = []

    def soon_then_tomorrow(now: dt.datetime, at: str, tz: dt.tzinfo = COOP_TZ) -> dt.datetime:
        calls.append((now, str(tz)))
        return now + (dt.timedelta(seconds=3) if len(calls) == 1 else dt.timedelta(days=1))

    monkeypatch.setattr(module, "next_run", soon_then_tomorrow)
    server = ops_server(backup_enabled=True)
    with client_for(server.url, "admin") as http:
        # moved to Jayapura while today's run waits: tomorrow's run is computed in WIT
        assert http.put("/api/admin/settings", json={"time_zone": "WIT"}).status_code == 200
        deadline = time.monotonic() + 20
        while not (rows := http.get("/api/admin/backups").json()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [(r["trigger"], r["ok"]) for r in rows] == [("daily", True)]
        health = http.get("/api/admin/health").json()
        assert health["next_backup_at"] is not None and health["last_good_backup"]["file"] == rows[0]["file"]
    assert [tz for _, tz in calls] == ["Asia/Jakarta", "Asia/Jayapura"]  # after the backup: the next day, new zone
    assert health["next_backup_zone"] == "WIT"


def test_a_backup_that_cannot_be_written_is_a_failed_backup_not_an_error(ops_server, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    server = ops_server(backup_dir=str(blocker / "backups"))
    with client_for(server.url, "admin") as http:
        response = http.post("/api/admin/backups")
        health = http.get("/api/admin/health").json()
    assert response.status_code == 201, response.text
    assert response.json()["ok"] is False and "copy failed" in response.json()["detail"]
    assert health["latest_backup_failed"] and health["status"] == "attention"
