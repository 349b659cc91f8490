"""Compressed pulls (issue 6.12): gzip or brotli when the client accepts it, the same JSON inside; small
answers, attachments and the live channel (SSE) are sent as they are."""

from __future__ import annotations

import gzip
import time

import brotli
import httpx
import pytest

from client_sync.transport import ACCEPT_ENCODING, Transport
from tests.protocol.protocol_helpers import PNG_MAGIC, png_bytes, sha256
from tests.support.api import login


def _raw_pull(session, encoding: str) -> tuple[httpx.Headers, bytes]:
    """The pull's bytes exactly as they crossed the wire (not decoded by httpx)."""
    params = {"client_id": session.client_id, "cursor": "", "limit": 1000}
    with session.http.stream("GET", "/api/sync/pull", params=params, headers={"Accept-Encoding": encoding}) as r:
        assert r.status_code == 200, r.read()
        return r.headers, b"".join(r.iter_raw())


@pytest.mark.parametrize(("encoding", "decompress"), [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_pull_comes_back_compressed_and_decodes_to_the_same_json(live_server, encoding, decompress):
    officer = login(live_server.url, "petugas1")
    plain_headers, plain = _raw_pull(officer, "identity")
    assert "content-encoding" not in plain_headers
    assert len(plain) > 1024
    headers, packed = _raw_pull(officer, encoding)
    assert headers["content-encoding"] == encoding
    assert "accept-encoding" in headers.get("vary", "").lower()
    assert len(packed) < len(plain) / 3  # JSON of rows compresses well
    assert decompress(packed) == plain


def test_brotli_is_preferred_and_gzip_is_the_fallback(live_server):
    officer = login(live_server.url, "petugas1")
    assert _raw_pull(officer, "gzip, deflate, br")[0]["content-encoding"] == "br"
    assert _raw_pull(officer, "gzip, deflate")[0]["content-encoding"] == "gzip"


def test_small_answers_are_not_compressed(live_server):
    response = httpx.get(f"{live_server.url}/api/health", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers


def test_attachments_are_sent_as_stored(live_server):
    member = login(live_server.url, "anggota04")
    data = png_bytes(f"kompres-{member.client_id}", size=64 * 1024)
    digest = sha256(data)
    assert (
        member.http.put(f"/api/attachments/{digest}", content=data, headers={"content-type": "image/png"}).status_code
        == 201
    )
    with member.http.stream("GET", f"/api/attachments/{digest}", headers={"Accept-Encoding": "gzip, br"}) as r:
        assert r.status_code == 200
        assert "content-encoding" not in r.headers
        raw = b"".join(r.iter_raw())
    assert raw == data and raw.startswith(PNG_MAGIC)


def test_live_channel_is_not_compressed_or_buffered(live_server):
    """With compression, the first event would sit in the compressor's buffer; it must arrive at once."""
    member = login(live_server.url, "anggota04")
    started = time.monotonic()
    with member.http.stream(
        "GET",
        "/api/sync/events",
        params={"client_id": member.client_id},
        headers={"Accept-Encoding": "gzip, br", "Accept": "text/event-stream"},
        timeout=httpx.Timeout(5.0),
    ) as r:
        assert r.status_code == 200
        assert "content-encoding" not in r.headers
        first = next(r.iter_raw())
    assert b"event: ready" in first
    assert time.monotonic() - started < 4


def test_client_sync_asks_for_compression_and_reads_it(live_server):
    officer = login(live_server.url, "petugas1")
    seen: list[httpx.Response] = []
    http = httpx.Client(base_url=live_server.url, event_hooks={"response": [seen.append]})
    transport = Transport(live_server.url, http=http)
    page = transport.pull(officer.token, officer.client_id, "", 1000)
    assert page.changes and page.has_more in (True, False)
    response = seen[-1]
    assert response.request.headers["accept-encoding"] == ACCEPT_ENCODING
    assert response.headers["content-encoding"] == "br"
    assert response.num_bytes_downloaded < len(response.content) / 3
    identity = Transport(
        live_server.url,
        http=httpx.Client(base_url=live_server.url, event_hooks={"response": [seen.append]}),
        accept_encoding="identity",
    )
    same = identity.pull(officer.token, officer.client_id, "", 1000)
    assert "content-encoding" not in seen[-1].headers
    assert [c.seq for c in same.changes] == [c.seq for c in page.changes]
