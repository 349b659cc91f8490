"""What a browser push subscription must look like before we store it (pure checks, stable codes).

A subscription is an endpoint URL at the browser's push service plus two keys: ``p256dh`` (the
browser's P-256 public key, 65 bytes uncompressed) and ``auth`` (a 16-byte secret). The server later
POSTs encrypted messages to that URL, so the URL is checked as carefully as any outbound request: an
https URL, or a plain-http loopback URL only when the deployment allows it (tests, a local receiver).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from msgspec import Meta, Struct

from server.errors import InvalidInput

__all__ = [
    "SubscriptionKeys",
    "SubscriptionRequest",
    "CheckedSubscription",
    "check_subscription",
    "b64url_decode",
    "MAX_ENDPOINT",
    "MAX_BODY",
]

MAX_ENDPOINT = 2048
"""Push services' endpoints are a few hundred characters; anything longer is not one."""
MAX_BODY = 4096
"""A subscription request is well under 1 KiB; bigger bodies are refused before decoding."""


class SubscriptionKeys(Struct, forbid_unknown_fields=True):
    p256dh: Annotated[str, Meta(min_length=1, max_length=200)]
    auth: Annotated[str, Meta(min_length=1, max_length=100)]


class SubscriptionRequest(Struct, forbid_unknown_fields=True):
    """The browser's ``PushSubscription.toJSON()`` plus, optionally, the VAPID key it was made with and
    the device's sync client id (which must be this session's)."""

    endpoint: Annotated[str, Meta(min_length=1, max_length=MAX_ENDPOINT)]
    keys: SubscriptionKeys
    expirationTime: int | float | None = None  # noqa: N815 - the browser's own field name
    vapid_public_key: Annotated[str, Meta(max_length=200)] | None = None
    client_id: Annotated[str, Meta(max_length=64)] | None = None


class CheckedSubscription(Struct, frozen=True):
    endpoint: str
    p256dh: str
    auth: str


def b64url_decode(text: str) -> bytes:
    """URL-safe base64 with or without padding (browsers send it without)."""
    text = text.strip()
    if not text or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=" for c in text):
        raise ValueError("not url-safe base64")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_endpoint(endpoint: str, allow_loopback_http: bool) -> str:
    bad = InvalidInput(
        "subscription_endpoint_invalid",
        "Alamat langganan notifikasi tidak sah (harus https dari layanan push peramban).",
    )
    if len(endpoint) > MAX_ENDPOINT or any(c.isspace() for c in endpoint):
        raise bad
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise bad from None
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise bad
    if parts.scheme == "https":
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return endpoint
        # an IP literal must be public: never let a subscription aim our server at its own network
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ) and not (allow_loopback_http and address.is_loopback):
            raise bad
        return endpoint
    if parts.scheme == "http" and allow_loopback_http and _loopback(host):
        return endpoint
    raise bad


def _check_p256dh(value: str) -> str:
    try:
        raw = b64url_decode(value)
        if len(raw) != 65 or raw[0] != 0x04:
            raise ValueError("not an uncompressed point")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)  # on the curve, or ValueError
    except (ValueError, binascii.Error):
        raise InvalidInput(
            "subscription_key_invalid",
            "Kunci langganan (p256dh) tidak sah: harus titik P-256 65 byte dalam base64url.",
        ) from None
    return value


def _check_auth(value: str) -> str:
    try:
        raw = b64url_decode(value)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 16:
        raise InvalidInput(
            "subscription_auth_invalid", "Rahasia langganan (auth) tidak sah: harus 16 byte dalam base64url."
        )
    return value


def check_subscription(request: SubscriptionRequest, *, allow_loopback_http: bool) -> CheckedSubscription:
    """The subscription as we store it, or InvalidInput with the first problem found."""
    return CheckedSubscription(
        endpoint=_check_endpoint(request.endpoint, allow_loopback_http),
        p256dh=_check_p256dh(request.keys.p256dh),
        auth=_check_auth(request.keys.auth),
    )
