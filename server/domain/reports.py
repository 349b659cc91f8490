"""Bug reports (*Laporkan Masalah*): what of a user's text is kept.

The structured part of a report (counts, times, error codes, app version) is bounded by the protocol
itself. The description is free text a person typed or pasted, so before it is stored anything that
looks like a credential is masked: a JWT or bearer token, a long hex or base64 run (refresh tokens,
keys), a ``password=…``/``kata sandi: …`` pair. Pure: no storage, no framework.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "scrub"]

MASK = "[disembunyikan]"

_PATTERNS = [
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),  # a JWT (access token)
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)\b(password|passwd|kata\s*sandi|sandi|pin|otp|token|secret|rahasia)\b\s*[:=]\s*\S+"),
    re.compile(r"\b[A-Fa-f0-9]{32,}\b"),  # hex keys, hashes of secrets
    re.compile(r"[A-Za-z0-9_+/=-]{40,}"),  # long base64/urlsafe runs (refresh tokens, keys)
]


def scrub(text: str) -> str:
    """The description with anything credential-like masked, trimmed of control characters."""
    cleaned = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable()).strip()
    for pattern in _PATTERNS:
        cleaned = pattern.sub(MASK, cleaned)
    return cleaned
