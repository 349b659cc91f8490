"""White-label through HTTP: the admin sets name, short name, colour and logo; every device gets it in
the feed, the browser in the manifest and icons, and every PDF prints the new name."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from tests.documents.helpers import pdf_text
from tests.support.api import login

BRAND = {"name": "Koperasi Pegawai Nusantara", "short_name": "KPN", "theme_color": "#4A148C"}
"""Another cooperative than the demo's own (``server.demo.DEMO_BRANDING``), so a save is seen to change it."""
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
    b'<circle cx="32" cy="32" r="30" fill="#0d47a1"/><text x="32" y="40" font-size="20" text-anchor="middle"'
    b' fill="#fff">KK</text></svg>'
)


def _png(size: int = 64, colour: str = "#0d47a1") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


def test_admin_sets_branding_devices_get_it_in_the_feed_and_pdfs_print_it(fresh_server) -> None:
    admin, member = login(fresh_server.url, "admin"), login(fresh_server.url, "anggota01")
    member.pull_all()
    saved = admin.http.put("/api/admin/branding", json=BRAND)
    assert saved.status_code == 200 and saved.json()["theme_color"] == "#4a148c"
    changes = [c for c in member.pull_all() if c["entity"] == "branding"]
    assert changes and changes[-1]["data"]["name"] == BRAND["name"] and changes[-1]["data"]["short_name"] == "KPN"
    for username in ("anggota01", "petugas1", "pengurus1", "admin"):
        assert login(fresh_server.url, username).get("/api/branding").json()["name"] == BRAND["name"]
    public = httpx.get(f"{fresh_server.url}/branding").json()  # the login page: no token, no protocol header
    assert public["name"] == BRAND["name"]
    manifest = httpx.get(f"{fresh_server.url}/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert (body["name"], body["short_name"], body["theme_color"]) == (BRAND["name"], "KPN", "#4a148c")
    assert {i["sizes"] for i in body["icons"]} >= {"192x192", "512x512"}
    for icon in body["icons"]:
        image = httpx.get(f"{fresh_server.url}{icon['src']}")
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(image.content)).size == tuple(int(x) for x in icon["sizes"].split("x"))
    statement = member.get(
        "/api/documents/savings-statement", savings_type="wajib", period_start="2020-01-01", period_end="2099-12-31"
    )
    text = pdf_text(statement.content)
    assert BRAND["name"] in text and "Koperasi Simpan Pinjam" not in text and "Sejahtera" not in text


@pytest.mark.parametrize("content_type,data", [("image/png", _png()), ("image/svg+xml", SVG)])
def test_a_png_or_svg_logo_is_served_by_us_listed_in_the_manifest_and_printed(
    fresh_server, content_type: str, data: bytes
) -> None:
    admin = login(fresh_server.url, "admin")
    saved = admin.http.put("/api/admin/branding/logo", content=data, headers={"content-type": content_type})
    assert saved.status_code == 200, saved.text
    assert saved.json()["logo_type"] == content_type and len(saved.json()["logo_sha256"]) == 64
    logo = httpx.get(f"{fresh_server.url}/branding/logo")
    assert logo.status_code == 200 and logo.content == data and logo.headers["content-type"].startswith(content_type)
    if content_type == "image/svg+xml":
        assert "sandbox" in logo.headers["content-security-policy"]
        assert any(
            i["type"] == "image/svg+xml" for i in httpx.get(f"{fresh_server.url}/manifest.webmanifest").json()["icons"]
        )
    icon = Image.open(io.BytesIO(httpx.get(f"{fresh_server.url}/branding/icons/192").content))
    assert icon.size == (192, 192)
    member = login(fresh_server.url, "anggota01")
    pdf = member.get(
        "/api/documents/savings-statement", savings_type="wajib", period_start="2020-01-01", period_end="2099-12-31"
    )
    assert pdf.status_code == 200 and (b"/Image" in pdf.content or b"/XObject" in pdf.content)


@pytest.mark.parametrize(
    "body,code",
    [
        ({**BRAND, "theme_color": "blue"}, "branding_color_invalid"),
        ({**BRAND, "name": "  "}, "branding_name_invalid"),
        ({**BRAND, "short_name": "x" * 25}, "branding_short_name_invalid"),
        ({**BRAND, "extra": 1}, "invalid_request"),
        ({"name": "Koperasi"}, "invalid_request"),
    ],
)
def test_bad_branding_is_refused_with_a_stable_code_and_nothing_changes(live_server, body: dict, code: str) -> None:
    admin = login(live_server.url, "admin")
    before = admin.get("/api/branding").json()
    response = admin.http.put("/api/admin/branding", json=body)
    assert response.status_code == 422 and response.json()["code"] == code
    assert admin.get("/api/branding").json() == before


@pytest.mark.parametrize(
    "content_type,data,status,code",
    [
        ("image/jpeg", b"\xff\xd8\xff\xe0" + b"0" * 100, 415, "logo_type_unsupported"),
        ("image/png", b"GIF89a not a png", 415, "logo_type_mismatch"),
        ("image/png", _png(600) + b"\0" * (300 * 1024), 413, "logo_too_large"),
        (
            "image/svg+xml",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            422,
            "logo_svg_unsafe",
        ),
        ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', 422, "logo_svg_unsafe"),
        ("image/svg+xml", b"hello", 415, "logo_type_mismatch"),
    ],
)
def test_bad_logos_are_refused_with_a_stable_code(
    live_server, content_type: str, data: bytes, status: int, code: str
) -> None:
    response = login(live_server.url, "admin").http.put(
        "/api/admin/branding/logo", content=data, headers={"content-type": content_type}
    )
    assert response.status_code == status and response.json()["code"] == code, response.text


@pytest.mark.parametrize("username", ["anggota01", "petugas1", "pengurus1"])
def test_only_the_admin_may_change_branding(live_server, username: str) -> None:
    caller = login(live_server.url, username)
    assert caller.http.put("/api/admin/branding", json=BRAND).json()["code"] == "role_not_allowed"
    logo = caller.http.put("/api/admin/branding/logo", content=_png(), headers={"content-type": "image/png"})
    assert logo.status_code == 403 and logo.json()["code"] == "role_not_allowed"


def test_without_a_logo_the_logo_is_404_and_icons_are_plain(live_server) -> None:
    assert httpx.get(f"{live_server.url}/branding/icons/512").status_code == 200
    assert httpx.get(f"{live_server.url}/branding/icons/100").json()["code"] == "icon_not_found"


def test_the_demo_cooperative_has_a_real_branding_row_that_feed_manifest_login_and_pdfs_agree_on(
    fresh_server,
) -> None:
    from server.demo import DEMO_BRANDING

    name, short, colour = DEMO_BRANDING.name, DEMO_BRANDING.short_name, DEMO_BRANDING.theme_color
    member = login(fresh_server.url, "anggota01")
    [row] = [c["data"] for c in member.pull_all() if c["entity"] == "branding"]  # a real row, in the feed
    assert (row["name"], row["short_name"], row["theme_color"]) == (name, short, colour) and row["updated_at"]
    assert httpx.get(f"{fresh_server.url}/branding").json()["name"] == name  # the login page
    manifest = httpx.get(f"{fresh_server.url}/manifest.webmanifest").json()
    assert (manifest["name"], manifest["short_name"], manifest["theme_color"]) == (name, short, colour)
    statement = member.get(
        "/api/documents/savings-statement", savings_type="wajib", period_start="2020-01-01", period_end="2099-12-31"
    )
    text = pdf_text(statement.content)
    assert name in text and "Koperasi Simpan Pinjam" not in text
