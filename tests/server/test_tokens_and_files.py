"""Tokens and keys: ``?access_token=`` only on the event stream, never in the access log; private files."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx

from server.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.protocol.protocol_helpers import assert_error
from tests.support.api import login
from tests.support.servers import ProcessServer, copy_template


def test_access_token_in_the_query_is_accepted_only_on_the_exact_event_stream_path(live_server) -> None:
    member = login(live_server.url, "anggota02")
    with httpx.Client(base_url=live_server.url, timeout=5) as client:
        params = {"access_token": member.token, "protocol": str(PROTOCOL_VERSION)}
        with client.stream("GET", "/api/sync/events", params=params) as stream:
            assert stream.status_code == 200  # EventSource cannot send headers: the one exception
        # /api/loans/{id} and /api/attachments/{sha256} are routes whose path can end in "/events"
        for path in ("/api/sync/pull", "/api/dashboard", "/api/loans/events", "/api/attachments/events"):
            assert_error(client.get(path, params=params), 401, "token_missing")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_served_database_wal_and_attachments_are_owner_only_and_the_log_holds_no_token(
    demo_template: Path, tmp_path: Path
) -> None:
    data = copy_template(demo_template, tmp_path / "data")
    for each in [data, data / "lumbung.sqlite3"]:
        each.chmod(0o755 if each.is_dir() else 0o644)  # as a careless copy would leave them
    server = ProcessServer(data).start()
    try:
        member = login(server.url, "anggota03")
        secret = member.token
        with httpx.Client(base_url=server.url, timeout=5) as client:
            params = {"access_token": secret, "protocol": str(PROTOCOL_VERSION)}
            with client.stream("GET", "/api/sync/events", params=params) as stream:
                assert stream.status_code == 200
            client.get("/api/health", params={"q": "rahasia-di-query"}, headers={PROTOCOL_HEADER: "1"})
        member.pull()  # something is written: the WAL exists
        assert _mode(data) == 0o700 and _mode(data / "attachments") == 0o700
        for name in ("lumbung.sqlite3", "lumbung.sqlite3-wal", "lumbung.sqlite3-shm"):
            assert (data / name).exists() and _mode(data / name) == 0o600, name
    finally:
        server.stop()
    log = server.log.read_text()
    assert "/api/sync/events" in log and "/api/health" in log  # the access log is on
    assert secret not in log and "access_token" not in log and "rahasia-di-query" not in log


def test_a_new_data_folder_is_created_owner_only(tmp_path: Path) -> None:
    from server.settings import Settings

    settings = Settings(data_dir=str(tmp_path / "fresh"))
    settings.prepare_data_dir()
    assert _mode(tmp_path / "fresh") == 0o700 and _mode(settings.attachments_dir) == 0o700
    from server.storage.database import Database

    db = Database(settings.database_path)
    db.write_sync(lambda c: c.execute("CREATE TABLE t (x)"))
    db.close()
    assert _mode(settings.database_path) == 0o600
