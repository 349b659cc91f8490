"""The shared ledger-chain vectors (tests/vectors/ledger_chain.json): Python must reproduce every case.

The PWA's JavaScript port is held to the same file: canonical payloads and hashes of single entries,
a small ledger (legacy entries, then version-2 entries), and tampered copies of one member's replica
with the verdict each must get. The file is generated from ``CASES`` below (``python
tests/domain/test_ledger_vectors.py --write``) and checked in; every expected verdict is written by
hand in ``CASES`` and the generator refuses to write a file the code disagrees with, so regenerating
cannot silently change a verdict. The hashes are also recomputed here with ``json.dumps`` and
``hashlib``, independently of the domain code.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

if __name__ == "__main__":  # run as a script: make ``server`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from server.domain.ledger import (
    GENESIS_HASH,
    HASHED_FIELDS,
    LedgerEntry,
    account_link,
    canonical_payload,
    entry_hash,
    find_chain_break,
    first_failure,
    verify_accounts,
)

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "ledger_chain.json"
LOAN = "7f1c2a9e-5b1d-4c3e-8f00-000000000001"
MEMBER = 100

# (member, account, amount, kind, ref_id, ref_code); entries 1-6 are legacy (hash version 1)
MOVEMENTS: list[tuple[int, str, int, str, str, str]] = [
    (100, "sukarela", 500_000, "deposit", "d0000001-0000-4000-8000-000000000001", "STR-2610-000001"),
    (100, "wajib", 50_000, "deposit", "d0000001-0000-4000-8000-000000000002", "STR-2610-000002"),
    (101, "sukarela", 250_000, "deposit", "d0000001-0000-4000-8000-000000000003", "STR-2610-000003"),
    (100, "sukarela", -200_000, "withdrawal", "w0000001-0000-4000-8000-000000000001", "TRK-2610-000001"),
    (101, "pokok", 100_000, "deposit", "d0000001-0000-4000-8000-000000000004", "STR-2610-000004"),
    (100, "sukarela", 75_000, "deposit", "d0000001-0000-4000-8000-000000000005", "STR-2610-000005"),
    (100, "wajib", 50_000, "deposit", "pg:12", "PG-2026-11"),
    (100, f"pinjaman:{LOAN}", 5_000_000, "loan_disbursement", LOAN, "PJM-2611-000001"),
    (100, "sukarela", 150_000, "deposit", "d0000001-0000-4000-8000-000000000006", "STR-2611-000006"),
    (101, "sukarela", -50_000, "withdrawal", "w0000001-0000-4000-8000-000000000002", "TRK-2611-000002"),
    (100, f"pinjaman:{LOAN}", -400_000, "loan_repayment", "r0000001-0000-4000-8000-000000000001", "PJM-2611-000001"),
    (100, f"bunga:{LOAN}", 50_000, "loan_interest", "r0000001-0000-4000-8000-000000000001", "PJM-2611-000001"),
    (100, "sukarela", -25_000, "withdrawal", "w0000001-0000-4000-8000-000000000003", "TRK-2611-000003"),
    (100, f"pinjaman:{LOAN}", -400_000, "loan_repayment", "pg:13", "PJM-2611-000001"),
    (100, f"bunga:{LOAN}", 46_000, "loan_interest", "pg:13", "PJM-2611-000001"),
    (101, "sukarela", 10_000, "deposit", "d0000001-0000-4000-8000-000000000007", "STR-2611-000007"),
]
LEGACY = 6


def _seal(entry: LedgerEntry) -> LedgerEntry:
    return msgspec.structs.replace(entry, hash=entry_hash(entry))


def build_ledger() -> list[LedgerEntry]:
    """The ledger as the server holds it after migration 0004 and ten more postings."""
    entries: list[LedgerEntry] = []
    accounts: dict[tuple[int, str], LedgerEntry] = {}
    prev = GENESIS_HASH
    for i, (member, account, amount, kind, ref_id, ref_code) in enumerate(MOVEMENTS):
        seq = i + 1
        last = accounts.get((member, account))
        entry = _seal(LedgerEntry(
            seq=seq, at=f"2026-{10 if seq <= LEGACY else 11}-{seq:02d}T0{seq % 10}:15:00+00:00", member_id=member,
            savings_type=account, amount=amount, kind=kind, ref_id=ref_id, ref_code=ref_code,
            balance_after=(0 if last is None else last.balance_after) + amount, prev_hash=prev,
            account_seq=1 if last is None else last.account_seq + 1, account_prev_hash=account_link(last),
            hash_version=1 if seq <= LEGACY else 2,
        ))  # fmt: skip
        entries.append(entry)
        accounts[member, account] = entry
        prev = entry.hash
    return entries


def member_replica() -> list[LedgerEntry]:
    return [e for e in build_ledger() if e.member_id == MEMBER]


# the balances the same replica holds (savings_account rows, the loan's outstanding); bunga has none
BALANCES = {"100:sukarela": 500_000, "100:wajib": 100_000, f"100:pinjaman:{LOAN}": 4_200_000}

Entries = list[LedgerEntry]


def _at(entries: Entries, seq: int) -> int:
    return next(i for i, e in enumerate(entries) if e.seq == seq)


def edit(seq: int, rehash: bool = False, **fields: Any) -> Callable[[Entries], Entries]:
    def apply(entries: Entries) -> Entries:
        i = _at(entries, seq)
        entries[i] = msgspec.structs.replace(entries[i], **fields)
        if rehash:
            entries[i] = _seal(entries[i])
        return entries

    return apply


def remove(seq: int) -> Callable[[Entries], Entries]:
    def apply(entries: Entries) -> Entries:
        del entries[_at(entries, seq)]
        return entries

    return apply


def swap_held_order(a: int, b: int) -> Callable[[Entries], Entries]:
    def apply(entries: Entries) -> Entries:
        i, j = _at(entries, a), _at(entries, b)
        entries[i], entries[j] = entries[j], entries[i]
        return entries

    return apply


def relink(seq: int) -> Callable[[Entries], Entries]:
    """Point ``seq``'s account_prev_hash at the link its (possibly forged) predecessor now has."""

    def apply(entries: Entries) -> Entries:
        i = _at(entries, seq)
        before = [
            e for e in entries[:i] if (e.member_id, e.savings_type) == (entries[i].member_id, entries[i].savings_type)
        ]
        entries[i] = msgspec.structs.replace(entries[i], account_prev_hash=account_link(before[-1] if before else None))
        if entries[i].hash_version == 2:
            entries[i] = _seal(entries[i])
        return entries

    return apply


