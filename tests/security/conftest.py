"""Security tests: real servers with tight limits; no answer may be a 5xx but a deliberate 503 ``busy``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ThreadServer, copy_template


@pytest.fixture(autouse=True)
def no_server_errors(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str, int]]]:
    """Every answer a test receives is recorded; a 5xx other than 503 ``busy`` fails the test."""
    seen: list[tuple[str, str, int]] = []
    bad: list[tuple[str, str, int, str]] = []
    sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send

    def note(request: httpx.Request, response: httpx.Response) -> None:
        seen.append((request.method, str(request.url)[:120], response.status_code))
        if response.status_code >= 500:
            code = ""
            with contextlib.suppress(Exception):  # any unreadable 5xx is itself the failure
                code = response.json().get("code", "")
            if not (response.status_code == 503 and code == "busy"):
                bad.append((request.method, str(request.url)[:120], response.status_code, response.text[:200]))

    def send(self: httpx.Client, request: httpx.Request, *args: object, **kwargs: object) -> httpx.Response:
        response = sync_send(self, request, *args, **kwargs)  # type: ignore[arg-type]
        note(request, response)
        return response

    async def asend(self: httpx.AsyncClient, request: httpx.Request, *args: object, **kwargs: object) -> httpx.Response:
        response = await async_send(self, request, *args, **kwargs)  # type: ignore[arg-type]
        note(request, response)
        return response

    monkeypatch.setattr(httpx.Client, "send", send)
    monkeypatch.setattr(httpx.AsyncClient, "send", asend)
    yield seen
    assert not bad, f"server answered 5xx: {bad}"


@pytest.fixture
def server_with(demo_template: Path, tmp_path: Path) -> Iterator[Callable[..., ThreadServer]]:
    """Start a server on a fresh copy of the demo cooperative with the given settings."""
    started: list[ThreadServer] = []

    def start(data_dir: Path | None = None, **overrides: object) -> ThreadServer:
        directory = data_dir or copy_template(demo_template, tmp_path / f"data{len(started)}")
        server = ThreadServer(directory, **overrides).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
