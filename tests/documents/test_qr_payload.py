"""The QR payload envelope against the shared vectors (the PWA's offline verifier uses the same file)."""

from __future__ import annotations

import json

import pytest

from server.documents.qr import QrError, QrKey, QrSigner, parse
from tests.documents.make_qr_vectors import SECRET, VECTORS, build

VECTOR_FILE = json.loads(VECTORS.read_text())
KEYS = {VECTOR_FILE["key"]["kid"]: QrKey(**VECTOR_FILE["key"])}


def test_the_vector_file_is_what_the_code_produces() -> None:
    assert build() == VECTOR_FILE, "run: python -m tests.documents.make_qr_vectors"


@pytest.mark.parametrize("case", VECTOR_FILE["cases"], ids=lambda c: c["name"])
def test_each_vector_verifies_or_fails_with_its_code_using_only_the_public_key(case: dict) -> None:
    if case["valid"]:
        parsed = parse(case["payload"], KEYS)
        assert parsed.body == case["body"] and parsed.signed is case["signed"]
    else:
        with pytest.raises(QrError) as failed:
            parse(case["payload"], KEYS)
        assert failed.value.code == case["error"]


def test_a_key_derived_from_the_same_secret_is_the_same_key_and_another_secret_is_not() -> None:
    assert QrSigner(SECRET).key == QrSigner(SECRET).key
    assert QrSigner(SECRET + "x").key.public_key != QrSigner(SECRET).key.public_key


def test_every_single_character_change_of_a_signed_payload_is_detected() -> None:
    signer = QrSigner(SECRET)
    payload = signer.sign({"t": "card", "m": 7, "n": "A0007", "nm": "Hendra Wijaya", "at": "2026-12-02"})
    changed = 0
    for i, ch in enumerate(payload):
        if ch == ".":
            continue
        forged = payload[:i] + ("B" if ch != "B" else "C") + payload[i + 1 :]
        try:
            body = parse(forged, {signer.key.kid: signer.key}).body
        except QrError:
            changed += 1
            continue
        # base64url's last character can carry unused bits: the decoded bytes (and so the body) are the same
        assert body == parse(payload, {signer.key.kid: signer.key}).body
    assert changed >= len(payload) - 6