def duplicate(seq: int) -> Callable[[Entries], Entries]:
    def apply(entries: Entries) -> Entries:
        i = _at(entries, seq)
        entries.insert(i + 1, entries[i])
        return entries

    return apply


def steps(*changes: Callable[[Entries], Entries]) -> Callable[[Entries], Entries]:
    def apply(entries: Entries) -> Entries:
        for change in changes:
            entries = change(entries)
        return entries

    return apply


SUK, WAJ, PIN, BUN = "100:sukarela", "100:wajib", f"100:pinjaman:{LOAN}", f"100:bunga:{LOAN}"

# (name, description, tamper, balances, expected failure: None or (account, first_bad_seq, reason))
CASES: list[tuple[str, str, Callable[[Entries], Entries], dict[str, int], tuple[str, int | None, str] | None]] = [
    ("intact", "Member 100's replica as pulled: legacy and version-2 entries, four accounts.", steps(), BALANCES, None),
    (
        "v2_amount_edited",
        "A version-2 entry's amount changed, hash left: its own hash fails.",
        edit(9, amount=1_500_000),
        BALANCES,
        (SUK, 9, "hash_mismatch"),
    ),
    (
        "v2_forged_middle_with_rehash",
        "A version-2 entry forged and re-hashed: the next entry no longer links to it.",
        edit(9, rehash=True, amount=1_500_000, balance_after=1_875_000),
        BALANCES,
        (SUK, 13, "account_link_broken"),
    ),
    (
        "v2_forged_middle_rehash_and_relink",
        "Forged, re-hashed and the next entry relinked and re-hashed: the running balance shows it.",
        steps(edit(9, rehash=True, amount=1_500_000, balance_after=1_875_000), relink(13)),
        BALANCES,
        (SUK, 13, "balance_mismatch"),
    ),
    (
        "v2_forged_last_with_rehash",
        "The last entry forged and re-hashed: the account's balance disagrees with the chain's head.",
        edit(13, rehash=True, amount=-2_500, balance_after=522_500),
        BALANCES,
        (SUK, None, "head_mismatch"),
    ),
    (
        "middle_entry_removed",
        "A middle entry removed: the next entry's account_seq leaves a gap.",
        remove(9),
        BALANCES,
        (SUK, 13, "account_seq_gap"),
    ),
    (
        "last_entry_removed",
        "The account's last entry removed: only the balance can tell.",
        remove(13),
        BALANCES,
        (SUK, None, "head_mismatch"),
    ),
    (
        "first_entry_removed",
        "The account's first (legacy) entry removed.",
        remove(1),
        BALANCES,
        (SUK, 4, "account_seq_gap"),
    ),
    (
        "loan_entry_removed",
        "A loan repayment removed from the pinjaman account.",
        remove(11),
        BALANCES,
        (PIN, 14, "account_seq_gap"),
    ),
    (
        "held_order_swapped",
        "Two entries of one account held in the wrong order.",
        swap_held_order(9, 13),
        BALANCES,
        (SUK, 13, "account_seq_gap"),
    ),
    (
        "positions_swapped",
        "Two version-2 entries exchange their account places (account_seq): their hashes fail.",
        steps(edit(9, account_seq=5), edit(13, account_seq=4)),
        BALANCES,
        (SUK, 9, "account_seq_gap"),
    ),
    (
        "positions_swapped_with_rehash",
        "Places exchanged and both re-hashed: the links no longer match.",
        steps(edit(9, rehash=True, account_seq=5), edit(13, rehash=True, account_seq=4)),
        BALANCES,
        (SUK, 9, "account_seq_gap"),
    ),
    ("duplicated_entry", "One entry delivered twice.", duplicate(8), BALANCES, (PIN, 8, "out_of_order")),
    (
        "legacy_amount_edited",
        "A legacy entry's amount changed, hash left.",
        edit(4, amount=-20_000),
        BALANCES,
        (SUK, 4, "hash_mismatch"),
    ),
    (
        "legacy_forged_with_rehash",
        "A legacy entry forged with its version-1 hash recomputed: the next link fails.",
        edit(4, rehash=True, ref_code="TRK-2610-999999"),
        BALANCES,
        (SUK, 6, "account_link_broken"),
    ),
    (
        "legacy_forged_rehash_and_relink",
        "Legacy forgery relinked (a legacy hash does not cover its own link): the fold still changes, so the first version-2 entry's sealed link fails.",
        steps(edit(4, rehash=True, ref_code="TRK-2610-999999"), relink(6)),
        BALANCES,
        (SUK, 9, "account_link_broken"),
    ),
    (
        "legacy_link_edited",
        "A legacy entry's derived account_prev_hash changed.",
        edit(6, account_prev_hash="1" * 64),
        BALANCES,
        (SUK, 6, "account_link_broken"),
    ),
    (
        "legacy_account_seq_edited",
        "A legacy entry's derived account_seq changed.",
        edit(2, account_seq=2),
        BALANCES,
        (WAJ, 2, "account_seq_gap"),
    ),
    (
        "v2_downgraded_to_legacy",
        "A version-2 entry relabelled version 1 and re-hashed the legacy way (its account fields escape the hash).",
        edit(9, rehash=True, hash_version=1),
        BALANCES,
        (SUK, 9, "version_downgrade"),
    ),
    (
        "unknown_hash_version",
        "An entry claiming a hash version this spec does not define.",
        edit(12, hash_version=3),
        BALANCES,
        (BUN, 12, "unknown_hash_version"),
    ),
    (
        "moved_to_another_account",
        "An entry moved to another savings type and re-hashed.",
        edit(7, rehash=True, savings_type="sukarela"),
        BALANCES,
        (SUK, 7, "account_seq_gap"),
    ),
    (
        "balance_written_wrong",
        "The last entry's balance_after does not follow from the one before (hash consistent).",
        edit(15, rehash=True, balance_after=46_000),
        BALANCES,
        (BUN, 15, "balance_mismatch"),
    ),
    (
        "account_without_entries",
        "The replica holds a balance for an account whose entries are all missing.",
        steps(remove(2), remove(7)),
        BALANCES,
        (WAJ, None, "head_mismatch"),
    ),
    (
        "two_accounts_broken",
        "Two accounts broken: the lowest first_bad_seq is reported first.",
        steps(edit(14, amount=-1), edit(9, amount=1)),
        BALANCES,
        (SUK, 9, "hash_mismatch"),
    ),
]


