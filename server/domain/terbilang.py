"""Amounts in Indonesian words (*terbilang*), as printed on a deposit slip."""

from __future__ import annotations

__all__ = ["terbilang"]

_UNITS = ["", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh", "sebelas"]


def _words(n: int) -> str:
    if n < 12:
        return _UNITS[n]
    if n < 20:
        return f"{_UNITS[n - 10]} belas"
    if n < 100:
        return f"{_UNITS[n // 10]} puluh {_words(n % 10)}".strip()
    if n < 200:
        return f"seratus {_words(n - 100)}".strip()
    if n < 1000:
        return f"{_UNITS[n // 100]} ratus {_words(n % 100)}".strip()
    if n < 2000:
        return f"seribu {_words(n - 1000)}".strip()
    for size, name in ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"), (10**3, "ribu")):
        if n >= size:
            return f"{_words(n // size)} {name} {_words(n % size)}".strip()
    raise AssertionError(n)


def terbilang(amount: int) -> str:
    """``terbilang(1250000)`` -> ``'satu juta dua ratus lima puluh ribu rupiah'``."""
    if amount == 0:
        return "nol rupiah"
    prefix = "minus " if amount < 0 else ""
    return f"{prefix}{_words(abs(amount))} rupiah"
