"""Every error the server raises on purpose, with a stable machine code and a human message.

The tree (HTTP status in brackets; the one mapping lives in ``server/http/errors.py``)::

    LumbungError
    ├── DomainError              a business rule refused the request; inside a mutation it becomes a
    │   │                        recorded ``rejected`` result, on a read endpoint a 4xx
    │   ├── InvalidInput     [422]  amount out of limits, missing field for the deposit kind, …
    │   ├── NotFound         [404]  unknown member, deposit, savings type, …
    │   ├── Forbidden        [403]  not the caller's data, wrong role, own transaction
    │   └── InvalidState     [409]  already verified/cancelled, insufficient available balance
    ├── AuthError            [401]  missing, expired, forged or revoked token; bad credentials
    ├── AccessDenied         [403]  authenticated but not allowed (route guards, client ownership)
    ├── RequestError         [400]  malformed body or parameters outside any mutation
    ├── InvalidRequest       [422]  a body that is JSON but not the protocol's shape or types
    ├── ProtocolError        [409]  protocol-level disagreement the client can recover from (gap)
    ├── VersionUnsupported   [426]  protocol version the server cannot serve
    ├── TooLarge             [413]  attachment over the size limit
    ├── UnsupportedType      [415]  attachment of a type we do not accept
    ├── TooManyAttempts      [429]  too many failed logins: wait ``retry_after`` seconds (``Retry-After``)
    └── Retryable            [503]  temporary: try again later, nothing was done (``Retry-After`` when known)

Messages are Bahasa Indonesia because they reach members and officers as they are.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "LumbungError",
    "DomainError",
    "InvalidInput",
    "NotFound",
    "Forbidden",
    "InvalidState",
    "AuthError",
    "AccessDenied",
    "RequestError",
    "InvalidRequest",
    "ProtocolError",
    "VersionUnsupported",
    "TooLarge",
    "UnsupportedType",
    "Retryable",
    "TooManyAttempts",
]


class LumbungError(Exception):
    """Base of our errors: ``code`` is stable for machines, ``message`` is for people."""

    code: str = "error"

    def __init__(self, code: str, message: str, detail: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


class DomainError(LumbungError):
    """A business rule refused the request."""


class InvalidInput(DomainError):
    pass


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    pass


class InvalidState(DomainError):
    pass


class AuthError(LumbungError):
    pass


class AccessDenied(LumbungError):
    pass


class RequestError(LumbungError):
    pass


class InvalidRequest(LumbungError):
    pass


class ProtocolError(LumbungError):
    pass


class VersionUnsupported(LumbungError):
    pass


class TooLarge(LumbungError):
    pass


class UnsupportedType(LumbungError):
    pass


class Retryable(LumbungError):
    def __init__(
        self, code: str, message: str, detail: dict[str, Any] | None = None, *, retry_after: int | None = None
    ) -> None:
        super().__init__(code, message, detail)
        self.retry_after = retry_after


class TooManyAttempts(LumbungError):
    """Login refused before any password check: the account or the address is throttled or locked."""

    def __init__(self, code: str, message: str, retry_after: int, detail: dict[str, Any] | None = None) -> None:
        super().__init__(code, message, {"retry_after": retry_after, **(detail or {})})
        self.retry_after = retry_after
