"""Helpers for the client_sync tests: a device seeded without a server, and protocol pages built by hand.

Nothing here imitates our own components: the store, view and client under test are the real ones;
only the server's answers are written out as the protocol structs the server would send.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable
from typing import Any

import msgspec

from client_sync import SyncClient, new_client_id
from client_sync.client import META_ACTIVE
from server.protocol import Change, DepositCreate, PullResponse, UserInfo

OFFICER = UserInfo(id=101, username="petugas1", name="Rudi Hartono", role="petugas", member_id=None, location_ids=[1])
OFFICER2 = UserInfo(id=102, username="petugas2", name="Sari Dewi", role="petugas", member_id=None, location_ids=[1])

SAVINGS_TYPES = [
    {"code": "pokok", "name": "Simpanan Pokok", "withdrawable": False},
    {"code": "wajib", "name": "Simpanan Wajib", "withdrawable": False},
    {"code": "sukarela", "name": "Simpanan Sukarela", "withdrawable": True},
]
MEMBERS = [
    {"id": 1, "number": "A0001", "name": "Budi Santoso", "kind": "anggota", "location_id": 1, "active": True},
    {"id": 2, "number": "A0002", "name": "Siti Aminah", "kind": "anggota", "location_id": 1, "active": True},
    {"id": 3, "number": "B0001", "name": "Koperasi Tani Makmur", "kind": "badan", "location_id": 1, "active": True},
    {"id": 13, "number": "A0013", "name": "Purnomo Adi", "kind": "anggota", "location_id": 2, "active": True},
]


def closed_url() -> str:
    """A URL on which nothing listens: every request fails at connect, like an officer out of signal."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def change(seq: int, entity: str, row_id: Any, data: dict[str, Any] | None, op: str = "put") -> Change:
    raw = None if data is None else msgspec.Raw(msgspec.json.encode(data))
    return Change(seq=seq, entity=entity, id=str(row_id), op=op, data=raw)  # type: ignore[arg-type]


def page(
    changes: Iterable[Change],
    *,
    position: int | None = None,
    last_mutation_id: int = 0,
    has_more: bool = False,
    cursor: str | None = None,
) -> PullResponse:
    changes = list(changes)
    pos = position if position is not None else (changes[-1].seq if changes else 0)
    return PullResponse(
        cursor=cursor or f"e-0-{pos}",
        position=pos,
        has_more=has_more,
        last_mutation_id=last_mutation_id,
        changes=changes,
    )


def deposit_row(
    deposit_id: str,
    member_id: int,
    amount: int,
    *,
    status: str = "unverified",
    kind: str = "offline",
    created_by: int = 101,
    savings_type: str = "sukarela",
    created_at: str = "2026-01-01T08:00:00Z",
    code: str = "STR-1",
) -> dict[str, Any]:
    return {
        "id": deposit_id,
        "code": code,
        "member_id": member_id,
        "savings_type": savings_type,
        "kind": kind,
        "amount": amount,
        "location_id": 1,
        "status": status,
        "created_by": created_by,
        "created_at": created_at,
        "note": "",
        "attachment": None,
    }


def demo_changes(start: int = 1) -> list[Change]:
    rows: list[tuple[str, Any, dict[str, Any]]] = [("location", 1, {"id": 1, "name": "Pusat", "address": ""})]
    rows += [("savings_type", t["code"], t) for t in SAVINGS_TYPES]
    rows += [("member", m["id"], m) for m in MEMBERS]
    for m in MEMBERS:
        for t, bal in (("pokok", 100_000), ("wajib", 350_000), ("sukarela", 600_000)):
            rows.append(
                (
                    "savings_account",
                    f"{m['id']}:{t}",
                    {"member_id": m["id"], "savings_type": t, "balance": bal, "held": 0},
                )
            )
    rows.append(("deposit", "d-old-verified", deposit_row("d-old-verified", 1, 50_000, status="verified")))
    rows.append(("deposit", "d-unverified", deposit_row("d-unverified", 2, 75_000, code="STR-2")))
    rows.append(("deposit", "d-other-officer", deposit_row("d-other-officer", 2, 30_000, created_by=102, code="STR-3")))
    return [change(start + i, e, i_d, d) for i, (e, i_d, d) in enumerate(rows)]


def seed_profile(client: SyncClient, user: UserInfo = OFFICER, *, replica: bool = True) -> str:
    """Make ``user`` the logged-in user of this device, as a login would, without a server."""
    existing = client.store.profile_for_username(user.username)
    client_id = existing.client_id if existing else new_client_id()
    if existing is None:
        client.store.create_profile(client_id, user.username)
    client.store.save_tokens(
        client_id,
        user=user,
        access_token="offline-token",
        refresh_token="offline-refresh",
        expires_at=time.time() + 600,
    )
    client.store.set_meta(META_ACTIVE, client_id)
    if replica:
        client.store.apply_page(client_id, page(demo_changes()))
    return client_id


def cash_deposit(client: SyncClient, member_id: int = 1, amount: int = 150_000, **kw: Any) -> DepositCreate:
    return DepositCreate(
        deposit_id=client.new_id(),
        member_id=member_id,
        savings_type=kw.pop("savings_type", "sukarela"),
        kind="offline",
        amount=amount,
        location_id=kw.pop("location_id", 1),
        **kw,
    )
