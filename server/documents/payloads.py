"""What each QR says: the bodies of document, member-card and Setoran-request payloads.

Pure. The envelope (prefix, base64url, Ed25519) is ``qr.py``; the spec is docs/DOCUMENTS.md.

Body fields (short, because a QR's size grows with every byte):

- every body: ``t`` (``doc`` | ``card`` | ``setoran``), ``kid`` (the signing key, added by the signer)
- ``doc``: ``d`` document (``setoran`` | ``penarikan`` | ``kartu_simpanan`` | ``pinjaman`` | ``kas_harian``),
  ``c`` its transaction code, ``h`` the ledger hash it rests on ('' when nothing is posted yet),
  ``a`` its amount in rupiah, ``n`` the member number (for ``kas_harian`` the officer's username),
  ``at`` the day it was issued (WIB, ``YYYY-MM-DD``)
- ``card``: ``m`` member id, ``n`` member number, ``nm`` name, ``at`` issue day
- ``setoran``: ``m`` member id, ``n`` member number, ``s`` savings type, ``a`` amount, ``r`` request id
  (a UUID, so one request scanned twice is recognised)
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import msgspec

from server.errors import InvalidInput

__all__ = [
    "DOCUMENTS",
    "doc_body",
    "card_body",
    "setoran_body",
    "cash_report_hash",
    "statement_code",
    "cash_report_code",
    "check_setoran",
]

DOCUMENTS = ("setoran", "penarikan", "kartu_simpanan", "pinjaman", "kas_harian")


def doc_body(document: str, code: str, entry_hash: str, amount: int, number: str, issued: str) -> dict[str, Any]:
    assert document in DOCUMENTS
    return {"t": "doc", "d": document, "c": code, "h": entry_hash, "a": amount, "n": number, "at": issued}


def card_body(member_id: int, number: str, name: str, issued: str) -> dict[str, Any]:
    return {"t": "card", "m": member_id, "n": number, "nm": name, "at": issued}


def check_setoran(savings_type: str, amount: int, minimum: int, maximum: int) -> None:
    if not savings_type or len(savings_type) > 32:
        raise InvalidInput("savings_type_invalid", "Jenis simpanan tidak valid.")
    if not minimum <= amount <= maximum:
        raise InvalidInput(
            "amount_out_of_range",
            f"Nominal setoran harus antara {minimum} dan {maximum}.",
            {"min": minimum, "max": maximum},
        )


def setoran_body(
    member_id: int, number: str, savings_type: str, amount: int, request_id: str | None = None
) -> dict[str, Any]:
    return {
        "t": "setoran",
        "m": member_id,
        "n": number,
        "s": savings_type,
        "a": amount,
        "r": request_id or str(uuid.uuid4()),
    }


def statement_code(number: str, savings_type: str, start: str, end: str) -> str:
    """Kartu Simpanan has no transaction code of its own: this one names member, account and period."""
    return f"KS/{number}/{savings_type}/{start}/{end}"


def cash_report_code(username: str, day: str) -> str:
    return f"KAS/{username}/{day}"


def cash_report_hash(items: list[tuple[str, int]]) -> str:
    """SHA-256 over the report's (code, amount) pairs in order: cash is not in the ledger until verified,
    so the report's QR rests on its own content."""
    return hashlib.sha256(msgspec.json.encode([[c, a] for c, a in items])).hexdigest()
