"""The optimistic local view (DESIGN rule 5): replica rows with pending mutations drawn on top.

Pure functions of (replica rows, outbox items) so they are tested without a database or a server, and
recomputed from scratch after every pull. ``items`` are the outbox items still to overlay: unanswered
ones, and applied ones whose effects have not been pulled yet (so nothing vanishes and reappears).
The replica always wins when it already holds a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

import msgspec

from server.domain.fees import withdrawal_fee
from server.protocol import (
    DepositCancel,
    DepositCreate,
    DepositReject,
    DepositVerify,
    WithdrawalCancel,
    WithdrawalCreate,
    WithdrawalReject,
    WithdrawalVerify,
    op_name,
)

from .models import (
    BalanceView,
    CashInHand,
    DeductionChangeView,
    DepositView,
    LoanView,
    MemberView,
    QueuedItem,
    WithdrawalView,
)

__all__ = [
    "PENDING",
    "member_views",
    "search_members",
    "deposit_views",
    "withdrawal_views",
    "balance_views",
    "cash_in_hand",
]

PENDING = "pending"
"""The status of a deposit/withdrawal that exists only in this device's outbox."""

_DEPOSIT_ACTIONS = (DepositCancel, DepositVerify, DepositReject)
_WITHDRAWAL_ACTIONS = (WithdrawalCancel, WithdrawalVerify, WithdrawalReject)


def _tag(op: msgspec.Struct) -> str:
    return op_name(op)


def member_views(rows: Iterable[dict[str, Any]]) -> list[MemberView]:
    views = [
        MemberView(
            id=int(r["id"]),
            number=str(r.get("number", "")),
            name=str(r.get("name", "")),
            kind=str(r.get("kind", "")),
            location_id=int(r.get("location_id") or 0),
            active=bool(r.get("active", True)),
        )
        for r in rows
    ]
    return sorted(views, key=lambda m: (m.number, m.id))


def search_members(rows: Iterable[dict[str, Any]], text: str | None = None) -> list[MemberView]:
    """Members whose name or number contains ``text`` (case-insensitive); all of them without text."""
    members = member_views(rows)
    needle = (text or "").strip().casefold()
    if not needle:
        return members
    return [m for m in members if needle in m.name.casefold() or needle in m.number.casefold()]


def _pending_actions(items: Sequence[QueuedItem], kinds: tuple[type, ...], field: str) -> dict[str, str]:
    """Target id -> name of the latest pending action (cancel/verify/reject) on it."""
    actions: dict[str, str] = {}
    for item in items:
        if isinstance(item.op, kinds):
            actions[getattr(item.op, field)] = _tag(item.op)
    return actions


_V = TypeVar("_V", DepositView, WithdrawalView, LoanView, DeductionChangeView)


def _transaction_views(
    view_cls: type[_V],
    rows: Iterable[dict[str, Any]],
    items: Sequence[QueuedItem],
    create_op: type[msgspec.Struct],
    cancel_op: type[msgspec.Struct],
    id_field: str,
    actions: dict[str, str],
    member_id: int | None,
    status: str | None,
) -> list[_V]:
    """Newest first: pending local creations, then the replica's rows (marked if an action is pending).

    Shared by deposits, withdrawals, loans and deduction changes: ``create_op`` makes the local rows,
    a pending ``cancel_op`` on a row marks it ``cancelling``.
    """
    create_name = op_name(create_op)
    cancel_name = op_name(cancel_op)
    server: list[_V] = []
    known: set[str] = set()
    for r in rows:
        row_id = str(r["id"])
        known.add(row_id)
        pending_op = actions.get(row_id)
        server.append(
            msgspec.convert(
                {
                    **r,
                    "id": row_id,
                    "note": r.get("note") or "",
                    "pending": pending_op is not None,
                    "pending_op": pending_op,
                    "cancelling": pending_op == cancel_name,
                },
                view_cls,
                strict=False,
            )
        )
    local: list[_V] = []
    for item in items:
        op = item.op
        if not isinstance(op, create_op) or getattr(op, id_field) in known:
            continue
        pending_op = actions.get(getattr(op, id_field))
        local.append(
            msgspec.convert(
                {
                    **msgspec.structs.asdict(op),
                    "id": getattr(op, id_field),
                    "status": PENDING,
                    "created_by": item.user_id,
                    "created_at": item.queued_at,
                    "device_time": item.device_time,
                    "pending": True,
                    "pending_op": pending_op or create_name,
                    "cancelling": pending_op == cancel_name,
                    "mutation_id": item.id,
                },
                view_cls,
                strict=False,
            )
        )
    server.sort(key=lambda v: (v.created_at or "", v.id), reverse=True)
    local.sort(key=lambda v: v.mutation_id or 0, reverse=True)
    return [
        v
        for v in local + server
        if (member_id is None or v.member_id == member_id) and (status is None or v.status == status)
    ]


