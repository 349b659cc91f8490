"""DESIGN rules 12 and 7: pokes reach the clients whose scope changed (and only them); tokens refresh."""

from __future__ import annotations

import contextlib
import socket
import time
from urllib.parse import urlsplit

import httpx

from server.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from tests.protocol.protocol_helpers import assert_error, cash_deposit, pull_to_head
from tests.support.api import login


class EventStream:
    """GET /api/sync/events as a real client would, with a bounded read timeout (never hangs a test)."""

    def __init__(self, url: str, token: str, read_timeout: float) -> None:
        self.client = httpx.Client(
            base_url=url,
            headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION), "Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(5.0, read=read_timeout),
        )
        self._cm = self.client.stream("GET", "/api/sync/events")
        self.response = self._cm.__enter__()
        assert self.response.status_code == 200, self.response.read()
        assert self.response.headers["content-type"].startswith("text/event-stream")
        self.lines = self.response.iter_lines()

    def next_event(self) -> str | None:
        """The next ``event:`` name, or None if the read timed out first."""
        try:
            for line in self.lines:
                if line.startswith("event:"):
                    return line.split(":", 1)[1].strip()
        except httpx.ReadTimeout:
            return None
        return None

    def close(self) -> None:
        try:
            self._cm.__exit__(None, None, None)
        finally:
            self.client.close()


class RawEventStream:
    """The events stream over a plain socket, so a test can wait for the *next* poke with its own deadline
    several times on one open connection (an officer's device stays connected while being moved)."""

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
        self.sock.sendall(
            f"GET /api/sync/events HTTP/1.1\r\nHost: {parts.hostname}\r\nAuthorization: Bearer {token}\r\n"
            f"{PROTOCOL_HEADER}: {PROTOCOL_VERSION}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        self.buffer = b""
        self.seen = 0
        assert self._wait_for(b"event: ready", 5.0), self.buffer[:500]
        assert self.buffer.startswith(b"HTTP/1.1 200"), self.buffer[:200]

    def _wait_for(self, marker: bytes, timeout: float, count: int = 1) -> bool:
        deadline = time.monotonic() + timeout
        while self.buffer.count(marker) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return False
            if not data:
                return False
            self.buffer += data
        return True

    def poked_within(self, timeout: float) -> bool:
        """True if a poke arrived (since the last one counted) within ``timeout`` seconds."""
        if self._wait_for(b"event: poke", timeout, self.seen + 1):
            self.seen = self.buffer.count(b"event: poke")
            return True
        return False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


def test_member_gets_a_poke_when_an_officer_records_their_deposit(live_server):
    member = login(live_server.url, "anggota03")
    officer = login(live_server.url, "petugas1")
    stream = EventStream(live_server.url, member.token, read_timeout=5.0)
    try:
        assert stream.next_event() == "ready"
        _, last = pull_to_head(member)
        started = time.monotonic()
        deposit = cash_deposit(3, 21_000, 1)
        assert officer.push_ops(deposit)[0]["status"] == "applied"
        assert stream.next_event() == "poke", "no poke within 5 s"
        assert time.monotonic() - started < 5.5
    finally:
        stream.close()
    # the poke means "pull": the pull brings the new deposit
    changes, _ = pull_to_head(member, cursor=last["cursor"])
    assert any(c["entity"] == "deposit" and c["id"] == deposit.deposit_id for c in changes)


def test_member_gets_no_poke_for_another_members_change(live_server):
    member = login(live_server.url, "anggota03")
    other_site = login(live_server.url, "petugas3")
    stream = EventStream(live_server.url, member.token, read_timeout=1.2)
    try:
        assert stream.next_event() == "ready"
        assert other_site.push_ops(cash_deposit(14, 22_000, 2))[0]["status"] == "applied"
        started = time.monotonic()
        assert stream.next_event() is None, "anggota03 was poked for member 14's deposit"
        assert time.monotonic() - started < 3
    finally:
        stream.close()


def test_browser_event_source_without_custom_headers_can_listen(live_server):
    """EventSource cannot send headers: token and protocol version travel as query parameters."""
    member = login(live_server.url, "anggota03")
    with httpx.Client(base_url=live_server.url, timeout=httpx.Timeout(5.0, read=2.0)) as client:
        with client.stream(
            "GET", "/api/sync/events", params={"access_token": member.token, "protocol": str(PROTOCOL_VERSION)}
        ) as response:
            assert response.status_code == 200, response.read()[:300]
            assert any(
                line.startswith("event: ready") for line, _ in zip(response.iter_lines(), range(5), strict=False)
            )
        # the query-string token is only for the events stream, and a wrong version is still refused
        assert_error(
            client.get(
                "/api/sync/pull",
                params={"client_id": member.client_id, "access_token": member.token, "protocol": str(PROTOCOL_VERSION)},
            ),
            401,
            "token_missing",
        )
        assert_error(
            client.get("/api/sync/events", params={"access_token": member.token, "protocol": "0"}),
            426,
            "protocol_version_unsupported",
        )


def test_events_stream_requires_a_live_token(live_server):
    client = httpx.Client(base_url=live_server.url, headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)}, timeout=5)
    assert_error(client.get("/api/sync/events"), 401, "token_missing")
    assert_error(client.get("/api/sync/events", headers={"Authorization": "Bearer nope"}), 401, "token_invalid")


