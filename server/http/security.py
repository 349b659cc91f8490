"""Authentication middleware, the protocol-version check and role guards.

Every ``/api`` request must carry the protocol version; every one but login and refresh must carry a
live access token. Guards read the roles a route allows from its ``opt`` (the Litestar way).
"""

from __future__ import annotations

from collections.abc import Callable

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from server.auth.mfa import BOARD_ROLES
from server.domain.models import Actor
from server.errors import AccessDenied, AuthError, VersionUnsupported
from server.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION
from server.storage.accounts import UserRecord

__all__ = ["AuthMiddleware", "check_protocol_version", "roles", "actor_of", "PUBLIC_API", "EVENTS_PATH"]

PUBLIC_API = ("/api/auth/login", "/api/auth/refresh")
MFA_ENROLMENT_PATHS = frozenset(
    {"/api/auth/mfa", "/api/auth/mfa/enrol", "/api/auth/mfa/confirm", "/api/auth/me", "/api/auth/logout"}
)
"""What a board member who must enrol a second factor may still reach before enrolling."""
EVENTS_PATH = "/api/sync/events"
"""The one path that accepts ``?access_token=`` (a browser's EventSource cannot send headers)."""


def check_protocol_version(connection: ASGIConnection) -> None:
    """Refuse any protocol version we cannot serve (426): the client keeps its outbox and updates.

    The header is the rule; a ``protocol`` query parameter is accepted because a browser's
    EventSource cannot send headers.
    """
    sent = connection.headers.get(PROTOCOL_HEADER) or connection.query_params.get("protocol")
    if sent != str(PROTOCOL_VERSION):
        raise VersionUnsupported(
            "protocol_version_unsupported",
            "Versi aplikasi tidak cocok dengan server; perbarui aplikasi. Transaksi tertunda tetap tersimpan.",
            {"supported": [PROTOCOL_VERSION], "sent": sent},
        )


class AuthMiddleware(AbstractAuthenticationMiddleware):
    """Bearer access token -> the live user record, checked against its session on every request."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        check_protocol_version(connection)
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            # EventSource cannot send headers: the events stream, and only it, may pass the token in the query
            token = connection.query_params.get("access_token", "") if connection.scope["path"] == EVENTS_PATH else ""
            if not token:
                raise AuthError("token_missing", "Silakan masuk terlebih dahulu.")
        auth = connection.app.state.services.auth
        user, session_id = auth.authenticate(token)
        second = auth.second_factor
        if (
            second.enforced
            and user.role in BOARD_ROLES
            and connection.scope["path"] not in MFA_ENROLMENT_PATHS
            and not second.is_enrolled_sync(user.id)
        ):
            raise AccessDenied(
                "mfa_enrolment_required",
                "Aktifkan verifikasi dua langkah terlebih dahulu (POST /api/auth/mfa/enrol).",
                {"enrol": "/api/auth/mfa/enrol"},
            )
        return AuthenticationResult(user=user, auth=session_id)


def actor_of(user: UserRecord) -> Actor:
    return Actor(user.id, user.role, user.member_id, frozenset(user.location_ids))


def roles(*allowed: str) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """A guard admitting only the given roles."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        user: UserRecord = connection.user
        if user.role not in allowed:
            raise AccessDenied(
                "role_not_allowed", "Peran Anda tidak diizinkan melakukan ini.", {"allowed": list(allowed)}
            )

    guard.__name__ = f"roles_{'_'.join(allowed)}"
    return guard
