"""Reading what a PDF says and what its QR encodes, as a person with a printer and a phone would."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import zxingcpp
from PIL import Image
from pypdf import PdfReader

__all__ = ["pdf_text", "pdf_qr_codes", "render_png"]


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-"), data[:60]
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def render_png(data: bytes, target: Path, dpi: int = 110) -> Path:
    """The first page as PNG through poppler's pdftoppm (what a viewer shows)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "doc.pdf"
        src.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(src), str(Path(tmp) / "page")], check=True
        )
        target.write_bytes((Path(tmp) / "page.png").read_bytes())
    return target


def pdf_qr_codes(data: bytes, dpi: int = 200) -> list[str]:
    """Every QR code zxing-cpp finds on the pages rendered at ``dpi``."""
    found: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "doc.pdf"
        src.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(src), str(Path(tmp) / "page")], check=True)
        for png in sorted(Path(tmp).glob("page*.png")):
            image = Image.open(png)
            found += [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    return found
