"""``/schema``: an OpenAPI document true to the API as built, and its ReDoc page served offline.

Litestar generates paths and bodies from the handlers; what it cannot know is added here, in one
place, to the generated document: our error body ``{code, message, detail}`` (instead of Litestar's
default error shape), every status an operation can answer (derived from what the middleware, the
guards and the mapper in ``errors.py`` do to that kind of route), the bearer scheme and the
``X-Lumbung-Protocol`` header. ReDoc's script is vendored (``static/redoc/``), so the page needs no
other host: no CDN, no web fonts, no remote favicon.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, RedocRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

from server.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION

__all__ = ["ASSETS_PATH", "REDOC_VERSION", "document", "openapi_config", "assets_router", "PUBLIC_OPERATIONS"]

REDOC_VERSION = "2.5.2"
ASSETS_PATH = "/schema/assets"
ASSETS_DIR = Path(__file__).parent / "static" / "redoc"
ERROR_REF = {"$ref": "#/components/schemas/Error"}

PUBLIC_OPERATIONS = {"/api/auth/login", "/api/auth/refresh", "/api/auth/password"}
"""Operations without a bearer token (they check a password or a refresh token instead)."""
THROTTLED_OPERATIONS = {"/api/auth/login", "/api/auth/password", "/api/auth/mfa/confirm"}
WRITES = {"post", "put", "patch", "delete"}

DESCRIPTIONS = {
    400: "Malformed request: JSON that does not parse or nests too deeply, a query parameter too long.",
    401: "No, an expired, a forged or a revoked token; wrong credentials.",
    403: "Authenticated, but this role or user may not do this (or: the password must be changed first).",
    404: "The named item does not exist, or is not the caller's to see.",
    409: "The request disagrees with the current state (already decided, a gap in the mutation numbers …).",
    413: "The body is larger than the server accepts.",
    415: "A body of a media type this endpoint does not accept.",
    422: "JSON of the wrong shape or types, or a business rule refused the values.",
    426: f"The `{PROTOCOL_HEADER}` header is missing or names a protocol version the server cannot serve.",
    429: "Too many failed attempts: wait `Retry-After` seconds.",
    503: "Temporarily unable (busy): nothing was done; retry after `Retry-After` seconds.",
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error answer: a stable machine `code` and a human `message` (Bahasa Indonesia).",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "examples": ["invalid_credentials"]},
        "message": {"type": "string"},
        "detail": {"type": ["object", "null"], "additionalProperties": True},
    },
}


def statuses_for(path: str, method: str) -> list[int]:
    """The error statuses an operation can answer, from the layers every request of its kind passes."""
    codes = {400}  # the query bound (limits.py) and malformed bodies apply everywhere
    if path == "/api/health" or not path.startswith("/api/"):
        return sorted(codes)
    # 401/403: a token or a guard, or for the public ones wrong credentials / password_change_required
    codes |= {401, 403, 404, 422, 426, 503}
    if method in WRITES:
        codes |= {409, 413, 415}
    if path.startswith("/api/sync/"):
        codes |= {409}
    if path in THROTTLED_OPERATIONS:
        codes |= {429}
    return sorted(codes)


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
    return response


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Complete the generated document in place (idempotent) and return it."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = {
        "BearerToken": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "The access token from `POST /api/auth/login` or `/api/auth/refresh`.",
        }
    }
    header = {
        "name": PROTOCOL_HEADER,
        "in": "header",
        "required": True,
        "description": "Protocol version; any other value is refused with 426.",
        "schema": {"type": "string", "enum": [str(PROTOCOL_VERSION)]},
    }
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "delete", "options", "head", "patch", "trace"}:
                continue
            responses = operation.setdefault("responses", {})
            for code in [c for c in responses if c.isdigit() and int(c) >= 400]:
                del responses[code]  # Litestar's default error shape is not ours
            for status in statuses_for(path, method):
                responses[str(status)] = _error_response(status)
            if path.startswith("/api/") and path != "/api/health":
                params = operation.setdefault("parameters", [])
                if not any(p.get("name") == PROTOCOL_HEADER and p.get("in") == "header" for p in params):
                    params.append(header)
                operation["security"] = [] if path in PUBLIC_OPERATIONS else [{"BearerToken": []}]
            else:
                operation["security"] = []
    return schema


class _Documented:
    """Render plugins that serve the completed document."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, document(openapi_schema))  # type: ignore[misc]  # a mixin: the plugin after it renders


class DocumentedJson(_Documented, JsonRenderPlugin):
    pass


class OfflineRedoc(_Documented, RedocRenderPlugin):
    pass


def openapi_config() -> OpenAPIConfig:
    redoc = OfflineRedoc(path="/", js_url=f"{ASSETS_PATH}/redoc.standalone.js", google_fonts=False, favicon="")
    return OpenAPIConfig(
        title="Lumbung API",
        version="1",
        path="/schema",
        render_plugins=[redoc, DocumentedJson()],
        description=f"Every `/api` request carries `{PROTOCOL_HEADER}: {PROTOCOL_VERSION}`; errors are "
        "`{code, message, detail}` (see docs/PROTOCOL.md).",
    )


def assets_router() -> Router:
    """The vendored ReDoc script (and its licence files), same origin as the page."""
    return create_static_files_router(
        path=ASSETS_PATH, directories=[ASSETS_DIR], include_in_schema=False, opt={"exclude_from_auth": True}
    )