def deposit_views(
    rows: Iterable[dict[str, Any]],
    items: Sequence[QueuedItem],
    *,
    member_id: int | None = None,
    status: str | None = None,
) -> list[DepositView]:
    """Deposits newest first: pending local ones, then the replica's (marked if an action is pending)."""
    actions = _pending_actions(items, _DEPOSIT_ACTIONS, "deposit_id")
    return _transaction_views(
        DepositView, rows, items, DepositCreate, DepositCancel, "deposit_id", actions, member_id, status
    )


def withdrawal_views(
    rows: Iterable[dict[str, Any]],
    items: Sequence[QueuedItem],
    *,
    member_id: int | None = None,
    status: str | None = None,
    transfer_fee: int = 0,
) -> list[WithdrawalView]:
    """Withdrawals newest first, built like ``deposit_views``. The server's rows carry the fee it fixed;
    a request pending here shows the fee the server will fix (``transfer_fee``: the published setting)."""
    actions = _pending_actions(items, _WITHDRAWAL_ACTIONS, "withdrawal_id")
    views = _transaction_views(
        WithdrawalView, rows, items, WithdrawalCreate, WithdrawalCancel, "withdrawal_id", actions, member_id, status
    )
    return [
        msgspec.structs.replace(v, fee=withdrawal_fee(v.method, v.amount, transfer_fee))
        if v.status == PENDING and v.amount > 0 and v.method in ("transfer", "tunai")
        else v
        for v in views
    ]


def balance_views(
    member_id: int,
    accounts: Iterable[dict[str, Any]],
    savings_types: Iterable[dict[str, Any]],
    deposits: Sequence[DepositView],
    withdrawals: Sequence[WithdrawalView],
) -> list[BalanceView]:
    """A member's balances per savings type.

    ``available`` = balance - held (server) - pending local withdrawal requests, so a request made
    offline is already counted against what can still be requested. ``pending_deposits`` = deposits not
    yet verified (server ``unverified`` plus local pending ones): shown, never added to the balance.
    """
    types = {str(t["code"]): t for t in savings_types}
    by_type: dict[str, dict[str, Any]] = {}
    for a in accounts:
        if int(a["member_id"]) == member_id:
            by_type[str(a["savings_type"])] = a
    for w in withdrawals:
        if w.member_id == member_id and w.status == PENDING:
            by_type.setdefault(w.savings_type, {"member_id": member_id, "savings_type": w.savings_type})
    for d in deposits:
        if d.member_id == member_id and d.status in (PENDING, "unverified"):
            by_type.setdefault(d.savings_type, {"member_id": member_id, "savings_type": d.savings_type})
    views = []
    for code, account in by_type.items():
        balance, held = int(account.get("balance") or 0), int(account.get("held") or 0)
        pending_out = sum(
            w.amount
            for w in withdrawals
            if w.member_id == member_id and w.savings_type == code and w.status == PENDING and not w.cancelling
        )
        pending_in = sum(
            d.amount
            for d in deposits
            if d.member_id == member_id
            and d.savings_type == code
            and d.status in (PENDING, "unverified")
            and not d.cancelling
        )
        info = types.get(code, {})
        views.append(
            BalanceView(
                member_id=member_id,
                savings_type=code,
                name=str(info.get("name", code)),
                withdrawable=bool(info.get("withdrawable", False)),
                balance=balance,
                held=held,
                pending_withdrawals=pending_out,
                available=balance - held - pending_out,
                pending_deposits=pending_in,
            )
        )
    order = list(types)
    views.sort(key=lambda b: (order.index(b.savings_type) if b.savings_type in order else len(order), b.savings_type))
    return views


def cash_in_hand(deposits: Sequence[DepositView], user_id: int) -> CashInHand:
    """The officer's offline (cash) deposits not yet verified: unverified on the server plus pending here."""
    mine = [
        d for d in deposits if d.kind == "offline" and d.created_by == user_id and d.status in ("unverified", PENDING)
    ]
    local = [d for d in mine if d.status == PENDING]
    return CashInHand(
        total=sum(d.amount for d in mine),
        count=len(mine),
        unsynced_total=sum(d.amount for d in local),
        unsynced_count=len(local),
    )
