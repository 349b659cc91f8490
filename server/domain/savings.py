"""Savings types and the savings card (kartu simpanan): a period's opening balance, entries, closing."""

from __future__ import annotations

from msgspec import Struct

from .models import SavingsType

__all__ = ["DEFAULT_SAVINGS_TYPES", "CardLine", "SavingsCard", "savings_card"]

DEFAULT_SAVINGS_TYPES = (
    SavingsType("pokok", "Simpanan Pokok", withdrawable=False),
    SavingsType("wajib", "Simpanan Wajib", withdrawable=False),
    SavingsType("sukarela", "Simpanan Sukarela", withdrawable=True),
)


class CardLine(Struct, frozen=True):
    at: str
    ref_code: str
    kind: str
    debit: int
    credit: int
    balance: int


class SavingsCard(Struct, frozen=True):
    savings_type: str
    period_start: str
    period_end: str
    opening_balance: int
    lines: list[CardLine]
    total_credit: int
    total_debit: int
    closing_balance: int


def savings_card(
    savings_type: str,
    period_start: str,
    period_end: str,
    opening_balance: int,
    movements: list[tuple[str, str, str, int]],
) -> SavingsCard:
    """Build the card from the opening balance and the period's (at, ref_code, kind, amount) movements."""
    balance = opening_balance
    lines: list[CardLine] = []
    credit_total = debit_total = 0
    for at, ref_code, kind, amount in movements:
        balance += amount
        credit, debit = (amount, 0) if amount >= 0 else (0, -amount)
        credit_total += credit
        debit_total += debit
        lines.append(CardLine(at, ref_code, kind, debit, credit, balance))
    return SavingsCard(
        savings_type, period_start, period_end, opening_balance, lines, credit_total, debit_total, balance
    )
