"""The ledger's two hash chains: the global one (every entry covers the previous entry's hash) and one
per account (every entry covers its place in its account and the account's previous link), so the
board finds any edit or deletion of history and a member finds one in their own entries alone."""

from __future__ import annotations

import hashlib
import json

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.ledger import (
    GENESIS_HASH,
    HASHED_FIELDS,
    LedgerEntry,
    account_key,
    account_link,
    entry_hash,
    find_chain_break,
    first_failure,
    new_entry,
    verify_account,
    verify_accounts,
    verify_chain,
)
from server.domain.models import Posting

V1_FIELDS = (
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
V2_FIELDS = (*V1_FIELDS, "account_seq", "account_prev_hash")


def chain(
    movements: list[tuple[int, str, int]], start: tuple[int, str] | None = None, legacy: int = 0
) -> list[LedgerEntry]:
    """Append (member_id, savings_type, amount) movements the way the ledger does.

    The first ``legacy`` entries are written as hash version 1 with the account fields migration 0004
    derives for them; the rest through ``new_entry`` (version 2)."""
    entries: list[LedgerEntry] = []
    last_of: dict[tuple[int, str], LedgerEntry] = {}
    previous = start
    for i, (member_id, savings_type, amount) in enumerate(movements):
        at = f"2026-11-25T{9 + i // 60:02d}:{i % 60:02d}:00+00:00"
        posting = Posting(
            member_id, savings_type, amount, "deposit" if amount >= 0 else "withdrawal", f"ref-{i}", f"STR-{i:04d}"
        )
        last = last_of.get((member_id, savings_type))
        balance = (0 if last is None else last.balance_after) + amount
        account_previous = None if last is None else (last.account_seq, account_link(last))
        entry = new_entry(posting, at=at, balance_after=balance, previous=previous, account_previous=account_previous)
        if i < legacy:
            entry = msgspec.structs.replace(entry, hash_version=1)
            entry = msgspec.structs.replace(entry, hash=entry_hash(entry))
        entries.append(entry)
        last_of[member_id, savings_type] = entry
        previous = (entry.seq, entry.hash)
    return entries


def brk(entries: list[LedgerEntry]) -> tuple[int | None, str] | None:
    broken = find_chain_break(entries)
    return None if broken is None else (broken.seq, broken.reason)


def account_of(entries: list[LedgerEntry], member_id: int, savings_type: str) -> list[LedgerEntry]:
    return [e for e in entries if (e.member_id, e.savings_type) == (member_id, savings_type)]


def balances(entries: list[LedgerEntry]) -> dict[str, int]:
    """What a replica's savings_account rows say: the running balance after each account's last entry."""
    return {account_key(e.member_id, e.savings_type): e.balance_after for e in entries}


def resealed(entry: LedgerEntry, **changes) -> LedgerEntry:
    """A forger's edit: change fields and recompute the entry's own hash."""
    changed = msgspec.structs.replace(entry, **changes)
    return msgspec.structs.replace(changed, hash=entry_hash(changed))


SIX = [(100, "sukarela", 500_000), (100, "wajib", 50_000), (101, "sukarela", 250_000),
       (100, "sukarela", -200_000), (101, "pokok", 100_000), (100, "sukarela", 75_000)]  # fmt: skip


# --- the hash --------------------------------------------------------------------------------------


def test_genesis_hash_is_sixty_four_zeros():
    assert GENESIS_HASH == "0" * 64


def test_hashed_fields_of_each_version():
    assert HASHED_FIELDS == {1: V1_FIELDS, 2: V2_FIELDS}


def test_entry_hash_is_deterministic_and_a_sha256_hex_digest():
    entry = chain(SIX)[0]
    unhashed = msgspec.structs.replace(entry, hash="")

    assert entry_hash(entry) == entry_hash(unhashed) == entry.hash
    assert len(entry.hash) == 64
    assert set(entry.hash) <= set("0123456789abcdef")


@pytest.mark.parametrize("version, fields", [(1, V1_FIELDS), (2, V2_FIELDS)])
def test_entry_hash_is_sha256_of_sorted_key_json_of_the_versions_fields(version, fields):
    entry = chain(SIX, legacy=6 if version == 1 else 0)[3]
    payload = {name: getattr(entry, name) for name in fields}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()

    assert entry.hash_version == version
    assert entry_hash(entry) == hashlib.sha256(canonical).hexdigest()


def test_entry_hash_ignores_the_stored_hash_itself():
    entry = chain(SIX)[0]

    assert entry_hash(msgspec.structs.replace(entry, hash="f" * 64)) == entry.hash


def test_entry_hash_refuses_an_unknown_version():
    with pytest.raises(ValueError, match="unknown hash version"):
        entry_hash(msgspec.structs.replace(chain(SIX)[0], hash_version=3))


@pytest.mark.parametrize(
    "field, value",
    [
        ("seq", 99), ("at", "2026-11-26T09:00:00+00:00"), ("member_id", 999), ("savings_type", "wajib"),
        ("amount", 500_001), ("kind", "withdrawal"), ("ref_id", "ref-x"), ("ref_code", "STR-9999"),
        ("balance_after", 1), ("prev_hash", "1" * 64), ("account_seq", 2), ("account_prev_hash", "1" * 64),
        ("hash_version", 1),
    ],
)  # fmt: skip
def test_a_current_entry_hash_changes_when_any_hashed_field_changes(field, value):
    entry = chain(SIX)[0]

    assert entry_hash(msgspec.structs.replace(entry, **{field: value})) != entry.hash


def test_a_legacy_hash_does_not_cover_the_account_fields_so_its_link_folds_them_in():
    legacy = chain(SIX, legacy=6)[3]
    relinked = msgspec.structs.replace(legacy, account_prev_hash="1" * 64)

    assert entry_hash(relinked) == legacy.hash
    assert account_link(relinked) != account_link(legacy)
    assert account_link(legacy) == hashlib.sha256((legacy.account_prev_hash + legacy.hash).encode()).hexdigest()


def test_entry_hash_tells_a_number_from_the_same_digits_as_text():
    entry = chain(SIX)[0]

    assert entry_hash(msgspec.structs.replace(entry, ref_id="1")) != entry_hash(
        msgspec.structs.replace(entry, ref_id=1)  # type: ignore[arg-type]  # a wrong type on purpose
    )


# --- new entries -------------------------------------------------------------------------------------


def test_new_entry_links_to_the_ledger_and_to_its_account():
    entries = chain(SIX)
    fourth = entries[3]

    assert (fourth.seq, fourth.prev_hash) == (4, entries[2].hash)
    assert (fourth.account_seq, fourth.account_prev_hash) == (2, entries[0].hash)
    assert fourth.hash_version == 2 and fourth.hash == entry_hash(fourth)


def test_the_first_entry_of_the_ledger_and_of_each_account_starts_from_genesis():
    entries = chain(SIX)

    assert entries[0].prev_hash == GENESIS_HASH
    assert [(e.account_seq, e.account_prev_hash) for e in entries if e.account_seq == 1] == [(1, GENESIS_HASH)] * 4


# --- the global chain -------------------------------------------------------------------------------


def test_good_chain_verifies():
    assert verify_chain(chain(SIX)) is None
    assert verify_chain(chain(SIX, legacy=3)) is None


def test_empty_chain_verifies():
    assert verify_chain([]) is None


def test_chain_continuing_from_an_earlier_segment_verifies_from_that_segments_last_hash():
    entries = chain(SIX)
    head, tail = entries[:3], entries[3:]

    assert verify_chain(tail, start_hash=head[-1].hash) is None
    assert verify_chain(tail) == 4  # without the start hash the segment does not link to genesis


def test_changed_amount_is_found_at_that_entry():
    entries = chain(SIX)
    entries[2] = msgspec.structs.replace(entries[2], amount=2_500_000)

    assert brk(entries) == (3, "hash_mismatch")


def test_changed_amount_with_a_recomputed_hash_is_found_at_the_next_entry():
    entries = chain(SIX)
    entries[2] = resealed(entries[2], amount=2_500_000, balance_after=2_500_000)

    assert brk(entries) == (4, "link_broken")


def test_entry_deleted_from_the_middle_is_found_at_the_entry_after_the_gap():
    entries = chain(SIX)
    del entries[2]

    assert verify_chain(entries) == 4


def test_first_entry_deleted_is_found_because_the_next_no_longer_links_to_genesis():
    assert verify_chain(chain(SIX)[1:]) == 2


def test_wrong_prev_hash_is_found_even_when_the_entrys_own_hash_is_recomputed():
    entries = chain(SIX)
    entries[4] = resealed(entries[4], prev_hash=entries[2].hash)

    assert verify_chain(entries) == 5


def test_first_entry_that_does_not_start_from_genesis_is_found():
    entries = chain(SIX, start=(0, "a" * 64))

    assert verify_chain(entries) == 1
    assert verify_chain(entries, start_hash="a" * 64) is None


def test_swapped_entries_are_found_at_the_first_out_of_place_one():
    entries = chain(SIX)
    entries[1], entries[2] = entries[2], entries[1]

    assert brk(entries) == (3, "link_broken")
    original = chain(SIX)
    assert brk([original[0], original[1], original[1], *original[2:]]) == (2, "out_of_order")  # delivered twice


def test_only_the_first_of_several_tampered_entries_is_reported():
    entries = chain(SIX)
    entries[4] = msgspec.structs.replace(entries[4], amount=1)
    entries[1] = msgspec.structs.replace(entries[1], amount=1)

    assert verify_chain(entries) == 2


def test_a_legacy_entry_after_a_current_one_is_a_downgrade_in_the_global_chain():
    entries = chain(SIX, legacy=2)
    entries[4] = resealed(entries[4], hash_version=1)
    entries[5] = msgspec.structs.replace(entries[5], prev_hash=entries[4].hash)

    assert brk(entries) == (5, "version_downgrade")


# --- one account's chain ------------------------------------------------------------------------------

MIXED = [(100, "sukarela", 500_000), (101, "sukarela", 10_000), (100, "sukarela", -200_000),
         (100, "wajib", 50_000), (100, "sukarela", 75_000), (101, "sukarela", 5_000),
         (100, "sukarela", 30_000), (100, "sukarela", -5_000)]  # fmt: skip


@pytest.mark.parametrize("legacy", [0, 3, 8])
def test_a_members_own_entries_verify_without_anyone_elses(legacy):
    mine = [e for e in chain(MIXED, legacy=legacy) if e.member_id == 100]
    verdicts = verify_accounts(mine, balances(mine))

    assert [(v.account, v.entries, v.ok) for v in verdicts] == [("100:sukarela", 5, True), ("100:wajib", 1, True)]
    assert verdicts[0].balance == 400_000 and verdicts[0].head_hash == account_link(mine[-1])
    assert first_failure(verdicts) is None


def test_an_account_with_no_entries_and_no_balance_verifies():
    assert verify_account([], 0, "100:sukarela").ok
    assert verify_account([], None, "100:sukarela").ok


def test_a_balance_without_entries_is_a_head_mismatch():
    verdict = verify_account([], 5_000, "100:sukarela")
    assert (verdict.ok, verdict.first_bad_seq, verdict.reason) == (False, None, "head_mismatch")


def test_entries_of_two_accounts_given_as_one_are_refused():
    entries = chain(MIXED)

    assert verify_account(entries[:2]).reason == "wrong_account"


def test_the_verdict_names_where_the_check_stopped():
    suk = account_of(chain(MIXED), 100, "sukarela")
    suk[2] = msgspec.structs.replace(suk[2], amount=1)
    verdict = verify_account(suk)

    assert (verdict.first_bad_seq, verdict.reason, verdict.entries) == (suk[2].seq, "hash_mismatch", 5)
    assert (verdict.head_hash, verdict.balance) == (suk[1].hash, 300_000)


def test_first_failure_prefers_the_lowest_seq_then_entries_over_head_mismatches():
    entries = chain(MIXED)
    mine = [e for e in entries if e.member_id == 100]
    held = balances(mine) | {"100:wajib": 1}
    only_head = first_failure(verify_accounts(mine, held))
    assert only_head is not None and (only_head.account, only_head.reason) == ("100:wajib", "head_mismatch")

    mine[4] = msgspec.structs.replace(mine[4], amount=1)  # sukarela's 4th entry
    first = first_failure(verify_accounts(mine, held))
    assert first is not None and (first.account, first.first_bad_seq, first.reason) == (
        "100:sukarela",
        mine[4].seq,
        "hash_mismatch",
    )


# --- properties -------------------------------------------------------------------------------------

movement = st.tuples(
    st.integers(min_value=1, max_value=3),
    st.sampled_from(["pokok", "wajib", "sukarela"]),
    st.integers(min_value=-10_000_000, max_value=10_000_000).filter(lambda a: a != 0),
)
movements = st.lists(movement, min_size=1, max_size=25)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[LedgerEntry], int, str]:
    """A ledger (some legacy entries first), one account in it, and that member's replica order."""
    moves = draw(movements)
    legacy = draw(st.integers(min_value=0, max_value=len(moves)))
    entries = chain(moves, legacy=legacy)
    member_id, savings_type, _ = draw(st.sampled_from(moves))
    return entries, member_id, savings_type


