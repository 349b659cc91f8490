"""Slow clients on loopback: silence, a header byte every few seconds, an idle keep-alive connection.

Each is disconnected within its bound (``header_read_timeout_seconds``, ``keep_alive_timeout_seconds``),
while a real long response (the event stream) is not cut. The whole file runs in well under 30 s.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn

from server.http.app import create_app
from server.http.serving import uvicorn_config
from server.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from server.settings import Settings
from tests.support.api import login
from tests.support.servers import TEST_SETTINGS, copy_template

HEADER_BOUND, IDLE_BOUND = 2.0, 1.0
SLACK = 1.5  # a loaded CI machine


class Served:
    def __init__(self, data_dir: Path) -> None:
        self.settings = Settings(
            data_dir=str(data_dir),
            header_read_timeout_seconds=HEADER_BOUND,
            keep_alive_timeout_seconds=IDLE_BOUND,
            **TEST_SETTINGS,  # type: ignore[arg-type]
        )
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn_config(create_app(self.settings), self.settings, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="module")
def served(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with Served(copy_template(demo_template, tmp_path_factory.mktemp("slow"))) as s:
        yield s


def seconds_until_closed(port: int, feed: Callable[[socket.socket, float], None], limit: float) -> float | None:
    """Run ``feed(sock, elapsed)`` in a loop; the time at which the server closed the connection, or None."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.settimeout(0.2)
    started = time.monotonic()
    try:
        while (elapsed := time.monotonic() - started) < limit:
            try:
                feed(sock, elapsed)
            except OSError:
                return time.monotonic() - started  # the server already closed it: the send failed
            try:
                if sock.recv(65536) == b"":
                    return time.monotonic() - started
            except TimeoutError:
                pass
            except ConnectionResetError:
                return time.monotonic() - started
        return None
    finally:
        sock.close()


def test_a_client_that_sends_nothing_is_disconnected_within_the_header_bound(served: Served) -> None:
    closed = seconds_until_closed(served.port, lambda sock, t: None, limit=HEADER_BOUND + SLACK + 2)
    assert closed is not None and HEADER_BOUND - 0.2 <= closed <= HEADER_BOUND + SLACK


def test_a_client_dripping_one_header_byte_at_a_time_is_disconnected_within_the_header_bound(served: Served) -> None:
    request = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100
    sent = 0

    def drip(sock: socket.socket, elapsed: float) -> None:
        nonlocal sent
        if elapsed >= sent * 0.5:  # a byte every half second: each resets any per-read timer
            sock.send(request[sent : sent + 1])
            sent += 1

    closed = seconds_until_closed(served.port, drip, limit=HEADER_BOUND + SLACK + 2)
    assert closed is not None and closed <= HEADER_BOUND + SLACK and sent >= 3


def test_an_idle_keep_alive_connection_is_closed_after_the_idle_bound(served: Served) -> None:
    sent = False

    def one_request(sock: socket.socket, elapsed: float) -> None:
        nonlocal sent
        if not sent:
            sock.send(f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n{PROTOCOL_HEADER}: 1\r\n\r\n".encode())
            sent = True

    closed = seconds_until_closed(served.port, one_request, limit=IDLE_BOUND + SLACK + 2)
    assert closed is not None and closed <= IDLE_BOUND + SLACK


def test_a_prompt_request_is_answered_and_the_event_stream_outlives_the_header_bound(served: Served) -> None:
    member = login(served.url, "anggota01")
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=5)
    try:
        sock.sendall(
            f"GET /api/sync/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {member.token}\r\n"
            f"{PROTOCOL_HEADER}: {PROTOCOL_VERSION}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        received = b""
        started = time.monotonic()
        sock.settimeout(0.5)
        while time.monotonic() - started < HEADER_BOUND + 1.5:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            assert chunk != b"", "the event stream was cut"
            received += chunk
        assert b"200 OK" in received and b"event: ready" in received
    finally:
        sock.close()
