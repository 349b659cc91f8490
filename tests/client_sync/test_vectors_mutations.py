"""Shared mutation vectors (tests/vectors/protocol_mutations.json), decoded with server.protocol.

The PWA validates every mutation with pwa/js/domain/mutations.js before it enters the outbox
(tests/js/mutations.test.js runs the same file). Here each case goes through the server's strict
msgspec decoding, the one a push uses: the verdict must be the same, and the field msgspec names
first must be one the device reports, so the device never queues what the server would refuse with
422 and never refuses what the server would take.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from server.protocol import MUTATION_NAMES, Mutation, decode_mutation_op

DATA = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "protocol_mutations.json").read_text("utf-8"))
CASES: list[dict[str, Any]] = DATA["cases"]

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_NAMED = re.compile(r"(?:missing required field|unknown field) `(?P<field>[^`]+)`")


def field_of(error: msgspec.ValidationError) -> str:
    """The field msgspec's message names: ``$.op.amount`` -> ``op.amount``; a missing or unknown field
    is named in the text and located at its object."""
    text = str(error)
    at = _AT.search(text)
    path = at.group("path").lstrip(".") if at else ""
    path = re.sub(r"\[\d+\]", "", path)
    named = _NAMED.search(text)
    if named:
        path = f"{path}.{named.group('field')}" if path else named.group("field")
    return path


def decode(case: dict[str, Any]) -> msgspec.ValidationError | None:
    raw = json.dumps(case["value"])
    try:
        if case["kind"] == "op":
            decode_mutation_op(raw)
        else:
            msgspec.json.decode(raw, type=Mutation)
    except msgspec.ValidationError as exc:
        return exc
    return None


def test_every_mutation_name_has_a_valid_case() -> None:
    names = {c["value"]["name"] for c in CASES if c["kind"] == "op" and c["valid"]}
    assert names == set(MUTATION_NAMES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_strict_decoder_gives_the_same_verdict(case: dict[str, Any]) -> None:
    error = decode(case)
    if case["valid"]:
        assert error is None, f"{case['name']}: server refuses it: {error}"
        return
    assert error is not None, f"{case['name']}: the server would accept it"
    reported = field_of(error)
    if case["name"] == "not_an_object":
        return  # msgspec reports the whole value ($), the device calls it "op"
    assert reported in case["fields"], (str(error), case["fields"])
