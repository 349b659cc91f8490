"""Servers with Web Push pointed at a loopback fake push service, and the helpers the push tests share."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.protocol import DepositCreate, DepositVerify
from tests.push.receiver import Device, PushReceiver
from tests.support.api import ApiSession, login
from tests.support.servers import ThreadServer, copy_template

PUSH_SETTINGS = {
    "push_allow_loopback_http": True,
    "push_retry_base_seconds": 0.05,
    "push_retry_max_seconds": 0.5,
    "push_timeout_seconds": 3.0,
    "vapid_subject": "mailto:ops@koperasi.invalid",
}


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    r = PushReceiver()
    yield r
    r.stop()


@pytest.fixture
def push_server(demo_template: Path, tmp_path: Path) -> Iterator[ThreadServer]:
    server = ThreadServer(copy_template(demo_template, tmp_path / "data"), **PUSH_SETTINGS).start()
    yield server
    server.stop()


def subscribe(session: ApiSession, device: Device, **extra: Any) -> dict[str, Any]:
    response = session.http.post("/api/push/subscriptions", json={**device.subscription(), **extra})
    assert response.status_code in (200, 201), response.text
    return response.json()


def public_key(session: ApiSession) -> str:
    response = session.get("/api/push/vapid-public-key")
    assert response.status_code == 200, response.text
    return response.json()["public_key"]


def new_deposit(officer: ApiSession, member_id: int, amount: int = 500_000, location_id: int = 1) -> str:
    deposit_id = str(uuid.uuid4())
    [result] = officer.push_ops(
        DepositCreate(
            deposit_id=deposit_id,
            member_id=member_id,
            savings_type="sukarela",
            kind="offline",
            amount=amount,
            location_id=location_id,
        )
    )
    assert result["status"] == "applied", result
    return deposit_id


def verify(officer: ApiSession, deposit_id: str) -> dict[str, Any]:
    [result] = officer.push_ops(DepositVerify(deposit_id=deposit_id))
    assert result["status"] == "applied", result
    return result


def deposit_code(officer: ApiSession, deposit_id: str) -> str:
    for change in officer.pull_all():
        if change["entity"] == "deposit" and change["id"] == deposit_id:
            code = change["data"]["code"]
    return code


__all__ = ["subscribe", "public_key", "new_deposit", "verify", "deposit_code", "login", "PUSH_SETTINGS"]
