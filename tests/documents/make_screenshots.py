"""Render the printed documents of a branded demo cooperative to PNG in ``docs/screenshots/``.

Run: ``python -m tests.documents.make_screenshots`` (PDF pages rendered by pypdfium2). The PNGs are for people to look
at; the tests check the same PDFs by their text and QR codes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.documents.conftest import Printed
from tests.documents.helpers import render_png
from tests.documents.test_branding import SVG
from tests.support.api import login
from tests.support.servers import make_demo_template

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def main() -> None:
    from tests.documents import conftest  # the fixture's body, reused as a plain generator

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        template = make_demo_template(Path(tmp) / "t")

        class Factory:
            def mktemp(self, name: str) -> Path:
                path = Path(tmp) / name
                path.mkdir()
                return path

        gen = conftest.printed.__wrapped__(template, Factory())  # type: ignore[attr-defined]
        p: Printed = next(gen)
        try:
            admin = login(p.url, "admin")
            # the demo's own branding (server.demo.DEMO_BRANDING) names the cooperative; a logo is added
            admin.http.put(
                "/api/admin/branding/logo", content=SVG, headers={"content-type": "image/svg+xml"}
            ).raise_for_status()
            member = login(p.url, "anggota01")
            deposit = next(
                d for d in member.get("/api/deposits", page_size=50).json()["items"] if d["savings_type"] == "sukarela"
            )
            shots = {
                "pdf-slip-setoran.png": member.get(f"/api/documents/deposits/{deposit['id']}/slip"),
                "pdf-slip-penarikan.png": member.get(f"/api/documents/withdrawals/{p.withdrawal_id}/slip"),
                "pdf-kartu-simpanan.png": member.get(
                    "/api/documents/savings-statement",
                    savings_type="sukarela",
                    period_start="2020-01-01",
                    period_end="2099-12-31",
                ),
                "pdf-pinjaman.png": login(p.url, "anggota04").get(f"/api/documents/loans/{p.loan_id}/statement"),
                "pdf-kas-harian.png": login(p.url, "petugas1").get("/api/documents/cash-report"),
            }
            for name, response in shots.items():
                response.raise_for_status()
                render_png(response.content, OUT / name)
                print(OUT / name)
        finally:
            next(gen, None)


if __name__ == "__main__":
    main()
