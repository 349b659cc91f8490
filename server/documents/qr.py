"""The QR payload: compact, signed with Ed25519, verifiable offline with the published public key.

Format (docs/DOCUMENTS.md, vectors in ``tests/vectors/qr_*.json``)::

    LMB1.<body>.<signature>

``body`` is the base64url (no padding) of the JSON object, UTF-8, keys sorted, no spaces.
``signature`` is the base64url of the Ed25519 signature over the ASCII bytes ``LMB1.<body>``.
A Setoran request made offline by a member's device carries no signature (``LMB1.<body>``): it only
prefills the officer's form, and the officer counts the cash.

Why Ed25519 and not HMAC: a device must verify without holding a secret that could also forge.
The key pair is derived from the server's signing key, so every process of one deployment agrees.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = ["PREFIX", "QrSigner", "QrKey", "encode_body", "parse", "Parsed", "QrError", "b64", "unb64"]

PREFIX = "LMB1"
MAX_PAYLOAD = 1200
"""Longer than any payload we make; a scanned string beyond it is refused before decoding."""


class QrError(ValueError):
    """A payload that is not ours or whose signature does not verify; ``code`` says which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class QrKey(msgspec.Struct, frozen=True):
    """What devices need to verify offline (published in the feed as ``qr_key``)."""

    kid: str
    alg: str
    public_key: str
    """Raw 32-byte Ed25519 public key, base64url without padding."""


class Parsed(msgspec.Struct, frozen=True):
    body: dict[str, Any]
    signed: bool


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text):
        raise QrError("qr_malformed")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:  # a length no encoder produces (4k + 1 characters)
        raise QrError("qr_malformed") from None


def encode_body(body: dict[str, Any]) -> str:
    return b64(msgspec.json.encode(body, order="sorted"))


class QrSigner:
    """Signs and verifies payloads with the deployment's QR key pair."""

    def __init__(self, secret: str) -> None:
        seed = hmac.new(secret.encode(), b"lumbung/qr-ed25519/v1", hashlib.sha256).digest()
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        raw = self._private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key = QrKey(kid=hashlib.sha256(raw).hexdigest()[:8], alg="Ed25519", public_key=b64(raw))

    def sign(self, body: dict[str, Any]) -> str:
        """The payload string for ``body`` (``kid`` is added so a rotated key can be told apart)."""
        head = f"{PREFIX}.{encode_body({**body, 'kid': self.key.kid})}"
        return f"{head}.{b64(self._private.sign(head.encode('ascii')))}"

    def verify(self, payload: str) -> Parsed:
        """The body of a payload whose signature verifies (or an unsigned Setoran request)."""
        return parse(payload, {self.key.kid: self.key})


def parse(payload: str, keys: dict[str, QrKey]) -> Parsed:
    """Check a scanned payload against known keys; ``QrError`` with a stable code when it fails."""
    if len(payload) > MAX_PAYLOAD or not payload.isascii():
        raise QrError("qr_malformed")
    parts = payload.strip().split(".")
    if parts[0] != PREFIX or len(parts) not in (2, 3):
        raise QrError("qr_not_lumbung")
    try:
        body = msgspec.json.decode(unb64(parts[1]))
    except msgspec.DecodeError:
        raise QrError("qr_malformed") from None
    if not isinstance(body, dict) or not isinstance(body.get("t"), str):
        raise QrError("qr_malformed")
    if len(parts) == 2:
        if body["t"] != "setoran":
            raise QrError("qr_unsigned")
        return Parsed(body, signed=False)
    key = keys.get(str(body.get("kid")))
    if key is None:
        raise QrError("qr_unknown_key")
    try:
        Ed25519PublicKey.from_public_bytes(unb64(key.public_key)).verify(
            unb64(parts[2]), f"{parts[0]}.{parts[1]}".encode()
        )
    except (InvalidSignature, ValueError):
        raise QrError("qr_bad_signature") from None
    return Parsed(body, signed=True)
