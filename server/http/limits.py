"""One bound on every query string, before routing: no free-text parameter reaches SQL unbounded.

A 50,000-character search ``q`` made SQLite's LIKE fail ("pattern too complex") with a 500; a bound
here covers every parameter of every route at once, present and future. Longest legitimate value:
an access token on the events stream (~200 characters).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from litestar.types import ASGIApp, Receive, Scope, Send

from server.errors import RequestError

__all__ = ["MAX_QUERY_BYTES", "MAX_QUERY_VALUE", "bound_query", "check_query"]

MAX_QUERY_BYTES = 8192
MAX_QUERY_VALUE = 512


def check_query(raw: bytes) -> None:
    if len(raw) > MAX_QUERY_BYTES:
        raise RequestError("query_too_long", "Alamat permintaan terlalu panjang.", {"max_bytes": MAX_QUERY_BYTES})
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if len(value) > MAX_QUERY_VALUE or len(name) > MAX_QUERY_VALUE:
            raise RequestError(
                "query_too_long",
                f"Parameter {name[:40]!r} terlalu panjang (paling banyak {MAX_QUERY_VALUE} karakter).",
                {"parameter": name[:40], "max_length": MAX_QUERY_VALUE},
            )


def bound_query(app: ASGIApp) -> ASGIApp:
    """Litestar middleware: refuse (400 ``query_too_long``) before any handler or guard runs."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            check_query(scope["query_string"])
        await app(scope, receive, send)

    return middleware
