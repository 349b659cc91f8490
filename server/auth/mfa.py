"""TOTP second factor (RFC 6238) and recovery codes, as rules without storage.

Who must use it: admin and pengurus approve money, so once they enrolled a login needs a code; with
``mfa_enforced`` they must enrol before anything else. Officers and members may opt in. A code is
accepted once: the caller stores the accepted 30-second time step and a later code must be from a
later step, so a code seen over a shoulder or replayed from a log is refused. Recovery codes are
random (50 bits) and stored only as SHA-256, so a hash is enough (no argon2): nothing to guess.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import time

import pyotp
import segno

__all__ = [
    "BOARD_ROLES",
    "STEP_SECONDS",
    "new_secret",
    "otpauth_uri",
    "qr_svg",
    "accepted_step",
    "code_at",
    "new_recovery_codes",
    "hash_recovery_code",
    "looks_like_totp",
    "normalise",
]

BOARD_ROLES = frozenset({"admin", "pengurus"})
"""Roles that must pass a second factor once enrolled (and must enrol when it is enforced)."""
STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1
"""Codes of the previous and next step are accepted too (a phone clock 30 s off)."""
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32()


def otpauth_uri(secret: str, username: str, issuer: str) -> str:
    """What an authenticator app scans (Google Authenticator, Aegis, FreeOTP …)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The URI as an SVG QR code (segno), small enough to put inline in a page."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False)
    return out.getvalue().decode()


def normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def looks_like_totp(code: str) -> bool:
    code = normalise(code)
    return len(code) == DIGITS and code.isdigit()


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def accepted_step(secret: str, code: str, last_step: int, now: float | None = None) -> int | None:
    """The time step this code belongs to, if it is right and newer than ``last_step``; else None."""
    code = normalise(code)
    if not looks_like_totp(code):
        return None
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if step > last_step and hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """Codes like ``K7QD-3MZP-XA`` (10 base32 characters, 50 bits), shown to the user once."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
    return codes


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()
