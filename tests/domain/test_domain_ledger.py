"""The hash-chained ledger: each entry's hash covers the previous one, so any edit or deletion is found."""

from __future__ import annotations

import hashlib
import json

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.ledger import GENESIS_HASH, LedgerEntry, entry_hash, verify_chain

HASHED_FIELDS = ("seq", "at", "member_id", "savings_type", "amount", "kind", "ref_id", "ref_code", "balance_after", "prev_hash")


def chain(movements: list[tuple[int, str, int]], start_hash: str = GENESIS_HASH, first_seq: int = 1) -> list[LedgerEntry]:
    """Append (member_id, savings_type, amount) movements the way the ledger does, hashing each entry."""
    entries: list[LedgerEntry] = []
    balances: dict[tuple[int, str], int] = {}
    prev = start_hash
    for i, (member_id, savings_type, amount) in enumerate(movements):
        seq = first_seq + i
        balances[member_id, savings_type] = balances.get((member_id, savings_type), 0) + amount
        entry = LedgerEntry(
            seq=seq,
            at=f"2026-11-25T{9 + i // 60:02d}:{i % 60:02d}:00+00:00",
            member_id=member_id,
            savings_type=savings_type,
            amount=amount,
            kind="deposit" if amount >= 0 else "withdrawal",
            ref_id=f"ref-{seq}",
            ref_code=f"{'STR' if amount >= 0 else 'TRK'}-{seq:04d}",
            balance_after=balances[member_id, savings_type],
            prev_hash=prev,
        )
        entry = msgspec.structs.replace(entry, hash=entry_hash(entry))
        entries.append(entry)
        prev = entry.hash
    return entries


SIX = [(100, "sukarela", 500_000), (100, "wajib", 50_000), (101, "sukarela", 250_000),
       (100, "sukarela", -200_000), (101, "pokok", 100_000), (100, "sukarela", 75_000)]  # fmt: skip


def test_genesis_hash_is_sixty_four_zeros():
    assert GENESIS_HASH == "0" * 64


def test_entry_hash_is_deterministic_and_a_sha256_hex_digest():
    entry = chain(SIX)[0]
    unhashed = msgspec.structs.replace(entry, hash="")

    assert entry_hash(entry) == entry_hash(unhashed) == entry.hash
    assert len(entry.hash) == 64
    assert set(entry.hash) <= set("0123456789abcdef")


def test_entry_hash_is_sha256_of_sorted_key_json_of_every_field_but_the_hash():
    entry = chain(SIX)[0]
    payload = {name: getattr(entry, name) for name in HASHED_FIELDS}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()

    assert entry_hash(entry) == hashlib.sha256(canonical).hexdigest()


def test_entry_hash_ignores_the_stored_hash_itself():
    entry = chain(SIX)[0]

    assert entry_hash(msgspec.structs.replace(entry, hash="f" * 64)) == entry.hash


@pytest.mark.parametrize(
    "field, value",
    [
        ("seq", 99),
        ("at", "2026-11-26T09:00:00+00:00"),
        ("member_id", 999),
        ("savings_type", "wajib"),
        ("amount", 500_001),
        ("kind", "withdrawal"),
        ("ref_id", "ref-x"),
        ("ref_code", "STR-9999"),
        ("balance_after", 1),
        ("prev_hash", "1" * 64),
    ],
)
def test_entry_hash_changes_when_any_hashed_field_changes(field, value):
    entry = chain(SIX)[0]

    assert entry_hash(msgspec.structs.replace(entry, **{field: value})) != entry.hash


def test_entry_hash_tells_a_number_from_the_same_digits_as_text():
    entry = chain(SIX)[0]

    assert entry_hash(msgspec.structs.replace(entry, ref_id="1")) != entry_hash(
        msgspec.structs.replace(entry, ref_id=1)  # type: ignore[arg-type]
    )


def test_good_chain_verifies():
    entries = chain(SIX)

    assert verify_chain(entries) is None


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

    assert verify_chain(entries) == 3


def test_changed_amount_with_a_recomputed_hash_is_found_at_the_next_entry():
    entries = chain(SIX)
    forged = msgspec.structs.replace(entries[2], amount=2_500_000, balance_after=2_500_000)
    entries[2] = msgspec.structs.replace(forged, hash=entry_hash(forged))

    assert verify_chain(entries) == 4


def test_entry_deleted_from_the_middle_is_found_at_the_entry_after_the_gap():
    entries = chain(SIX)
    del entries[2]

    assert verify_chain(entries) == 4


def test_first_entry_deleted_is_found_because_the_next_no_longer_links_to_genesis():
    entries = chain(SIX)

    assert verify_chain(entries[1:]) == 2


def test_wrong_prev_hash_is_found_at_that_entry():
    entries = chain(SIX)
    entries[4] = msgspec.structs.replace(entries[4], prev_hash=entries[2].hash)

    assert verify_chain(entries) == 5


def test_wrong_prev_hash_is_found_even_when_the_entrys_own_hash_is_recomputed():
    entries = chain(SIX)
    relinked = msgspec.structs.replace(entries[4], prev_hash=entries[2].hash)
    entries[4] = msgspec.structs.replace(relinked, hash=entry_hash(relinked))

    assert verify_chain(entries) == 5


def test_first_entry_that_does_not_start_from_genesis_is_found():
    entries = chain(SIX, start_hash="a" * 64)

    assert verify_chain(entries) == 1
    assert verify_chain(entries, start_hash="a" * 64) is None


def test_swapped_entries_are_found_at_the_first_out_of_place_one():
    entries = chain(SIX)
    entries[1], entries[2] = entries[2], entries[1]

    assert verify_chain(entries) == 3


def test_only_the_first_of_several_tampered_entries_is_reported():
    entries = chain(SIX)
    entries[4] = msgspec.structs.replace(entries[4], amount=1)
    entries[1] = msgspec.structs.replace(entries[1], amount=1)

    assert verify_chain(entries) == 2


# --- properties -------------------------------------------------------------------------------------

movements = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=5),
        st.sampled_from(["pokok", "wajib", "sukarela"]),
        st.integers(min_value=-10_000_000, max_value=10_000_000),
    ),
    min_size=1,
    max_size=25,
)


@given(movements)
def test_any_chain_built_with_entry_hash_verifies(moves):
    assert verify_chain(chain(moves)) is None


def _different(value):
    """A value of the same type that differs from the given one."""
    if isinstance(value, int):
        return st.integers(min_value=-(10**12), max_value=10**12).filter(lambda v: v != value)
    return st.text(max_size=70).filter(lambda v: v != value)


@settings(max_examples=300, deadline=None)
@given(moves=movements, data=st.data())
def test_any_single_modified_field_is_found_at_the_modified_entry(moves, data):
    entries = chain(moves)
    index = data.draw(st.integers(min_value=0, max_value=len(entries) - 1), label="index")
    field = data.draw(st.sampled_from(HASHED_FIELDS + ("hash",)), label="field")
    value = data.draw(_different(getattr(entries[index], field)), label="value")

    tampered = msgspec.structs.replace(entries[index], **{field: value})
    entries[index] = tampered

    assert verify_chain(entries) == tampered.seq


@settings(max_examples=200, deadline=None)
@given(moves=movements.filter(lambda m: len(m) >= 2), data=st.data())
def test_any_deleted_entry_but_the_last_is_found_at_the_entry_after_it(moves, data):
    entries = chain(moves)
    index = data.draw(st.integers(min_value=0, max_value=len(entries) - 2), label="index")

    del entries[index]

    assert verify_chain(entries) == entries[index].seq == index + 2
