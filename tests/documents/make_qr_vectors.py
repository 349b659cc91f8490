"""Write ``tests/vectors/qr_payloads.json``: payloads signed with a fixed test key and the answer a
verifier must give for each (the PWA checks its own decoder against the same file).

Run: ``python -m tests.documents.make_qr_vectors``. Ed25519 signatures are deterministic, so the file
is stable; ``test_qr_payload.py`` fails if the code and the file disagree.
"""

from __future__ import annotations

import json
from pathlib import Path

from server.documents.payloads import card_body, doc_body, setoran_body
from server.documents.qr import PREFIX, QrSigner, encode_body

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "qr_payloads.json"
SECRET = "lumbung-test-vector-secret-not-for-production-0123456789"


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def build() -> dict:
    signer = QrSigner(SECRET)
    slip = signer.sign(
        doc_body(
            "setoran",
            "STR-2612-000003",
            "35cec14e4326532820102dfb23fa6910be00ab4b5ceeb7c1ef9dbc90f00263ee",
            625_000,
            "A0001",
            "2026-12-02",
        )
    )
    card = signer.sign(card_body(1, "A0001", "Budi Santoso", "2026-12-02"))
    request = setoran_body(1, "A0001", "sukarela", 150_000, "5d0c8f1e-3b7a-4f55-9a43-6f1f3c2b9e10")
    unsigned = f"{PREFIX}.{encode_body(request)}"
    signed_request = signer.sign(request)
    head, body, sig = slip.split(".")
    forged_body = encode_body(
        {**json.loads(__import__("base64").urlsafe_b64decode(body + "=" * (-len(body) % 4))), "a": 6_250_000}
    )
    other = QrSigner("another-deployment-secret-0123456789-abcdefghij")
    cases = [
        {"name": "deposit slip", "payload": slip, "valid": True, "signed": True},
        {"name": "member card", "payload": card, "valid": True, "signed": True},
        {"name": "setoran request, unsigned (made offline)", "payload": unsigned, "valid": True, "signed": False},
        {"name": "setoran request, signed by the server", "payload": signed_request, "valid": True, "signed": True},
        {
            "name": "amount changed, old signature",
            "payload": f"{head}.{forged_body}.{sig}",
            "valid": False,
            "error": "qr_bad_signature",
        },
        {
            "name": "signature altered",
            "payload": f"{head}.{body}.{_flip(sig, 5)}",
            "valid": False,
            "error": "qr_bad_signature",
        },
        {"name": "document without signature", "payload": f"{head}.{body}", "valid": False, "error": "qr_unsigned"},
        {
            "name": "signed by another deployment's key (other kid)",
            "payload": other.sign(card_body(1, "A0001", "Budi Santoso", "2026-12-02")),
            "valid": False,
            "error": "qr_unknown_key",
        },
        {
            "name": "not a Lumbung code",
            "payload": "https://example.invalid/bayar?id=1",
            "valid": False,
            "error": "qr_not_lumbung",
        },
        {"name": "body not base64url", "payload": "LMB1.not*base64.abc", "valid": False, "error": "qr_malformed"},
        # 4k + 1 characters: no base64 encoder writes that length (the server once answered it with a 500)
        {"name": "body of an impossible base64 length", "payload": "LMB1.A", "valid": False, "error": "qr_malformed"},
        {
            "name": "signed body of an impossible length",
            "payload": "LMB1.AAAAA.abc",
            "valid": False,
            "error": "qr_malformed",
        },
    ]
    for case in cases:
        if case["valid"]:
            b = case["payload"].split(".")[1]
            case["body"] = json.loads(__import__("base64").urlsafe_b64decode(b + "=" * (-len(b) % 4)))
    return {
        "spec": "docs/DOCUMENTS.md#qr-payload",
        "key": {"kid": signer.key.kid, "alg": signer.key.alg, "public_key": signer.key.public_key},
        "cases": cases,
    }


if __name__ == "__main__":
    VECTORS.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {VECTORS}")
