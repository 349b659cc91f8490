"""Access tokens for one profile: refreshed ahead of expiry and once after a 401, never counted as a failure.

DESIGN rule 7: an expired token is refreshed without counting as a failed try. Only a refused refresh
(session revoked or expired) needs the user, and then the tokens are forgotten but the outbox is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from server.protocol import RefreshRequest, TokenResponse

from .errors import AuthExpired, LoginRequired
from .store import Store
from .transport import Transport

__all__ = ["Session", "EXPIRY_MARGIN", "expiry_from"]

T = TypeVar("T")
EXPIRY_MARGIN = 30.0
"""Seconds before the server's expiry at which we refresh instead of risking a 401."""


def expiry_from(tokens: TokenResponse, now: float | None = None) -> float:
    """When to consider the access token stale, by this device's clock (only a hint; a 401 corrects it)."""
    return (time.time() if now is None else now) + max(0.0, tokens.expires_in - EXPIRY_MARGIN)


class Session:
    """Gives calls a fresh access token for ``client_id`` and retries a call once after refreshing."""

    def __init__(self, store: Store, transport: Transport, client_id: str) -> None:
        self.store = store
        self.transport = transport
        self.client_id = client_id
        self.refreshes = 0

    def _profile_tokens(self) -> tuple[str | None, str | None, float | None]:
        profile = self.store.profile(self.client_id)
        if profile is None:
            raise LoginRequired("not_logged_in", "Belum masuk; silakan masuk terlebih dahulu.")
        return profile.access_token, profile.refresh_token, profile.access_expires_at

    def refresh(self) -> str:
        _, refresh_token, _ = self._profile_tokens()
        if not refresh_token:
            raise LoginRequired("not_logged_in", "Sesi berakhir; silakan masuk kembali.")
        try:
            tokens = self.transport.refresh(RefreshRequest(refresh_token=refresh_token, client_id=self.client_id))
        except LoginRequired:
            self.store.clear_tokens(self.client_id)
            raise
        self.store.save_tokens(
            self.client_id,
            user=tokens.user,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=expiry_from(tokens),
        )
        self.refreshes += 1
        return tokens.access_token

    def token(self) -> str:
        access, refresh_token, expires_at = self._profile_tokens()
        if not refresh_token and not access:
            raise LoginRequired("not_logged_in", "Sesi berakhir; silakan masuk kembali.")
        if access and expires_at is not None and time.time() < expires_at:
            return access
        return self.refresh()

    def call(self, fn: Callable[[str], T]) -> T:
        """Run ``fn(access_token)``; on an expired/invalid token refresh once and run it again."""
        try:
            return fn(self.token())
        except AuthExpired:
            pass
        except LoginRequired:  # the session was revoked (logout elsewhere, an admin): forget its tokens
            self.store.clear_tokens(self.client_id)
            raise
        try:
            return fn(self.refresh())
        except LoginRequired:
            self.store.clear_tokens(self.client_id)
            raise
