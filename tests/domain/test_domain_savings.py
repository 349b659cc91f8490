"""Savings types and the savings card (kartu simpanan): opening balance, lines with running balance, closing."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.domain.models import SavingsType
from server.domain.savings import DEFAULT_SAVINGS_TYPES, CardLine, SavingsCard, savings_card


def test_default_savings_types_are_pokok_wajib_and_sukarela():
    assert (
        SavingsType("pokok", "Simpanan Pokok", withdrawable=False),
        SavingsType("wajib", "Simpanan Wajib", withdrawable=False),
        SavingsType("sukarela", "Simpanan Sukarela", withdrawable=True),
    ) == DEFAULT_SAVINGS_TYPES


def test_savings_card_shows_each_movement_with_a_running_balance_and_totals():
    card = savings_card(
        "sukarela",
        "2026-11-01",
        "2026-11-30",
        1_000_000,
        [
            ("2026-11-03T09:00:00+07:00", "STR-0001", "deposit", 250_000),
            ("2026-11-10T10:30:00+07:00", "TRK-0001", "withdrawal", -400_000),
            ("2026-11-25T08:15:00+07:00", "STR-0002", "deposit", 50_000),
        ],
    )

    assert card == SavingsCard(
        savings_type="sukarela",
        period_start="2026-11-01",
        period_end="2026-11-30",
        opening_balance=1_000_000,
        lines=[
            CardLine("2026-11-03T09:00:00+07:00", "STR-0001", "deposit", debit=0, credit=250_000, balance=1_250_000),
            CardLine("2026-11-10T10:30:00+07:00", "TRK-0001", "withdrawal", debit=400_000, credit=0, balance=850_000),
            CardLine("2026-11-25T08:15:00+07:00", "STR-0002", "deposit", debit=0, credit=50_000, balance=900_000),
        ],
        total_credit=300_000,
        total_debit=400_000,
        closing_balance=900_000,
    )
    assert card.opening_balance + card.total_credit - card.total_debit == card.closing_balance


def test_savings_card_without_movements_closes_at_the_opening_balance():
    card = savings_card("wajib", "2026-11-01", "2026-11-30", 600_000, [])

    assert card.lines == []
    assert card.total_credit == card.total_debit == 0
    assert card.closing_balance == 600_000


def test_savings_card_of_a_new_member_starts_from_zero():
    card = savings_card("pokok", "2026-11-01", "2026-11-30", 0, [("2026-11-02", "STR-0009", "deposit", 100_000)])

    assert card.lines[0].balance == 100_000
    assert card.closing_balance == 100_000


# --- properties -------------------------------------------------------------------------------------

card_movements = st.lists(
    st.tuples(
        st.just("2026-11-25"),
        st.from_regex(r"(STR|TRK)-[0-9]{4}", fullmatch=True),
        st.sampled_from(["deposit", "withdrawal"]),
        st.integers(min_value=-50_000_000, max_value=100_000_000),
    ),
    max_size=40,
)


@given(opening=st.integers(min_value=0, max_value=10**10), movements=card_movements)
def test_opening_plus_credits_minus_debits_is_the_closing_balance(opening, movements):
    card = savings_card("sukarela", "2026-11-01", "2026-11-30", opening, movements)

    assert card.opening_balance == opening
    assert card.opening_balance + card.total_credit - card.total_debit == card.closing_balance
    assert card.closing_balance == opening + sum(amount for *_, amount in movements)
    assert card.total_credit == sum(line.credit for line in card.lines)
    assert card.total_debit == sum(line.debit for line in card.lines)


@given(opening=st.integers(min_value=0, max_value=10**10), movements=card_movements)
def test_every_line_carries_its_movement_on_one_side_and_the_balance_so_far(opening, movements):
    card = savings_card("sukarela", "2026-11-01", "2026-11-30", opening, movements)

    assert len(card.lines) == len(movements)
    balance = opening
    for line, (at, ref_code, kind, amount) in zip(card.lines, movements, strict=True):
        balance += amount
        assert (line.at, line.ref_code, line.kind) == (at, ref_code, kind)
        assert line.debit >= 0 and line.credit >= 0
        assert line.debit == 0 or line.credit == 0
        assert line.credit - line.debit == amount
        assert line.balance == balance
    if card.lines:
        assert card.lines[-1].balance == card.closing_balance
