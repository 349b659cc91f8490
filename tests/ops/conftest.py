"""Servers for the operations tests (MFA, backups, reports, metrics) and the HTTP helpers they share."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.protocol import PROTOCOL_HEADER
from tests.support.api import DEMO_PASSWORD
from tests.support.servers import ThreadServer, copy_template

ROLES = {"anggota": "anggota01", "petugas": "petugas1", "pengurus": "pengurus1", "admin": "admin"}
HEADERS = {PROTOCOL_HEADER: "1"}


@pytest.fixture
def ops_server(demo_template: Path, tmp_path: Path) -> Iterator[Callable[..., ThreadServer]]:
    started: list[ThreadServer] = []

    def start(**overrides: Any) -> ThreadServer:
        directory = copy_template(demo_template, tmp_path / f"data{len(started)}")
        server = ThreadServer(directory, **{"backup_enabled": False, **overrides}).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def login(url: str, username: str, otp: str | None = None, client_id: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"username": username, "password": DEMO_PASSWORD, "client_id": client_id or uuid.uuid4().hex}
    if otp is not None:
        body["otp"] = otp
    return httpx.post(f"{url}/api/auth/login", headers=HEADERS, json=body, timeout=30)


def client_for(url: str, username: str, otp: str | None = None) -> httpx.Client:
    response = login(url, username, otp)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    return httpx.Client(base_url=url, headers={**HEADERS, "Authorization": f"Bearer {token}"}, timeout=60)
