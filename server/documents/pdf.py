"""PDF rendering with fpdf2: one page layout shared by every document, the QR drawn as vector squares.

Why fpdf2: pure Python (its dependencies, Pillow, fontTools and defusedxml, ship wheels), actively
maintained, embeds PNG and SVG logos, and needs no system libraries (WeasyPrint needs Pango/Cairo,
typst a binary, reportlab's open edition is heavier for the same result). Why segno for the QR: pure
Python, no dependencies, and it hands out the module matrix, which we draw as rectangles, so the code
stays sharp at any zoom and no raster image is embedded.

The core PDF fonts cover Latin-1, which Bahasa Indonesia needs; any other character is replaced.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF
from fpdf.enums import PathPaintRule, XPos, YPos

from server.domain.branding import Branding
from server.domain.models import COOP_TZ
from server.domain.rules import rupiah
from server.domain.timezone import label as zone_label

__all__ = ["Page", "qr_matrix", "text"]

_REPLACE = {"\u2013": "-", "\u2014": "-", "\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2026": "..."}


def text(value: object) -> str:
    """A value as Latin-1 text the core fonts can draw."""
    s = "" if value is None else str(value)
    for a, b in _REPLACE.items():
        s = s.replace(a, b)
    return s.encode("latin-1", "replace").decode("latin-1")


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR's modules (a full QR, never a Micro QR: phone decoders read only full ones), error level M."""
    return [[bool(v) for v in row] for row in segno.make_qr(payload, error="m", boost_error=False).matrix]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


