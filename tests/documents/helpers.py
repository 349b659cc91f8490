"""Reading what a PDF says and what its QR encodes, as a person with a printer and a phone would."""

from __future__ import annotations

import io
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image
from pypdf import PdfReader

__all__ = ["pdf_text", "pdf_qr_codes", "render_png"]


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-"), data[:60]
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def _pages(data: bytes, dpi: int) -> list[Image.Image]:
    """Every page rasterised by PDFium (the engine of Chrome's PDF viewer), as a person sees it."""
    document = pdfium.PdfDocument(data)
    try:
        return [page.render(scale=dpi / 72).to_pil() for page in document]
    finally:
        document.close()


def render_png(data: bytes, target: Path, dpi: int = 110) -> Path:
    """The first page as PNG (what a viewer shows)."""
    _pages(data, dpi)[0].save(target, format="PNG")
    return target


def pdf_qr_codes(data: bytes, dpi: int = 200) -> list[str]:
    """Every QR code zxing-cpp finds on the pages rendered at ``dpi``."""
    found: list[str] = []
    for image in _pages(data, dpi):
        found += [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    return found
