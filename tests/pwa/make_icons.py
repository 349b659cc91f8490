"""Draw the app icons (192 and 512 px PNG, maskable-safe) with the standard library only.

Run once: ``python tests/pwa/make_icons.py``; the PNGs are committed under ``pwa/icons/``.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

GREEN, CREAM, BROWN = (22, 101, 52), (250, 245, 230), (146, 94, 38)


def pixel(x: float, y: float) -> tuple[int, int, int]:
    """A granary (lumbung): a roof triangle over a body, on green; coordinates in 0..1."""
    if 0.22 <= y <= 0.48 and abs(x - 0.5) <= (y - 0.22) * 1.25:
        return BROWN
    if 0.48 < y <= 0.74 and 0.3 <= x <= 0.7:
        if 0.44 <= x <= 0.56 and y >= 0.6:
            return BROWN
        return CREAM
    if 0.74 < y <= 0.8 and (0.32 <= x <= 0.38 or 0.62 <= x <= 0.68):
        return CREAM
    return GREEN


def png(size: int) -> bytes:
    rows = b"".join(b"\x00" + bytes(c for x in range(size) for c in pixel(x / size, y / size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[2] / "pwa" / "icons"
    out.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (out / f"icon-{size}.png").write_bytes(png(size))
