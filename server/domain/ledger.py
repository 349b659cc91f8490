"""The append-only, hash-chained ledger: each entry's hash covers the previous entry's hash.

Editing or deleting any past entry changes every later hash, so ``verify_chain`` finds it. Members can
check their own entries with ``entry_hash`` alone (each entry carries its ``prev_hash``).
"""

from __future__ import annotations

import hashlib

import msgspec
from msgspec import Struct

__all__ = ["GENESIS_HASH", "LedgerEntry", "entry_hash", "verify_chain"]

GENESIS_HASH = "0" * 64


class LedgerEntry(Struct, frozen=True):
    seq: int
    at: str
    member_id: int
    savings_type: str
    amount: int
    kind: str
    ref_id: str
    ref_code: str
    balance_after: int
    prev_hash: str
    hash: str = ""


_HASHED_FIELDS = ("seq", "at", "member_id", "savings_type", "amount", "kind", "ref_id", "ref_code", "balance_after", "prev_hash")


def entry_hash(entry: LedgerEntry) -> str:
    """SHA-256 over the canonical JSON (fixed key order) of the entry without its own hash."""
    payload = {name: getattr(entry, name) for name in _HASHED_FIELDS}
    return hashlib.sha256(msgspec.json.encode(payload, order="sorted")).hexdigest()


def verify_chain(entries: list[LedgerEntry], start_hash: str = GENESIS_HASH) -> int | None:
    """Return the seq of the first entry that breaks the chain, or None if all verify."""
    prev = start_hash
    for entry in entries:
        if entry.prev_hash != prev or entry_hash(entry) != entry.hash:
            return entry.seq
        prev = entry.hash
    return None