def test_refresh_token_gives_a_new_access_token_that_pulls(live_server):
    session = login(live_server.url, "anggota08")
    client = httpx.Client(base_url=live_server.url, headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)}, timeout=10)
    response = client.post(
        "/api/auth/refresh", json={"refresh_token": session.refresh_token, "client_id": session.client_id}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["access_token"] and body["expires_in"] > 0
    assert body["user"]["username"] == "anggota08" and body["user"]["member_id"] == 8
    pulled = client.get(
        "/api/sync/pull",
        params={"client_id": session.client_id},
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert pulled.status_code == 200 and pulled.json()["changes"]
    # a refresh token only works for the device it was issued to
    other_device = client.post(
        "/api/auth/refresh", json={"refresh_token": session.refresh_token, "client_id": "another-device-0001"}
    )
    assert_error(other_device, 401, "refresh_invalid")
    assert_error(
        client.post("/api/auth/refresh", json={"refresh_token": "made-up", "client_id": session.client_id}),
        401,
        "refresh_invalid",
    )


def test_admin_revoking_a_users_sessions_ends_their_access_and_refresh(live_server):
    victim = login(live_server.url, "anggota09")
    second_device = login(live_server.url, "anggota09")
    admin = login(live_server.url, "admin")
    assert_error(victim.http.post(f"/api/admin/users/{victim.user['id']}/revoke-sessions"), 403, "role_not_allowed")
    revoked = admin.http.post(f"/api/admin/users/{victim.user['id']}/revoke-sessions")
    assert revoked.status_code == 200 and revoked.json()["revoked"] >= 2
    for session in (victim, second_device):
        assert_error(session.get("/api/auth/me"), 401, "session_revoked")
        assert_error(
            session.http.post(
                "/api/auth/refresh", json={"refresh_token": session.refresh_token, "client_id": session.client_id}
            ),
            401,
            "refresh_invalid",
        )
    assert admin.get("/api/auth/me").status_code == 200


def test_officer_moved_to_another_location_is_poked_to_pull_and_rebuild(fresh_server):
    """Rule 12: a connected client is poked when its scope changes, so it pulls and meets the reset."""
    officer = login(fresh_server.url, "petugas1")
    _, last = pull_to_head(officer)
    admin = login(fresh_server.url, "admin")
    stream = RawEventStream(fresh_server.url, officer.token)
    try:
        moved = admin.http.post("/api/admin/officers/101/locations", json={"location_ids": [2]})
        assert moved.status_code == 200
        assert stream.poked_within(3.0), "the moved officer's open device was not poked"
    finally:
        stream.close()
    assert officer.pull(cursor=last["cursor"])["reset"]["reason"] == "scope_changed"


def test_moved_officers_open_stream_follows_the_new_location(fresh_server):
    """An events stream opened before a move must poke for the new location and not for the old one."""
    officer = login(fresh_server.url, "petugas1")
    admin = login(fresh_server.url, "admin")
    old_colleague, new_colleague = login(fresh_server.url, "petugas2"), login(fresh_server.url, "petugas3")
    stream = RawEventStream(fresh_server.url, officer.token)
    try:
        assert admin.http.post("/api/admin/officers/101/locations", json={"location_ids": [2]}).status_code == 200
        stream.poked_within(1.0)  # whatever the move itself sends
        assert old_colleague.push_ops(cash_deposit(5, 10_000, 1))[0]["status"] == "applied"
        poked_for_old = stream.poked_within(1.0)
        assert new_colleague.push_ops(cash_deposit(14, 10_000, 2))[0]["status"] == "applied"
        poked_for_new = stream.poked_within(3.0)
        assert (poked_for_old, poked_for_new) == (False, True), (
            f"after the move: poked for old location 1: {poked_for_old}, for new location 2: {poked_for_new}"
        )
    finally:
        stream.close()
