"""Which replicated row changes a member hears about, and what the notice says (pure: no SQL, no HTTP).

The storage layer hands every row change it records to :func:`notice_for`, inside the transaction
that makes the change, so no handler can forget a notice and a rolled-back change leaves none. Every
notice is derived from a one-time transition (a terminal status, a ledger posting, an inserted
repayment, a rejected mutation result), so the same event never yields two notices.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

import msgspec
from msgspec import Struct

from server.domain.rules import rupiah

__all__ = ["KINDS", "ENTITIES", "Notice", "may_notify", "notice_for", "topic_for", "payload_json"]

KINDS: dict[str, str] = {
    "deposit.verified": "Setoran diverifikasi",
    "deposit.rejected": "Setoran ditolak",
    "withdrawal.verified": "Penarikan diverifikasi",
    "withdrawal.rejected": "Penarikan ditolak",
    "loan.approved": "Pinjaman disetujui",
    "loan.rejected": "Pinjaman ditolak",
    "loan.disbursed": "Pinjaman dicairkan",
    "loan.installment": "Angsuran tercatat",
    "deduction.applied": "Perubahan potongan diterapkan",
    "mutation.rejected": "Transaksi ditolak",
}
"""Every kind of notice, with its title (Bahasa Indonesia). Members may turn each off."""

ENTITIES = frozenset(
    {"deposit", "withdrawal", "loan", "ledger_entry", "loan_repayment", "deduction_change", "mutation"}
)
"""Feed entities that can yield a notice; every other change is skipped with one set lookup."""

_NOTIFYING_STATUS: dict[str, frozenset[str]] = {
    "deposit": frozenset({"verified", "rejected"}),
    "withdrawal": frozenset({"verified", "rejected"}),
    "loan": frozenset({"approved", "rejected"}),
    "deduction_change": frozenset({"applied"}),
    "mutation": frozenset({"rejected"}),
}
"""For the entities whose notice depends on ``status`` only: the statuses that can yield one."""


def may_notify(entity: str, data: Any) -> bool:
    """False when ``notice_for`` surely yields nothing for this change (a created deposit, an applied
    mutation, an entity that never notifies), decided without copying the row: the push path records
    two such changes per mutation. True means "ask ``notice_for``"."""
    if entity not in ENTITIES or data is None:
        return False
    wanted = _NOTIFYING_STATUS.get(entity)
    if wanted is None:
        return True
    status = data.get("status") if type(data) is dict else getattr(data, "status", None)
    if status is None and type(data) is not dict and isinstance(data, Mapping):  # a row-like mapping
        status = data.get("status")
    return status in wanted


_TOPIC_PREFIX = {"deposit": "str", "withdrawal": "pnr", "loan": "pjm", "deduction_change": "pot", "mutation": "mut"}

_MUTATION_LABELS = {
    "deposit": "Setoran",
    "withdrawal": "Penarikan",
    "loan": "Pinjaman",
    "deduction_change": "Perubahan potongan",
}

_URLS = {
    "deposit": "/#/setoran/",
    "withdrawal": "/#/penarikan/",
    "loan": "/#/pinjaman/",
    "deduction_change": "/#/potongan/",
    "mutation": "/#/riwayat/",
}

_MAX_REASON = 120


class Notice(Struct, frozen=True):
    """One thing to tell one member (``member_id``) or one user (``user_id``, for their own mutation)."""

    kind: str
    entity: str
    """The record the notice is about (a loan for a disbursement or an installment)."""
    entity_id: str
    code: str | None
    title: str
    body: str
    url: str
    topic: str
    urgency: str
    member_id: int | None = None
    user_id: int | None = None
    dedupe_id: str = ""
    """Unique per event for this kind (a repayment id, a mutation uuid); defaults to ``entity_id``."""


def topic_for(entity: str, entity_id: str) -> str:
    """The push ``Topic`` of a transaction: at most 32 URL-safe base64 characters, the same for every
    notice about that transaction, so a newer notice replaces an undelivered older one."""
    digest = hashlib.sha256(f"{entity}:{entity_id}".encode()).digest()
    return f"{_TOPIC_PREFIX.get(entity, 'ntf')}-" + base64.urlsafe_b64encode(digest).decode().rstrip("=")[:28]


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def _notice(
    kind: str,
    entity: str,
    entity_id: str,
    code: str | None,
    body: str,
    *,
    member_id: int | None = None,
    user_id: int | None = None,
    urgency: str = "normal",
    dedupe_id: str = "",
) -> Notice:
    return Notice(
        kind=kind,
        entity=entity,
        entity_id=entity_id,
        code=code,
        title=KINDS[kind],
        body=body,
        url=_URLS[entity] + entity_id,
        topic=topic_for(entity, entity_id),
        urgency=urgency,
        member_id=member_id,
        user_id=user_id,
        dedupe_id=dedupe_id or entity_id,
    )


def _transaction(entity: str, row: Mapping[str, Any]) -> Notice | None:
    status = row.get("status")
    if status not in ("verified", "rejected"):
        return None
    noun = "Setoran" if entity == "deposit" else "Penarikan"
    what = f"{noun} {row['code']} {rupiah(int(row['amount']))}"
    if status == "verified":
        body = f"{what} telah diverifikasi"
    else:
        reason = _short(row.get("reason"))
        body = f"{what} ditolak" + (f": {reason}" if reason else "")
    return _notice(
        f"{entity}.{status}",
        entity,
        str(row["id"]),
        str(row["code"]),
        body,
        member_id=int(row["member_id"]),
        urgency="high" if entity == "withdrawal" else "normal",
    )


def _loan(row: Mapping[str, Any]) -> Notice | None:
    status = row.get("status")
    what = f"Pinjaman {row['code']} {rupiah(int(row['amount']))}"
    if status == "approved":
        body = f"{what} telah disetujui"
    elif status == "rejected":
        reason = _short(row.get("reason"))
        body = f"{what} ditolak" + (f": {reason}" if reason else "")
    else:
        return None  # 'active' recurs with every repayment; the disbursement is told by its ledger posting
    return _notice(f"loan.{status}", "loan", str(row["id"]), str(row["code"]), body, member_id=int(row["member_id"]))


def _ledger(row: Mapping[str, Any]) -> Notice | None:
    if row.get("kind") != "loan_disbursement":
        return None
    body = f"Pinjaman {row['ref_code']} {rupiah(int(row['amount']))} telah dicairkan"
    return _notice(
        "loan.disbursed",
        "loan",
        str(row["ref_id"]),
        str(row["ref_code"]),
        body,
        member_id=int(row["member_id"]),
        urgency="high",
    )


def _repayment(row: Mapping[str, Any]) -> Notice | None:
    code = row.get("loan_code")
    source = "potong gaji" if row.get("source") == "potong_gaji" else "tunai"
    body = (
        f"Angsuran {rupiah(int(row['amount']))} ({source})"
        + (f" untuk pinjaman {code}" if code else "")
        + " telah dicatat"
    )
    return _notice(
        "loan.installment",
        "loan",
        str(row["loan_id"]),
        code,
        body,
        member_id=int(row["member_id"]),
        dedupe_id=str(row["id"]),
    )


def _deduction(row: Mapping[str, Any]) -> Notice | None:
    if row.get("status") != "applied":
        return None
    kind = str(row.get("savings_type") or "sukarela")
    body = (
        f"Potongan gaji simpanan {kind} menjadi {rupiah(int(row['new_amount']))} per bulan"
        f" mulai {row['effective_month']}"
    )
    return _notice("deduction.applied", "deduction_change", str(row["id"]), None, body, member_id=int(row["member_id"]))


def _mutation(row: Mapping[str, Any], user_id: int | None) -> Notice | None:
    if row.get("status") != "rejected" or user_id is None:
        return None
    name = str(row.get("name") or "")
    label = _MUTATION_LABELS.get(name.split(".")[0], "Transaksi")
    message = _short(row.get("message"))
    body = f"{label} tidak dapat diproses" + (f": {message}" if message else "")
    return _notice("mutation.rejected", "mutation", str(row["uuid"]), row.get("code"), body, user_id=user_id)


def notice_for(entity: str, row: Mapping[str, Any], user_id: int | None = None) -> Notice | None:
    """The notice a row change yields, or None. ``user_id`` is the change's private reader (a mutation's
    author); only that member or that user is told, and only of their own record."""
    if entity in ("deposit", "withdrawal"):
        return _transaction(entity, row)
    if entity == "loan":
        return _loan(row)
    if entity == "ledger_entry":
        return _ledger(row)
    if entity == "loan_repayment":
        return _repayment(row)
    if entity == "deduction_change":
        return _deduction(row)
    if entity == "mutation":
        return _mutation(row, user_id)
    return None


_encode = msgspec.json.Encoder().encode


def payload_json(notice: Notice) -> str:
    """The push message body the service worker shows (PROTOCOL.md, "Web Push"): nothing but this
    member's own record."""
    return _encode(
        {
            "v": 1,
            "kind": notice.kind,
            "title": notice.title,
            "body": notice.body,
            "url": notice.url,
            "tag": notice.topic,
            "ref": {"entity": notice.entity, "id": notice.entity_id, "code": notice.code},
        }
    ).decode()