def _member_verdict(entries: list[LedgerEntry], member_id: int, held: dict[str, int]):
    mine = sorted((e for e in entries if e.member_id == member_id), key=lambda e: e.seq)
    return first_failure(verify_accounts(mine, held))


@given(ledgers())
def test_any_ledger_verifies_globally_and_in_every_members_replica(ledger):
    entries, member_id, _ = ledger
    mine = [e for e in entries if e.member_id == member_id]

    assert verify_chain(entries) is None
    assert all(v.ok for v in verify_accounts(entries, balances(entries)))
    assert _member_verdict(entries, member_id, balances(mine)) is None


def _different(value):
    """A value of the same type that differs from the given one."""
    if isinstance(value, int):
        return st.integers(min_value=-(10**12), max_value=10**12).filter(lambda v: v != value)
    return st.text(max_size=70).filter(lambda v: v != value)


EDITABLE = (*V2_FIELDS, "hash_version", "hash")


@settings(max_examples=400, deadline=None)
@given(ledger=ledgers(), data=st.data())
def test_any_edit_of_one_field_of_an_accounts_entry_is_found_at_that_entry(ledger, data):
    entries, member_id, savings_type = ledger
    mine = [e for e in entries if e.member_id == member_id]
    held = balances(mine)
    account = account_of(mine, member_id, savings_type)
    target = data.draw(st.sampled_from(account), label="entry")
    field = data.draw(st.sampled_from(EDITABLE), label="field")
    value = data.draw(_different(getattr(target, field)), label="value")
    # a forger's new hash hides an edit only where something later pins the entry: an entry after it
    # in the account, or the running balance (amount, balance_after); relabelling the version alone
    # changes no content
    pinned = target is not account[-1] or field in ("amount", "balance_after")
    reseal = data.draw(st.booleans(), label="reseal") and field not in ("hash", "hash_version") and pinned

    tampered = msgspec.structs.replace(target, **{field: value})
    if reseal and tampered.hash_version in HASHED_FIELDS:
        tampered = msgspec.structs.replace(tampered, hash=entry_hash(tampered))
    mine = [tampered if e is target else e for e in mine]
    verdicts = verify_accounts(sorted(mine, key=lambda e: e.seq), held)
    verdict = next(v for v in verdicts if v.account == account_key(member_id, savings_type))

    assert not verdict.ok
    if not reseal and field not in ("seq", "member_id", "savings_type"):
        assert verdict.first_bad_seq == target.seq  # an edit not covered by a new hash: found at the entry


