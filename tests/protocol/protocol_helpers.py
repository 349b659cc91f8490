"""Helpers for the protocol tests: mutation builders, direct (read-only) looks at the database, raw HTTP.

Everything here talks to a real server over HTTP or reads its SQLite file; nothing reaches into the
server's Python objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from server.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    DepositCancel,
    DepositCreate,
    DepositReject,
    DepositVerify,
    WithdrawalCancel,
    WithdrawalCreate,
    WithdrawalReject,
    WithdrawalVerify,
)
from tests.support.api import ApiSession

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PUBLIC_ENTITIES = {
    "location",
    "savings_type",
    "bank_account",
    "loan_product",
    "loan_settings",
    "branding",
    "qr_key",
    "fee_settings",
}
MEMBER_ENTITIES = {"member", "savings_account", "deposit", "withdrawal", "ledger_entry", "payroll_profile"}
WIB = dt.timezone(dt.timedelta(hours=7))


def new_id() -> str:
    return str(uuid.uuid4())


# --- mutation builders --------------------------------------------------------------------------


def cash_deposit(
    member_id: int, amount: int, location_id: int, savings_type: str = "sukarela", deposit_id: str | None = None
) -> DepositCreate:
    return DepositCreate(
        deposit_id=deposit_id or new_id(),
        member_id=member_id,
        savings_type=savings_type,
        kind="offline",
        amount=amount,
        location_id=location_id,
    )


def mandiri_deposit(
    member_id: int, amount: int, location_id: int, attachment: str | None, deposit_id: str | None = None
) -> DepositCreate:
    yesterday = dt.datetime.now(WIB).date() - dt.timedelta(days=1)
    return DepositCreate(
        deposit_id=deposit_id or new_id(),
        member_id=member_id,
        savings_type="sukarela",
        kind="mandiri",
        amount=amount,
        location_id=location_id,
        bank_account_id=1,
        transfer_date=yesterday,
        sender_bank="BCA",
        account_holder="Pemilik Rekening",
        attachment=attachment,
    )


def verify(deposit_id: str) -> DepositVerify:
    return DepositVerify(deposit_id=deposit_id)


def cancel(deposit_id: str) -> DepositCancel:
    return DepositCancel(deposit_id=deposit_id)


def reject_deposit(deposit_id: str, reason: str = "Uang tidak diterima") -> DepositReject:
    return DepositReject(deposit_id=deposit_id, reason=reason)


def withdrawal(
    member_id: int, amount: int, location_id: int, savings_type: str = "sukarela", withdrawal_id: str | None = None
) -> WithdrawalCreate:
    return WithdrawalCreate(
        withdrawal_id=withdrawal_id or new_id(),
        member_id=member_id,
        savings_type=savings_type,
        amount=amount,
        method="tunai",
        location_id=location_id,
    )


def cancel_withdrawal(withdrawal_id: str) -> WithdrawalCancel:
    return WithdrawalCancel(withdrawal_id=withdrawal_id)


def verify_withdrawal(withdrawal_id: str) -> WithdrawalVerify:
    return WithdrawalVerify(withdrawal_id=withdrawal_id)


def reject_withdrawal(withdrawal_id: str, reason: str = "Dana belum tersedia") -> WithdrawalReject:
    return WithdrawalReject(withdrawal_id=withdrawal_id, reason=reason)


def png_bytes(seed: str, size: int = 256) -> bytes:
    body = hashlib.sha256(seed.encode()).digest()
    return PNG_MAGIC + (body * (size // len(body) + 1))[:size]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the database, read directly ----------------------------------------------------------------


@contextmanager
def db(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(str(path), timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def query(path: Path, sql: str, *params: Any) -> list[sqlite3.Row]:
    with db(path) as conn:
        return conn.execute(sql, params).fetchall()


def scalar(path: Path, sql: str, *params: Any) -> Any:
    rows = query(path, sql, *params)
    return rows[0][0] if rows else None


def head(path: Path) -> int:
    return int(scalar(path, "SELECT COALESCE(MAX(seq), 0) FROM changes"))


def counter(path: Path, client_id: str) -> int:
    value = scalar(path, "SELECT last_mutation_id FROM clients WHERE client_id = ?", client_id)
    return 0 if value is None else int(value)


def balance(path: Path, member_id: int, savings_type: str = "sukarela") -> tuple[int, int]:
    """(balance, held) of an account, as stored."""
    rows = query(
        path,
        "SELECT balance, held FROM savings_accounts WHERE member_id = ? AND savings_type = ?",
        member_id,
        savings_type,
    )
    return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)


def snapshot(path: Path, client_id: str | None = None) -> dict[str, Any]:
    """Everything a stray write would move: feed head, row counts, balances, the client's counter."""
    with db(path) as conn:
        counts = {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("changes", "deposits", "withdrawals", "ledger", "mutations", "attachments", "clients")
        }
        money = conn.execute(
            "SELECT COALESCE(SUM(balance), 0), COALESCE(SUM(held), 0) FROM savings_accounts"
        ).fetchone()
        statuses = conn.execute(
            "SELECT (SELECT group_concat(status) FROM (SELECT status FROM deposits ORDER BY id)),"
            " (SELECT group_concat(status) FROM (SELECT status FROM withdrawals ORDER BY id))"
        ).fetchone()
        max_seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
    state: dict[str, Any] = {
        "head": max_seq,
        **counts,
        "balance": money[0],
        "held": money[1],
        "statuses": tuple(statuses),
    }
    if client_id is not None:
        state["counter"] = counter(path, client_id)
    return state


# --- raw HTTP -----------------------------------------------------------------------------------


def raw_client(url: str, token: str | None = None, version: str | None = str(PROTOCOL_VERSION)) -> httpx.Client:
    headers: dict[str, str] = {}
    if version is not None:
        headers[PROTOCOL_HEADER] = version
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=url, headers=headers, timeout=30)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:500])
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    return body


def pull_to_head(
    session: ApiSession, limit: int = 1000, cursor: str = "", max_pages: int = 500
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Pull every page from ``cursor`` (no reset allowed), bounded so a broken server cannot hang a test."""
    changes: list[dict[str, Any]] = []
    for _ in range(max_pages):
        page = session.pull(cursor=cursor, limit=limit)
        assert page["reset"] is None, page["reset"]
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["has_more"]:
            session.cursor = cursor
            return changes, page
    raise AssertionError(f"still has_more after {max_pages} pages of {limit}")


def replica(changes: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    """The rows a client holds after applying ``changes`` in order."""
    rows: dict[tuple[str, str], Any] = {}
    for change in changes:
        key = (change["entity"], change["id"])
        if change["op"] == "delete":
            rows.pop(key, None)
        else:
            rows[key] = change["data"]
    return rows
