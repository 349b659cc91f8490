"""``lumbung-server branding …`` and ``qr …`` as an operator runs them, against a real data folder."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

from server.documents.qr import encode_body
from tests.documents.helpers import pdf_qr_codes, pdf_text
from tests.support.api import login
from tests.support.servers import ROOT, ThreadServer, copy_template


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_branding_set_from_the_command_line_reaches_the_pdfs_and_qr_verify_says_asli(demo_template, tmp_path) -> None:
    data = copy_template(demo_template, tmp_path / "data")
    done = _cli(data, "branding", "set", "--name", "Koperasi Guru Mandiri", "--short-name", "KGM", "--color", "#AA3300")
    assert done.returncode == 0 and "Koperasi Guru Mandiri" in done.stdout
    refused = _cli(data, "branding", "set", "--name", "Koperasi", "--short-name", "K", "--color", "merah")
    assert refused.returncode == 2 and "branding_color_invalid" in refused.stderr
    svg = tmp_path / "logo.svg"
    svg.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>')
    assert _cli(data, "branding", "logo", str(svg)).returncode == 0
    assert "image/svg+xml" in _cli(data, "branding", "show").stdout
    server = ThreadServer(data).start()
    try:
        member = login(server.url, "anggota01")
        deposit = member.get("/api/deposits", member_id=1).json()["items"][0]
        slip = member.get(f"/api/documents/deposits/{deposit['id']}/slip").content
        assert "Koperasi Guru Mandiri" in pdf_text(slip)
        [payload] = pdf_qr_codes(slip)
    finally:
        server.stop()
    key = _cli(data, "qr", "key")
    assert key.returncode == 0 and "Ed25519" in key.stdout
    asli = _cli(data, "qr", "verify", payload)
    assert asli.returncode == 0 and asli.stdout.startswith("Asli") and deposit["code"] in asli.stdout
    head, body, sig = payload.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = _cli(data, "qr", "verify", f"{head}.{encode_body({**claims, 'a': claims['a'] * 10})}.{sig}")
    assert forged.returncode == 1 and forged.stdout.startswith("Tidak cocok") and "qr_bad_signature" in forged.stdout