@settings(max_examples=300, deadline=None)
@given(ledger=ledgers(), data=st.data())
def test_any_entry_removed_from_an_account_is_found(ledger, data):
    entries, member_id, savings_type = ledger
    mine = [e for e in entries if e.member_id == member_id]
    held = balances(mine)
    account = account_of(mine, member_id, savings_type)
    index = data.draw(st.integers(min_value=0, max_value=len(account) - 1), label="index")
    removed = account[index]

    verdict = verify_accounts([e for e in mine if e is not removed], held)
    failed = next(v for v in verdict if v.account == account_key(member_id, savings_type))

    assert not failed.ok
    if index < len(account) - 1:
        assert (failed.first_bad_seq, failed.reason) == (account[index + 1].seq, "account_seq_gap")
    else:
        assert (failed.first_bad_seq, failed.reason) == (None, "head_mismatch")


@settings(max_examples=300, deadline=None)
@given(ledger=ledgers(), data=st.data())
def test_any_reordering_of_an_accounts_entries_is_found(ledger, data):
    entries, member_id, savings_type = ledger
    account = account_of(entries, member_id, savings_type)
    order = (
        data.draw(st.permutations(range(len(account))).filter(lambda p: list(p) != sorted(p)), label="order")
        if len(account) > 1
        else None
    )
    if order is None:
        return

    verdict = verify_account([account[i] for i in order], account[-1].balance_after)

    assert not verdict.ok and verdict.reason in ("out_of_order", "account_seq_gap")


