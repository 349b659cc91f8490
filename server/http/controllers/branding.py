"""White-label: the admin sets the cooperative's name, short name, theme colour and logo; the PWA
reads them from the feed (``branding``), the login page from ``/branding``, the browser from the
dynamic ``/manifest.webmanifest`` (issue 10.4).

The public routes sit outside ``/api`` (a browser fetches a manifest and icons without our headers)
and outside the OpenAPI document; docs/PROTOCOL.md lists them.
"""

from __future__ import annotations

import io
from typing import Any

from litestar import Controller, Request, Response, get, put
from litestar.params import FromPath, JSONBody

from server.auth.service import utcnow
from server.domain.branding import LOGO_MAX_BYTES, Branding, BrandingInput, check_logo, validate_branding
from server.errors import NotFound, TooLarge
from server.storage import branding as store
from server.storage.interface import Tx

from ..security import roles
from ..strict import strict_body

__all__ = ["BrandingController", "BrandingAdminController", "PublicBrandingController", "manifest_for", "icon_png"]

ICON_SIZES = (192, 512)
_SVG_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def manifest_for(branding: Branding) -> dict[str, Any]:
    """The web app manifest from the settings; icons are ours (made from the logo, or plain)."""
    version = (branding.logo_sha256 or branding.theme_color.lstrip("#"))[:12]
    icons: list[dict[str, Any]] = [
        {"src": f"/branding/icons/{n}?v={version}", "sizes": f"{n}x{n}", "type": "image/png", "purpose": "any"}
        for n in ICON_SIZES
    ]
    if branding.logo_type == "image/svg+xml":
        icons.append({"src": f"/branding/logo?v={version}", "sizes": "any", "type": "image/svg+xml", "purpose": "any"})
    return {
        "name": branding.name,
        "short_name": branding.short_name,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "lang": "id",
        "theme_color": branding.theme_color,
        "background_color": "#ffffff",
        "icons": icons,
    }


def icon_png(branding: Branding, logo: tuple[bytes, str, str] | None, size: int) -> bytes:
    """A square PNG icon: the PNG logo centred on white, or the short name's initial on the theme colour."""
    from PIL import Image, ImageDraw, ImageFont  # Pillow comes with fpdf2

    if logo is not None and logo[1] == "image/png":
        try:
            source = Image.open(io.BytesIO(logo[0])).convert("RGBA")
            source.thumbnail((int(size * 0.86), int(size * 0.86)))
            icon = Image.new("RGBA", (size, size), (255, 255, 255, 255))
            icon.alpha_composite(source, ((size - source.width) // 2, (size - source.height) // 2))
            out = io.BytesIO()
            icon.convert("RGB").save(out, "PNG")
            return out.getvalue()
        except Exception:  # noqa: BLE001 - a PNG Pillow cannot read still gets the plain icon
            pass
    icon = Image.new("RGB", (size, size), branding.theme_color)
    draw = ImageDraw.Draw(icon)
    font = ImageFont.load_default(size=int(size * 0.55))
    letter = (branding.short_name.strip() or "K")[0].upper()
    draw.text((size / 2, size / 2), letter, fill="#ffffff", font=font, anchor="mm")
    out = io.BytesIO()
    icon.save(out, "PNG")
    return out.getvalue()


class BrandingController(Controller):
    path = "/api/branding"
    tags = ["branding"]

    @get("")
    async def current(self, request: Request) -> Branding:
        """The cooperative's name, short name, theme colour and logo (``/branding/logo``) as devices show them."""
        return await request.app.state.services.db.read(store.load_branding)


class BrandingAdminController(Controller):
    path = "/api/admin/branding"
    tags = ["admin"]
    guards = [roles("admin")]

    @put("")
    async def save(self, request: Request, data: JSONBody[BrandingInput]) -> Branding:
        """Set name, short name and theme colour (``#RRGGBB``); published to every device through the feed."""
        given = validate_branding(await strict_body(request, BrandingInput))
        user_id, now = request.user.id, utcnow().isoformat()

        def write(conn: Tx) -> Branding:
            return store.save_branding(conn, given.name, given.short_name, given.theme_color, user_id, now)

        return await request.app.state.services.db.write(write)

    @put("/logo", request_max_body_size=LOGO_MAX_BYTES + 1)
    async def logo(self, request: Request) -> Branding:
        """The logo as the raw body (``image/png`` or ``image/svg+xml``, at most 256 KB)."""
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > LOGO_MAX_BYTES:
            raise TooLarge(
                "logo_too_large", f"Ukuran logo maksimal {LOGO_MAX_BYTES // 1024} KB.", {"max_bytes": LOGO_MAX_BYTES}
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        data = await request.body()
        sha256 = check_logo(content_type, data)
        user_id, now = request.user.id, utcnow().isoformat()

        def write(conn: Tx) -> Branding:
            return store.save_logo(conn, data, content_type, sha256, user_id, now)

        return await request.app.state.services.db.write(write)


class PublicBrandingController(Controller):
    """What a browser needs before anyone logs in: no token, no protocol header."""

    path = "/"
    include_in_schema = False
    opt = {"exclude_from_auth": True}

    @get("/branding")
    async def branding(self, request: Request) -> Branding:
        return await request.app.state.services.db.read(store.load_branding)

    @get("/manifest.webmanifest", media_type="application/manifest+json")
    async def manifest(self, request: Request) -> Response[dict[str, Any]]:
        branding = await request.app.state.services.db.read(store.load_branding)
        return Response(
            manifest_for(branding), media_type="application/manifest+json", headers={"Cache-Control": "no-cache"}
        )

    @get("/branding/logo")
    async def logo(self, request: Request) -> Response[bytes]:
        logo = await request.app.state.services.db.read(store.load_logo)
        if logo is None:
            raise NotFound("logo_not_set", "Logo koperasi belum diatur.")
        headers = _SVG_HEADERS if logo[1] == "image/svg+xml" else {"Cache-Control": "no-cache"}
        return Response(logo[0], media_type=logo[1], headers={**headers, "ETag": f'"{logo[2][:16]}"'})

    @get("/branding/icons/{size:int}")
    async def icon(self, request: Request, size: FromPath[int]) -> Response[bytes]:
        if size not in ICON_SIZES:
            raise NotFound("icon_not_found", "Ukuran ikon tidak tersedia (192 atau 512).")

        def read(conn: Any) -> tuple[Branding, tuple[bytes, str, str] | None]:
            return store.load_branding(conn), store.load_logo(conn)

        branding, logo = await request.app.state.services.db.read(read)
        return Response(icon_png(branding, logo, size), media_type="image/png", headers={"Cache-Control": "no-cache"})
