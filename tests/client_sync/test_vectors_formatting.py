"""Shared formatting vectors (tests/vectors/protocol_formatting.json), checked against server/domain.

The PWA's money.js, dates.js, terbilang.js and loans.percent run the same file
(tests/js/formatting.test.js), so a slip printed on the device reads like the server's.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from server.domain.loans import percent, tanggal
from server.domain.rules import rupiah
from server.domain.terbilang import terbilang

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "protocol_formatting.json").read_text("utf-8"))


def test_terbilang_vectors_match_python() -> None:
    assert len(VECTORS["terbilang"]) > 40
    for case in VECTORS["terbilang"]:
        assert terbilang(case["amount"]) == case["expected"], case


def test_rupiah_tanggal_and_percent_vectors_match_python() -> None:
    for case in VECTORS["rupiah"]:
        assert rupiah(case["amount"]) == case["expected"]
    for case in VECTORS["tanggal"]:
        assert tanggal(dt.date.fromisoformat(case["date"])) == case["expected"]
    for case in VECTORS["percent"]:
        assert percent(case["bp"]) == case["expected"]


def test_typed_amount_verdicts_match_client_sync() -> None:
    from client_sync.amounts import AmountError, parse_amount

    assert len(VECTORS["amounts"]) > 15
    for case in VECTORS["amounts"]:
        try:
            value: int | None = parse_amount(case["text"])
        except AmountError:
            value = None
        assert value == case["value"], case
