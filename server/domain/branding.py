"""White-label rules: the cooperative's name, short name, theme colour and logo (issue 10.4).

Pure: no Litestar, no SQL. The admin sets these; devices receive them through the feed (``branding``,
audience all) and the web app manifest is built from them.
"""

from __future__ import annotations

import hashlib
import re

from msgspec import Struct

from server.errors import InvalidInput, TooLarge, UnsupportedType

__all__ = [
    "Branding",
    "BrandingInput",
    "DEFAULT_BRANDING",
    "LOGO_MAX_BYTES",
    "LOGO_TYPES",
    "validate_branding",
    "check_logo",
]

LOGO_MAX_BYTES = 256 * 1024
"""A logo travels to every device and into every PDF: a quarter megabyte is plenty for 512 px."""
LOGO_TYPES = ("image/png", "image/svg+xml")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_SVG_FORBIDDEN = re.compile(
    rb"<\s*(script|foreignObject|iframe|object|embed)\b|\bon[a-z]+\s*=|javascript:|<!ENTITY", re.IGNORECASE
)


class BrandingInput(Struct, forbid_unknown_fields=True):
    name: str
    short_name: str
    theme_color: str


class Branding(Struct, frozen=True):
    """What the feed, the manifest and the PDFs show."""

    name: str
    short_name: str
    theme_color: str
    logo_sha256: str | None = None
    logo_type: str | None = None
    updated_at: str | None = None


DEFAULT_BRANDING = Branding("Koperasi Simpan Pinjam", "Koperasi", "#1b5e20")
"""Until the admin sets it: a neutral name, so no PDF is ever printed without one."""


def validate_branding(given: BrandingInput) -> BrandingInput:
    """Trimmed values, or ``InvalidInput`` naming the field."""
    name, short = given.name.strip(), given.short_name.strip()
    if not 3 <= len(name) <= 120:
        raise InvalidInput("branding_name_invalid", "Nama koperasi harus 3–120 karakter.", {"field": "name"})
    if not 1 <= len(short) <= 24:
        raise InvalidInput("branding_short_name_invalid", "Nama singkat harus 1–24 karakter.", {"field": "short_name"})
    if not _COLOUR.fullmatch(given.theme_color):
        raise InvalidInput("branding_color_invalid", "Warna tema harus berbentuk #RRGGBB.", {"field": "theme_color"})
    return BrandingInput(name, short, given.theme_color.lower())


def check_logo(content_type: str, data: bytes) -> str:
    """The logo's SHA-256 if it is an acceptable PNG or SVG; else a 413/415/422 with a stable code.

    An SVG is served from our own origin, so one that could run script there (``<script>``, event
    attributes, ``javascript:`` links, entities) is refused rather than cleaned.
    """
    if content_type not in LOGO_TYPES:
        raise UnsupportedType("logo_type_unsupported", "Logo harus berupa PNG atau SVG.", {"allowed": list(LOGO_TYPES)})
    if len(data) > LOGO_MAX_BYTES:
        raise TooLarge(
            "logo_too_large", f"Ukuran logo maksimal {LOGO_MAX_BYTES // 1024} KB.", {"max_bytes": LOGO_MAX_BYTES}
        )
    if not data:
        raise InvalidInput("logo_empty", "Berkas logo kosong.")
    if content_type == "image/png" and not data.startswith(_PNG_MAGIC):
        raise UnsupportedType("logo_type_mismatch", "Isi berkas bukan PNG.")
    if content_type == "image/svg+xml":
        if not data.lstrip().startswith(b"<") or b"<svg" not in data[:4096]:
            raise UnsupportedType("logo_type_mismatch", "Isi berkas bukan SVG.")
        if _SVG_FORBIDDEN.search(data):
            raise InvalidInput("logo_svg_unsafe", "Logo SVG tidak boleh berisi skrip, atribut peristiwa atau entitas.")
    return hashlib.sha256(data).hexdigest()