def _entry_json(entry: LedgerEntry) -> dict[str, Any]:
    return msgspec.to_builtins(entry)


HASH_EXAMPLES: list[tuple[str, LedgerEntry]] = [
    ("legacy", build_ledger()[0]),
    ("current", build_ledger()[8]),
    (
        "escaping",
        _seal(
            LedgerEntry(
                seq=1_000_000,
                at="2026-11-30T23:59:59.999999+00:00",
                member_id=9_007_199_254_740_991,
                savings_type="sukarela",
                amount=-1_000_000_000_000,
                kind="withdrawal",
                ref_id='quote " backslash \\ slash / tab \t newline \n nul \x00 unit \x1f del \x7f',
                ref_code="Simpanan Sukarela — Bu Siti’s é 😀 \u2028",
                balance_after=0,
                prev_hash=GENESIS_HASH,
                account_seq=1,
                account_prev_hash=GENESIS_HASH,
            )
        ),
    ),  # fmt: skip
]


def _verdict_json(entries: Entries, balances: dict[str, int]) -> dict[str, Any]:
    verdicts = verify_accounts(entries, balances)
    first = first_failure(verdicts)
    return {
        "ok": first is None,
        "entries": len(entries),
        "first_bad": None
        if first is None
        else {"account": first.account, "seq": first.first_bad_seq, "reason": first.reason},
        "accounts": [msgspec.to_builtins(v) for v in verdicts],
    }


