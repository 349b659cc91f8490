"""Online verification of a scanned payload: signature first, then the facts it claims against the
database (the record, its amount and member, the ledger hash). Answers *Asli* or *Tidak cocok*.

The caller learns only the verdict and what the payload itself says, unless the access policy lets
them see the record: then also its current status.
"""

from __future__ import annotations

from typing import Any

from msgspec import Struct

from server.access import Owners, Reach, may_see
from server.domain.savings import savings_card
from server.protocol import MAX_AMOUNT
from server.storage import documents as store
from server.storage import reads
from server.storage.interface import ReadTx

from .payloads import cash_report_hash
from .qr import QrError, QrSigner

__all__ = ["Verdict", "verify_payload", "ASLI", "TIDAK_COCOK"]

ASLI, TIDAK_COCOK = "Asli", "Tidak cocok"


class Verdict(Struct):
    verdict: str
    """``Asli`` or ``Tidak cocok``."""
    valid: bool
    reason: str
    """``ok`` or the stable code of what failed (``qr_bad_signature``, ``record_not_found``, ``hash_mismatch`` …)."""
    type: str | None = None
    document: str | None = None
    code: str | None = None
    amount: int | None = None
    member_number: str | None = None
    status: str | None = None
    """The record's status now; only for a caller who may see the record."""


def _no(reason: str, body: dict[str, Any] | None = None) -> Verdict:
    body = body or {}
    return Verdict(TIDAK_COCOK, False, reason, body.get("t"), body.get("d"), body.get("c"))


def verify_payload(conn: ReadTx, signer: QrSigner, payload: str, reach: Reach) -> Verdict:
    try:
        parsed = signer.verify(payload)
    except QrError as failed:
        return _no(failed.code)
    body = parsed.body
    try:
        if body["t"] == "doc":
            return _document(conn, body, reach)
        if body["t"] in ("card", "setoran"):
            member = store.member_by_number(conn, str(body.get("n")))
            if (
                member is None
                or member["id"] != body.get("m")
                or (body["t"] == "card" and body.get("nm") != member["name"])
            ):
                return _no("member_mismatch", body)
            if not member["active"]:
                return _no("member_inactive", body)
            amount = body.get("a")
            if amount is not None and (type(amount) is not int or not 0 < amount <= MAX_AMOUNT):
                return _no("qr_malformed", body)  # an amount no form could have written (unsigned: anyone's)
            return Verdict(
                ASLI,
                True,
                "ok" if parsed.signed else "unsigned_request",
                body["t"],
                None,
                None,
                body.get("a"),
                member["number"],
            )
    except (KeyError, TypeError, ValueError):
        return _no("qr_malformed", body)
    return _no("qr_unknown_type", body)


def _document(conn: ReadTx, body: dict[str, Any], reach: Reach) -> Verdict:
    document, code, entry_hash, amount, number = body["d"], str(body["c"]), str(body["h"]), body["a"], str(body["n"])
    status: str | None = None
    if document in ("setoran", "penarikan", "pinjaman"):
        row = store.by_code(conn, document, code)
        if row is None:
            return _no("record_not_found", body)
        if row["amount"] != amount or row["member_number"] != number:
            return _no("amount_or_member_mismatch", body)
        if document == "pinjaman":
            entry = store.entry_by_hash(conn, entry_hash) if entry_hash else None
            if entry_hash and (
                entry is None or entry["ref_code"] != code or entry["savings_type"] != f"pinjaman:{row['id']}"
            ):
                return _no("hash_mismatch", body)
        else:
            entry = store.posting_of(conn, row["id"], "deposit" if document == "setoran" else "withdrawal")
            if entry_hash and (entry is None or entry["hash"] != entry_hash):
                return _no("hash_mismatch", body)
        if may_see(reach, Owners(row["member_id"], row["location_id"], row["created_by"])):
            status = row["status"]
    elif document == "kartu_simpanan":
        prefix, member_number, savings_type, start, end = code.split("/")
        member = store.member_by_number(conn, member_number)
        if prefix != "KS" or member is None or member_number != number:
            return _no("record_not_found", body)
        opening = reads.opening_balance(conn, member["id"], savings_type, start)
        card = savings_card(
            savings_type, start, end, opening, reads.movements(conn, member["id"], savings_type, start, end)
        )
        if (
            card.closing_balance != amount
            or store.last_entry_in_period(conn, member["id"], savings_type, end) != entry_hash
        ):
            return _no("hash_mismatch", body)
    elif document == "kas_harian":
        prefix, username, day = code.split("/")
        officer = store.officer_by_username(conn, username)
        if prefix != "KAS" or officer is None or username != number:
            return _no("record_not_found", body)
        items = store.cash_report(conn, officer["id"], day)
        if (
            cash_report_hash([(i["code"], i["amount"]) for i in items]) != entry_hash
            or sum(i["amount"] for i in items) != amount
        ):
            return _no("hash_mismatch", body)
    else:
        return _no("qr_unknown_type", body)
    return Verdict(ASLI, True, "ok", "doc", document, code, amount, number, status)