class Page:
    """A document: branded header, title, rows, tables, amount in words, the QR and a footer."""

    def __init__(
        self,
        branding: Branding,
        logo: tuple[bytes, str] | None,
        title: str,
        *,
        fmt: str | tuple[float, float] = "A4",
        printed_by: str = "",
        now: dt.datetime | None = None,
        tz: ZoneInfo = COOP_TZ,
    ) -> None:
        self.pdf = FPDF(format=fmt)
        self.pdf.set_auto_page_break(True, margin=18)
        self.pdf.set_margins(14, 12, 14)
        self.pdf.set_title(text(f"{title} - {branding.name}"))
        self.pdf.set_author(text(branding.name))
        self.pdf.set_creator("Lumbung")
        self.branding, self.colour = branding, _rgb(branding.theme_color)
        self.tz = tz
        """The cooperative's time zone: every time printed on the page is in it."""
        self.printed = (now or dt.datetime.now(dt.UTC)).astimezone(tz)
        self.printed_by = printed_by
        footer = text(
            f"{branding.name} - dicetak {self.printed:%d-%m-%Y %H:%M} {zone_label(tz.key)}"
            + (f" oleh {printed_by}" if printed_by else "")
        )
        pdf = self.pdf

        def _footer() -> None:
            pdf.set_y(-13)
            pdf.set_font("Helvetica", "", 7)
            pdf.set_text_color(110, 110, 110)
            pdf.cell(0, 4, footer, align="L")
            pdf.cell(0, 4, f"Hal. {pdf.page_no()}", align="R")
            pdf.set_text_color(0, 0, 0)

        pdf.footer = _footer  # type: ignore[method-assign]  # fpdf2's way to draw a footer on every page
        pdf.add_page()
        self._header(logo)
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 8, text(title), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)

    @property
    def width(self) -> float:
        return self.pdf.w - self.pdf.l_margin - self.pdf.r_margin

    def _header(self, logo: tuple[bytes, str] | None) -> None:
        pdf, top = self.pdf, self.pdf.get_y()
        x = pdf.l_margin
        if logo is not None:
            try:
                pdf.image(io.BytesIO(logo[0]), x=x, y=top, h=14, keep_aspect_ratio=True, w=14)
                x += 17
            except Exception:  # noqa: BLE001 - a logo fpdf2 cannot draw must not stop the document
                pass
        pdf.set_xy(x, top + 1)
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(0, 6, text(self.branding.name), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 9)
        pdf.set_text_color(90, 90, 90)
        pdf.cell(0, 5, text(self.branding.short_name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        y = max(pdf.get_y(), top + 14) + 2
        pdf.set_draw_color(*self.colour)
        pdf.set_line_width(0.8)
        pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
        pdf.set_line_width(0.2)
        pdf.set_draw_color(0, 0, 0)
        pdf.set_y(y + 3)

    def rows(self, pairs: Sequence[tuple[str, object]], label_width: float = 42) -> None:
        """Label: value lines (a value too long wraps)."""
        pdf = self.pdf
        for label, value in pairs:
            pdf.set_font("Helvetica", "", 9)
            pdf.set_text_color(80, 80, 80)
            pdf.cell(label_width, 5.5, text(label))
            pdf.set_text_color(0, 0, 0)
            value = text(value)
            if len(value) == 64 and all(c in "0123456789abcdef" for c in value):  # a hash: small and fixed-width
                pdf.set_font("Courier", "", 7)
            else:
                pdf.set_font("Helvetica", "B", 9.5)
            pdf.multi_cell(0, 5.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def amount(self, label: str, amount: int, words: str) -> None:
        """The amount large, in figures and in words (terbilang)."""
        pdf = self.pdf
        pdf.ln(2)
        pdf.set_fill_color(*[int(c + (255 - c) * 0.88) for c in self.colour])
        y = pdf.get_y()
        pdf.rect(pdf.l_margin, y, self.width, 17, style="F")
        pdf.set_xy(pdf.l_margin + 3, y + 2)
        pdf.set_font("Helvetica", "", 8.5)
        pdf.cell(0, 4, text(label), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 6.5, text(rupiah(amount)), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "I", 8.5)
        pdf.multi_cell(self.width - 6, 4, text(f"Terbilang: {words}"), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), y + 17) + 2)

    def heading(self, value: str) -> None:
        self.pdf.ln(1.5)
        self.pdf.set_font("Helvetica", "B", 10.5)
        self.pdf.cell(0, 6.5, text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[float],
        align: str = "",
        empty: str = "Tidak ada transaksi pada periode ini.",
    ) -> None:
        """A simple ruled table; ``align`` has one letter (L/R/C) per column."""
        pdf = self.pdf
        align = align or "L" * len(headers)
        scale = self.width / sum(widths)
        widths = [w * scale for w in widths]

        def head() -> None:
            pdf.set_font("Helvetica", "B", 8)
            pdf.set_fill_color(*[int(c + (255 - c) * 0.8) for c in self.colour])
            for h, w, a in zip(headers, widths, align, strict=False):
                pdf.cell(w, 6, text(h), border=1, align=a, fill=True)
            pdf.ln(6)

        head()
        pdf.set_font("Helvetica", "", 8)
        for row in rows:
            if pdf.get_y() > pdf.h - 26:
                pdf.add_page()
                head()
                pdf.set_font("Helvetica", "", 8)
            for value, w, a in zip(row, widths, align, strict=False):
                pdf.cell(w, 5.5, text(value), border=1, align=a)
            pdf.ln(5.5)
        if not rows:
            pdf.set_font("Helvetica", "I", 8)
            pdf.cell(sum(widths), 6, text(empty), border=1, align="C")
            pdf.ln(6)
        pdf.ln(1.5)

    def note(self, value: str) -> None:
        self.pdf.set_font("Helvetica", "", 8)
        self.pdf.multi_cell(0, 4, text(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def qr(self, payload: str, caption: str, size: float = 38) -> None:
        """The signed QR at the right, with its caption; drawn as one rectangle per run of dark modules."""
        pdf = self.pdf
        matrix = qr_matrix(payload)
        quiet = 4
        cells = len(matrix) + 2 * quiet
        module = size / cells
        if pdf.get_y() + size + 8 > pdf.h - 18:
            pdf.add_page()
        x0, y0 = pdf.w - pdf.r_margin - size, pdf.get_y() + 2
        # One filled path holding every run: a rasteriser (PDFium in Chrome's viewer, poppler) fills
        # the union, so neighbouring runs leave no hairline seams that trip a phone's QR decoder.
        with pdf.new_path(paint_rule=PathPaintRule.FILL_NONZERO) as path:
            path.style.fill_color = "#000000"
            path.style.stroke_color = None
            for r, row in enumerate(matrix):
                c = 0
                while c < len(row):
                    if row[c]:
                        start = c
                        while c < len(row) and row[c]:
                            c += 1
                        path.rectangle(
                            x0 + (quiet + start) * module, y0 + (quiet + r) * module, (c - start) * module, module
                        )
                    else:
                        c += 1
        pdf.set_xy(pdf.l_margin, y0 + 6)
        pdf.set_font("Helvetica", "", 8)
        pdf.multi_cell(self.width - size - 4, 4, text(caption), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(y0 + size + 2)

    def signatures(self, left: str, right: str) -> None:
        pdf = self.pdf
        pdf.ln(4)
        half = self.width / 2
        pdf.set_font("Helvetica", "", 8.5)
        pdf.cell(half, 5, text(left), align="C")
        pdf.cell(half, 5, text(right), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(14)
        pdf.cell(half, 5, "(....................................)", align="C")
        pdf.cell(half, 5, "(....................................)", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
