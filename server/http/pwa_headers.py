"""Headers for the PWA's static files: a strict Content-Security-Policy and revalidation.

Why: the app shell must never run inline or foreign script (CSP ``default-src 'self'``), and the
HTTP cache must never hide a new ``sw.js`` or shell from the service worker (``no-cache`` makes the
browser revalidate; the service worker's own cache is what serves the app offline).
"""

from __future__ import annotations

import mimetypes

from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "PwaHeadersMiddleware"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


class PwaHeadersMiddleware:
    """ASGI middleware: adds the shell headers to every answer outside ``/api`` and ``/schema``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else "/api"
        if path.startswith(("/api", "/schema")):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"cache-control", b"no-cache"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