def build_vectors() -> dict[str, Any]:
    ledger = build_ledger()
    cases = []
    for name, description, tamper, balances, expected in CASES:
        entries = tamper(member_replica())
        verdict = _verdict_json(entries, balances)
        got = None if verdict["first_bad"] is None else tuple(verdict["first_bad"].values())
        if got != expected:
            raise AssertionError(f"{name}: expected {expected}, the code says {got}")
        cases.append({"name": name, "description": description, "entries": [_entry_json(e) for e in entries],
                      "balances": balances, "expected": verdict})  # fmt: skip
    relinked = steps(edit(4, rehash=True, ref_code="TRK-2610-999999"), relink(6))(build_ledger())
    return {
        "spec": "docs/PROTOCOL.md, 'Ledger hash chains'. hash = lowercase hex SHA-256 of the UTF-8 canonical JSON "
        "(keys sorted, no whitespace, = JSON.stringify) of the version's hashed_fields. Accounts are checked "
        "with entries sorted by seq; the checks run in the order of 'check_order' and the first that fails "
        "names the entry. Regenerate only with: python tests/domain/test_ledger_vectors.py --write",
        "genesis_hash": GENESIS_HASH,
        "hashed_fields": {str(v): list(f) for v, f in HASHED_FIELDS.items()},
        "legacy_link": "sha256_hex(utf8(account_prev_hash + hash)) after a hash_version 1 entry; hash after a version 2 entry; genesis before the first",
        "check_order": [
            "wrong_account",
            "out_of_order",
            "account_seq_gap",
            "account_link_broken",
            "version_downgrade",
            "unknown_hash_version|hash_mismatch",
            "balance_mismatch",
            "head_mismatch (after the last entry, against the replica's balance when it has one)",
        ],
        "hash_examples": [
            {
                "name": name,
                "entry": _entry_json(e),
                "canonical": canonical_payload(e).decode(),
                "hash": e.hash,
                "link": account_link(e),
            }
            for name, e in HASH_EXAMPLES
        ],  # fmt: skip
        "ledger": {
            "description": "The whole ledger (server side): entries 1-6 legacy, 7-16 version 2; the global chain verifies.",
            "entries": [_entry_json(e) for e in ledger],
            "expected_global": None,
        },
        "global_cases": [
            {
                "name": "legacy_forged_rehash_and_relink",
                "description": "The forgery of the member case of that name, in the whole ledger.",
                "entries": [_entry_json(e) for e in relinked],
                "expected_global": {"seq": 5, "reason": "link_broken"},
            },
        ],  # fmt: skip
        "cases": cases,
    }


# --- tests ---------------------------------------------------------------------------------------

DATA = json.loads(VECTORS.read_text(encoding="utf-8")) if VECTORS.exists() else {}


def _entry(data: dict[str, Any]) -> LedgerEntry:
    return msgspec.convert(data, LedgerEntry)


def test_vector_file_is_what_the_generator_writes():
    assert json.loads(json.dumps(build_vectors())) == DATA


@pytest.mark.parametrize("example", DATA.get("hash_examples", []), ids=lambda e: e["name"])
def test_hash_example_is_sha256_of_json_dumps_of_the_sorted_hashed_fields(example):
    entry = example["entry"]
    fields = DATA["hashed_fields"][str(entry["hash_version"])]
    canonical = json.dumps({k: entry[k] for k in fields}, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    assert canonical == example["canonical"]
    assert hashlib.sha256(canonical.encode()).hexdigest() == example["hash"] == entry_hash(_entry(entry))
    assert canonical_payload(_entry(entry)).decode() == canonical


def test_the_whole_ledger_verifies_globally_and_per_account():
    entries = [_entry(e) for e in DATA["ledger"]["entries"]]

    assert find_chain_break(entries) is None
    assert all(v.ok for v in verify_accounts(entries))


@pytest.mark.parametrize("case", DATA.get("global_cases", []), ids=lambda c: c["name"])
def test_global_case(case):
    broken = find_chain_break([_entry(e) for e in case["entries"]])

    assert broken is not None and {"seq": broken.seq, "reason": broken.reason} == case["expected_global"]


@pytest.mark.parametrize("case", DATA.get("cases", []), ids=lambda c: c["name"])
def test_member_replica_case(case):
    entries = [_entry(e) for e in case["entries"]]

    assert _verdict_json(entries, case["balances"]) == case["expected"]


def test_every_tampered_case_fails_and_only_the_intact_one_passes():
    verdicts = {c["name"]: c["expected"]["ok"] for c in DATA["cases"]}

    assert verdicts.pop("intact") is True
    assert not any(verdicts.values())


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        VECTORS.write_text(json.dumps(build_vectors(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {VECTORS}")
    else:
        print("usage: python tests/domain/test_ledger_vectors.py --write")
