"""Rupiah amounts as officers type and read them: whole rupiah, "150000" or "150.000".

Indonesian writing groups thousands with dots and uses the comma for decimals, so "150.000" is one
hundred fifty thousand and "150,5" is a decimal, which the cooperative never uses: it is refused with
a message the officer understands rather than guessed at.
"""

from __future__ import annotations

import re

from server.protocol import MAX_AMOUNT

__all__ = ["AmountError", "parse_amount", "format_rupiah"]

_PLAIN = re.compile(r"\d+")
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+")
_DECIMAL = re.compile(r"\d[\d.]*[,.]\d+")


class AmountError(ValueError):
    """The text is not a positive whole rupiah amount; the message is for the officer."""


def parse_amount(text: str) -> int:
    """Parse "150000", "150.000", "Rp150.000" or "Rp 1.250.000" to an int; refuse anything else."""
    s = text.strip().replace(" ", "")
    if s[:2].lower() == "rp":
        s = s[2:]
    if s.startswith("-"):
        raise AmountError("Jumlah tidak boleh negatif.")
    if s.startswith("+"):
        s = s[1:]
    if _PLAIN.fullmatch(s):
        value = int(s)
    elif _GROUPED.fullmatch(s):
        value = int(s.replace(".", ""))
    elif "," in s or _DECIMAL.fullmatch(s):
        raise AmountError(f"Jumlah harus rupiah bulat tanpa desimal (contoh: 150000 atau 150.000), bukan {text!r}.")
    else:
        raise AmountError(f"Jumlah tidak dikenali: {text!r}. Tulis rupiah bulat, contoh: 150000 atau 150.000.")
    if value <= 0:
        raise AmountError("Jumlah harus lebih dari nol.")
    if value > MAX_AMOUNT:
        raise AmountError("Jumlah terlalu besar.")
    return value


def format_rupiah(amount: int) -> str:
    """150000 -> "Rp150.000" (negative amounts keep their sign)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp{abs(amount):,}".replace(",", ".")
