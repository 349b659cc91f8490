"""The append-only ledger and its two hash chains: one over all entries, one per account.

Every entry's hash covers the hash of the entry before it in the whole ledger (``prev_hash``, so the
board can check all of history) and, from hash version 2 on, the hash of the entry before it in the
same account (``account_prev_hash``) and its place in that account (``account_seq``). A member's
device holds only its own entries; the account chain is what lets it check them alone: a changed
entry breaks its hash, a removed or reordered one breaks the numbering and the links, a removed last
entry disagrees with the account's balance.

Hash version 1 is the legacy form (entries written before the account chain): its hash covers the
global fields only. Those entries keep their hashes (re-hashing history is what a forger would do);
migration 0004 derived their account fields once. Because a legacy hash does not cover its own
``account_prev_hash``, the account's *link* after a legacy entry folds both values
(``sha256(account_prev_hash + hash)``), so the next entry, and in the end the first version-2 entry,
seals every legacy entry before it in order. After a version-2 entry the link is simply its hash.
The exact specification is PROTOCOL.md ("Ledger hash chains"), held to
``tests/vectors/ledger_chain.json``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
from msgspec import Struct

from .models import Posting

__all__ = [
    "GENESIS_HASH",
    "LEGACY_HASH_VERSION",
    "HASH_VERSION",
    "HASHED_FIELDS",
    "LedgerEntry",
    "ChainBreak",
    "AccountVerdict",
    "account_key",
    "canonical_payload",
    "entry_hash",
    "account_link",
    "new_entry",
    "verify_chain",
    "find_chain_break",
    "verify_account",
    "verify_accounts",
    "first_failure",
]

GENESIS_HASH = "0" * 64
LEGACY_HASH_VERSION = 1
HASH_VERSION = 2

_V1_FIELDS = (
    "seq",
    "at",
    "member_id",
    "savings_type",
    "amount",
    "kind",
    "ref_id",
    "ref_code",
    "balance_after",
    "prev_hash",
)
HASHED_FIELDS: dict[int, tuple[str, ...]] = {
    LEGACY_HASH_VERSION: _V1_FIELDS,
    HASH_VERSION: (*_V1_FIELDS, "account_seq", "account_prev_hash"),
}


class LedgerEntry(Struct, frozen=True):
    """One posting as stored and as sent in the feed (entity ``ledger_entry``)."""

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
    account_seq: int
    account_prev_hash: str
    hash_version: int = HASH_VERSION
    hash: str = ""


class ChainBreak(Struct, frozen=True):
    """Where a chain first fails, and why (a stable code, see PROTOCOL.md)."""

    seq: int | None
    reason: str


class AccountVerdict(Struct, frozen=True):
    """The check of one account: its entries, the first failure if any, and its head (the link the
    next entry must carry, up to where the check got) and balance there."""

    account: str
    entries: int
    ok: bool
    first_bad_seq: int | None = None
    reason: str | None = None
    head_hash: str = GENESIS_HASH
    balance: int = 0


def account_key(member_id: int, savings_type: str) -> str:
    """The account's name in verdicts: ``"<member id>:<savings type>"`` (as ``mismatched_accounts``)."""
    return f"{member_id}:{savings_type}"


def canonical_payload(entry: LedgerEntry) -> bytes:
    """UTF-8 JSON of the entry's hashed fields, keys sorted, no whitespace (= JSON.stringify of them sorted).

    Raises ValueError for a hash version this code does not know.
    """
    fields = HASHED_FIELDS.get(entry.hash_version)
    if fields is None:
        raise ValueError(f"unknown hash version {entry.hash_version!r}")
    payload: dict[str, Any] = {name: getattr(entry, name) for name in fields}
    return msgspec.json.encode(payload, order="sorted")


def entry_hash(entry: LedgerEntry) -> str:
    """Lowercase hex SHA-256 of ``canonical_payload``: the entry's own ``hash`` is never part of it."""
    return hashlib.sha256(canonical_payload(entry)).hexdigest()


def account_link(entry: LedgerEntry | None) -> str:
    """What the account's next entry must carry as ``account_prev_hash``: genesis before the first
    entry, the hash of a version-2 entry, a fold of link and hash after a legacy one."""
    if entry is None:
        return GENESIS_HASH
    if entry.hash_version == LEGACY_HASH_VERSION:
        return hashlib.sha256((entry.account_prev_hash + entry.hash).encode()).hexdigest()
    return entry.hash


def new_entry(
    posting: Posting,
    *,
    at: str,
    balance_after: int,
    previous: tuple[int, str] | None,
    account_previous: tuple[int, str] | None,
) -> LedgerEntry:
    """The next entry (hash version 2) after ``previous`` = (seq, hash) of the ledger's last entry and
    ``account_previous`` = (account_seq, ``account_link``) of the account's last one; ``None`` means
    genesis."""
    seq, prev_hash = (1, GENESIS_HASH) if previous is None else (previous[0] + 1, previous[1])
    account_seq, account_prev_hash = (
        (1, GENESIS_HASH) if account_previous is None else (account_previous[0] + 1, account_previous[1])
    )
    entry = LedgerEntry(
        seq=seq, at=at, member_id=posting.member_id, savings_type=posting.savings_type, amount=posting.amount,
        kind=posting.kind, ref_id=posting.ref_id, ref_code=posting.ref_code, balance_after=balance_after,
        prev_hash=prev_hash, account_seq=account_seq, account_prev_hash=account_prev_hash,
    )  # fmt: skip
    return msgspec.structs.replace(entry, hash=entry_hash(entry))


