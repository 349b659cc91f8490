"""HTTP calls to the server, one method per endpoint, with every failure mapped into ``errors``.

Why a separate layer: the sync logic then deals only in protocol structs and our exception tree, never
in status codes or httpx exceptions, and tests can check the mapping on plain ``httpx.Response``
objects. Every request carries the protocol version header (DESIGN rule 11).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

import httpx
import msgspec

from server.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    AttachmentInfo,
    ErrorBody,
    LoginRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    RefreshRequest,
    TokenResponse,
    encode,
)

from .errors import (
    UPDATE_REQUIRED_MESSAGE,
    AttachmentRejected,
    AuthExpired,
    GapError,
    InvalidCredentials,
    LoginRequired,
    ProtocolMismatch,
    Rejected,
    ServerBusy,
    SyncError,
    TransportError,
)

__all__ = ["Transport", "error_from_response", "decode_pull", "ACCEPT_ENCODING", "DEFAULT_TIMEOUT"]

T = TypeVar("T")
try:  # brotli packs pull pages tighter than gzip; httpx decodes it when the package is there
    import brotli  # noqa: F401

    ACCEPT_ENCODING = "br, gzip"
except ImportError:  # pragma: no cover
    ACCEPT_ENCODING = "gzip"
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
_error_decoder = msgspec.json.Decoder(ErrorBody)
_LOGIN_AGAIN = {"refresh_invalid", "session_revoked"}


_pull_decoder = msgspec.json.Decoder(PullResponse)


def decode_pull(content: bytes) -> PullResponse:
    """Decode a pull answer; each ``Change.data`` stays raw JSON until the replica stores it."""
    return _pull_decoder.decode(content)


def error_from_response(response: httpx.Response) -> SyncError:
    """The exception for a non-2xx answer, from its status and ErrorBody ``code``."""
    status = response.status_code
    try:
        body = _error_decoder.decode(response.content)
        code, message, detail = body.code, body.message, body.detail
    except (msgspec.DecodeError, msgspec.ValidationError):
        code, message, detail = f"http_{status}", f"Server menjawab {status}.", None
    if status == 426 or code == "protocol_version_unsupported":
        return ProtocolMismatch("protocol_version_unsupported", UPDATE_REQUIRED_MESSAGE, detail, status)
    if status == 401:
        if code == "invalid_credentials":
            return InvalidCredentials(code, message, detail, status)
        if code in _LOGIN_AGAIN:
            return LoginRequired(code, message, detail, status)
        return AuthExpired(code, message, detail, status)
    if status == 409 and code == "mutation_gap":
        return GapError(code, message, detail, status)
    if status == 429 or status >= 500:
        return ServerBusy(code, message, detail, status)
    if status in (413, 415) or code.startswith("attachment_"):
        return AttachmentRejected(code, message, detail, status)
    return Rejected(code, message, detail, status)


class Transport:
    """A thin synchronous client of the server's HTTP API."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        protocol_version: int = PROTOCOL_VERSION,
        http: httpx.Client | None = None,
        accept_encoding: str = ACCEPT_ENCODING,
    ) -> None:
        """``accept_encoding``: what answers may come compressed as (``"identity"``: never); an officer's
        first pull is tens of megabytes of JSON, a few megabytes compressed, over prepaid mobile data."""
        self.base_url = base_url.rstrip("/")
        self._http = http or httpx.Client(base_url=self.base_url, timeout=timeout)
        self._headers = {
            PROTOCOL_HEADER: str(protocol_version),
            "User-Agent": "lumbung-client-sync",
            "Accept-Encoding": accept_encoding,
        }

    def close(self) -> None:
        self._http.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        headers = dict(self._headers)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            content, content_type = encode(body), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = self._http.request(method, path, headers=headers, content=content, params=params)
        except httpx.TimeoutException as exc:
            raise TransportError("timeout", "Server tidak menjawab tepat waktu.") from exc
        except httpx.TransportError as exc:
            raise TransportError("network", f"Tidak dapat menghubungi server ({type(exc).__name__}).") from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    @staticmethod
    def _decode(response: httpx.Response, kind: type[T]) -> T:
        try:
            return msgspec.json.decode(response.content, type=kind)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ServerBusy("bad_response", f"Jawaban server tidak dapat dibaca: {exc}") from exc

    # --- auth ---------------------------------------------------------------------------------

    def login(self, request: LoginRequest) -> TokenResponse:
        return self._decode(self._request("POST", "/api/auth/login", body=request), TokenResponse)

    def refresh(self, request: RefreshRequest) -> TokenResponse:
        try:
            response = self._request("POST", "/api/auth/refresh", body=request)
        except AuthExpired as exc:  # any 401 on refresh means the session is gone
            raise LoginRequired(exc.code, exc.message, exc.detail, exc.status) from exc
        return self._decode(response, TokenResponse)

    def logout(self, token: str) -> None:
        self._request("POST", "/api/auth/logout", token=token)

    # --- sync ---------------------------------------------------------------------------------

    def push(self, token: str, request: PushRequest) -> PushResponse:
        return self._decode(self._request("POST", "/api/sync/push", token=token, body=request), PushResponse)

    def pull(self, token: str, client_id: str, cursor: str, limit: int) -> PullResponse:
        params: dict[str, Any] = {"client_id": client_id, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = self._request("GET", "/api/sync/pull", token=token, params=params)
        try:
            return decode_pull(response.content)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ServerBusy("bad_response", f"Jawaban server tidak dapat dibaca: {exc}") from exc

    def put_attachment(self, token: str, sha256: str, content: bytes, content_type: str) -> AttachmentInfo:
        response = self._request(
            "PUT", f"/api/attachments/{sha256}", token=token, content=content, content_type=content_type
        )
        return self._decode(response, AttachmentInfo)

    def events(self, token: str, client_id: str, *, read_timeout: float = 60.0) -> Iterator[str]:
        """Names of the server-sent events on the live channel as they arrive; ``""`` for a keep-alive."""
        headers = dict(self._headers, Authorization=f"Bearer {token}", Accept="text/event-stream")
        headers["Accept-Encoding"] = "identity"  # a live channel is never compressed (nor buffered)
        timeout = httpx.Timeout(read_timeout, connect=5.0)
        try:
            with self._http.stream(
                "GET", "/api/sync/events", params={"client_id": client_id}, headers=headers, timeout=timeout
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    raise error_from_response(response)
                event, seen = "message", False
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event, seen = line[6:].strip(), True
                    elif line.startswith("data:"):
                        seen = True
                    elif line.startswith(":"):
                        yield ""  # a keep-alive comment: lets the caller look at its stop flag
                    elif line == "" and seen:
                        yield event
                        event, seen = "message", False
        except httpx.TimeoutException as exc:
            raise TransportError("timeout", "Saluran langsung terputus (tidak ada kabar).") from exc
        except httpx.TransportError as exc:
            raise TransportError("network", f"Saluran langsung terputus ({type(exc).__name__}).") from exc