@settings(max_examples=300, deadline=None)
@given(ledger=ledgers(), data=st.data())
def test_a_forged_entry_is_found_by_the_member_when_a_later_current_entry_seals_it_and_always_globally(ledger, data):
    """The forger changes one of the member's entries (keeping its amount), re-hashes it, and relinks
    every legacy entry after it (their hashes do not cover their links). The first version-2 entry
    after it has a sealed link; re-hashing that one too would be a rewrite of the account's whole tail,
    which no chain can tell from the truth without a copy of the head."""
    entries, member_id, savings_type = ledger
    account = account_of(entries, member_id, savings_type)
    target = data.draw(st.integers(min_value=0, max_value=len(account) - 1), label="index")
    forged = {account[target].seq: resealed(account[target], ref_code="FORGED")}
    sealed_later = False
    for later in account[target + 1 :]:
        if later.hash_version == 2:
            sealed_later = True
            break
        before = max((e for e in forged.values() if e.seq < later.seq), key=lambda e: e.seq)
        forged[later.seq] = msgspec.structs.replace(later, account_prev_hash=account_link(before))
    tampered = [forged.get(e.seq, e) for e in entries]
    mine = [e for e in tampered if e.member_id == member_id]

    if sealed_later:
        assert _member_verdict(mine, member_id, balances([e for e in entries if e.member_id == member_id])) is not None
    if account[target] is not entries[-1]:
        assert verify_chain(tampered) is not None