def _hash_ok(entry: LedgerEntry) -> str | None:
    """None if the entry's hash is its own, else the reason it is not."""
    if entry.hash_version not in HASHED_FIELDS:
        return "unknown_hash_version"
    return None if entry_hash(entry) == entry.hash else "hash_mismatch"


def find_chain_break(entries: Iterable[LedgerEntry], start_hash: str = GENESIS_HASH) -> ChainBreak | None:
    """Check the global chain over entries in ledger order: links, hashes, seq, legacy only as a prefix."""
    prev, prev_seq, seen_current = start_hash, None, False
    for entry in entries:
        if prev_seq is not None and entry.seq <= prev_seq:
            return ChainBreak(entry.seq, "out_of_order")
        if entry.prev_hash != prev:
            return ChainBreak(entry.seq, "link_broken")
        if entry.hash_version == LEGACY_HASH_VERSION and seen_current:
            return ChainBreak(entry.seq, "version_downgrade")
        if (reason := _hash_ok(entry)) is not None:
            return ChainBreak(entry.seq, reason)
        seen_current = seen_current or entry.hash_version != LEGACY_HASH_VERSION
        prev, prev_seq = entry.hash, entry.seq
    return None


def verify_chain(entries: Iterable[LedgerEntry], start_hash: str = GENESIS_HASH) -> int | None:
    """Return the seq of the first entry that breaks the global chain, or None if all verify."""
    broken = find_chain_break(entries, start_hash)
    return None if broken is None else broken.seq


def verify_account(
    entries: Sequence[LedgerEntry],
    expected_balance: int | None = None,
    account: str = "",
    first_current_seq: int | None = None,
) -> AccountVerdict:
    """Check one account's entries, in the order held (a replica sorts them by ``seq``).

    Each entry must be the account's next (``account_seq`` 1, 2, 3 …, ``seq`` rising), link to the
    account's link before it (genesis for the first), carry its own hash, and move the running
    balance by its amount. Legacy entries may only come before every version-2 entry: before
    ``first_current_seq`` (the lowest seq of any version-2 entry the caller holds, in any account;
    by default this account's). ``expected_balance`` (the account's balance as the same replica
    holds it) also catches a removed last entry. ``account`` names an account that has no entries.
    """
    if not entries:
        return _verdict(account, 0, None, expected_balance)
    first = entries[0]
    key = account_key(first.member_id, first.savings_type)
    if first_current_seq is None:
        first_current_seq = _first_current_seq(entries)
    prev: LedgerEntry | None = None
    for index, entry in enumerate(entries):
        reason = _account_step(entry, prev, index, first, first_current_seq)
        if reason is not None:
            return AccountVerdict(key, len(entries), False, entry.seq, reason, account_link(prev), _balance(prev))
        prev = entry
    return _verdict(key, len(entries), prev, expected_balance)


def _first_current_seq(entries: Iterable[LedgerEntry]) -> int | None:
    return min((e.seq for e in entries if e.hash_version != LEGACY_HASH_VERSION), default=None)


def _account_step(
    entry: LedgerEntry, prev: LedgerEntry | None, index: int, first: LedgerEntry, first_current_seq: int | None
) -> str | None:
    """The first rule ``entry`` breaks as the account's entry number ``index + 1``, or None."""
    if (entry.member_id, entry.savings_type) != (first.member_id, first.savings_type):
        return "wrong_account"
    if prev is not None and entry.seq <= prev.seq:
        return "out_of_order"
    if entry.account_seq != index + 1:
        return "account_seq_gap"
    if entry.account_prev_hash != account_link(prev):
        return "account_link_broken"
    if entry.hash_version == LEGACY_HASH_VERSION and first_current_seq is not None and entry.seq > first_current_seq:
        return "version_downgrade"
    if (reason := _hash_ok(entry)) is not None:
        return reason
    if entry.balance_after != _balance(prev) + entry.amount:
        return "balance_mismatch"
    return None


def _balance(entry: LedgerEntry | None) -> int:
    return 0 if entry is None else entry.balance_after


def _verdict(key: str, count: int, last: LedgerEntry | None, expected_balance: int | None) -> AccountVerdict:
    if expected_balance is not None and expected_balance != _balance(last):
        return AccountVerdict(key, count, False, None, "head_mismatch", account_link(last), _balance(last))
    return AccountVerdict(key, count, True, None, None, account_link(last), _balance(last))


def verify_accounts(entries: Iterable[LedgerEntry], balances: Mapping[str, int] | None = None) -> list[AccountVerdict]:
    """Check every account met in ``entries`` (grouped in the order given) and every account named in
    ``balances``; verdicts sorted by account name. Legacy entries must precede every version-2 entry
    of any account here."""
    entries = list(entries)
    groups: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        groups.setdefault(account_key(entry.member_id, entry.savings_type), []).append(entry)
    balances = balances or {}
    current = _first_current_seq(entries)
    verdicts = [verify_account(group, balances.get(key), key, current) for key, group in groups.items()]
    verdicts += [verify_account([], balance, key) for key, balance in balances.items() if key not in groups]
    return sorted(verdicts, key=lambda v: v.account)


def first_failure(verdicts: Iterable[AccountVerdict]) -> AccountVerdict | None:
    """The failed account to report first: lowest ``first_bad_seq``, then those with none (a head
    mismatch), ties by account name; None when every account verifies."""
    failed = [v for v in verdicts if not v.ok]
    if not failed:
        return None
    return min(failed, key=lambda v: (v.first_bad_seq is None, v.first_bad_seq or 0, v.account))
