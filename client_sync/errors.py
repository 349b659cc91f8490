"""The exceptions of ``client_sync``, shaped like httpx's tree so callers catch at the level they need.

::

    SyncError                     base; ``code``, ``message`` (Bahasa Indonesia), ``detail``, ``retryable``
    ├── TransportError            retryable: network down, timeout, unreadable answer
    ├── ServerBusy                retryable: 503 ``busy``, 429, other 5xx
    ├── ProtocolMismatch          426: this app speaks a protocol version the server refuses
    ├── AuthError
    │   ├── InvalidCredentials    401 ``invalid_credentials`` at login
    │   ├── AuthExpired           401 on a request: the access token expired or is invalid (refresh it)
    │   └── LoginRequired         no usable session (refresh refused, logged out): log in again
    ├── GapError                  409 ``mutation_gap``: the server expects mutation ``expected`` next
    ├── Rejected                  any other 4xx with its stable ``code``
    │   └── AttachmentRejected    413/415/422 on an attachment upload
    └── NotConfigured             no server address or no logged-in user on this device

    InvalidMutation (ValueError)  ``queue`` refused an op locally; nothing was queued
    └── RuleViolation             the server's own rules, run on the device, refuse it (``code``,
                                  ``message``, every ``failed`` check); nothing was queued

Nothing here ever means "the outbox was dropped": the outbox survives every one of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from server.domain.loans import RuleCheck

__all__ = [
    "SyncError",
    "TransportError",
    "ServerBusy",
    "ProtocolMismatch",
    "AuthError",
    "InvalidCredentials",
    "AuthExpired",
    "LoginRequired",
    "GapError",
    "Rejected",
    "AttachmentRejected",
    "NotConfigured",
    "InvalidMutation",
    "RuleViolation",
    "UPDATE_REQUIRED_MESSAGE",
]

UPDATE_REQUIRED_MESSAGE = (
    "Aplikasi perlu diperbarui: server tidak lagi melayani versi protokol ini. Transaksi tertunda tetap tersimpan."
)


class SyncError(Exception):
    """Base of every error a sync call raises; ``retryable`` tells the loop whether to back off and retry."""

    retryable: bool = False

    def __init__(
        self, code: str, message: str, detail: dict[str, Any] | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class TransportError(SyncError):
    retryable = True


class ServerBusy(SyncError):
    retryable = True


class ProtocolMismatch(SyncError):
    pass


class AuthError(SyncError):
    pass


class InvalidCredentials(AuthError):
    pass


class AuthExpired(AuthError):
    """The access token is no longer accepted; a refresh (not counted as a failure) usually fixes it."""


class LoginRequired(AuthError):
    pass


class GapError(SyncError):
    """The server's next expected mutation id is ``expected``; resend from there."""

    def __init__(
        self, code: str, message: str, detail: dict[str, Any] | None = None, status: int | None = None
    ) -> None:
        super().__init__(code, message, detail, status)
        try:
            self.expected = int((detail or {})["expected"])
        except (KeyError, TypeError, ValueError):
            self.expected = 0


class Rejected(SyncError):
    pass


class AttachmentRejected(Rejected):
    pass


class NotConfigured(SyncError):
    pass


class InvalidMutation(ValueError):
    """``queue`` refused a mutation locally (it does not match the protocol); nothing was queued."""


class RuleViolation(InvalidMutation):
    """The cooperative's rules (``server.domain``, run on the device against the replica) refuse this.

    ``code``/``message`` are the first failure, exactly as the server would reject the mutation;
    ``failed`` holds every failed check (for a loan application: each failed rule of
    ``check_application``, in the order the UI lists them). Nothing was queued.
    """

    def __init__(
        self, code: str, message: str, failed: tuple[RuleCheck, ...] = (), detail: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.failed = failed
        self.detail = detail

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.failed] or [self.code]

    def __repr__(self) -> str:
        return f"RuleViolation(code={self.code!r}, codes={self.codes!r}, message={self.message!r})"
