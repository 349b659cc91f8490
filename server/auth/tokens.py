"""Access tokens (short-lived JWT, HS256 via PyJWT) and refresh tokens (random, stored hashed).

The access token names the session, so revoking a session (logout, an admin) takes effect at once:
every request checks that its session is still live.
"""

from __future__ import annotations

import hashlib
import secrets
import time

import jwt
from msgspec import Struct

from server.errors import AuthError

__all__ = ["AccessClaims", "TokenSigner", "new_refresh_token", "hash_refresh_token"]


class AccessClaims(Struct, frozen=True):
    user_id: int
    session_id: str
    expires_at: int


class TokenSigner:
    CACHE_SIZE = 10_000

    def __init__(self, key: str, ttl_seconds: int) -> None:
        self._key = key
        self.ttl = ttl_seconds
        self._verified: dict[str, AccessClaims] = {}

    def issue(self, user_id: int, session_id: str, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {"sub": str(user_id), "sid": session_id, "iat": issued, "exp": issued + self.ttl}
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str) -> AccessClaims:
        """The token's claims; a token already verified is looked up, not decoded again (its expiry still is
        checked). The session behind it is checked by the caller on every request."""
        claims = self._verified.get(token)
        if claims is None:
            claims = self._decode(token)
            if len(self._verified) >= self.CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = claims
        elif claims.expires_at <= time.time():
            raise AuthError("token_expired", "Sesi telah berakhir, perbarui token.")
        return claims

    def _decode(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], options={"require": ["exp", "sub", "sid"]})
        except jwt.ExpiredSignatureError:
            raise AuthError("token_expired", "Sesi telah berakhir, perbarui token.") from None
        except jwt.PyJWTError:
            raise AuthError("token_invalid", "Token tidak valid.") from None
        return AccessClaims(int(claims["sub"]), str(claims["sid"]), int(claims["exp"]))


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
