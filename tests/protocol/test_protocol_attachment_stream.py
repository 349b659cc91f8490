"""Attachment upload streams to a temporary file (issue 6.6): hashed on the way, never held whole,
renamed into place only when complete and matching, and nothing left behind when refused."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tests.protocol.protocol_helpers import PNG_MAGIC, assert_error, query
from tests.support.api import login

CHUNK = 64 * 1024


def _incoming(server) -> Path:
    return Path(server.data_dir) / "attachments" / ".incoming"


def _parts(server) -> list[Path]:
    folder = _incoming(server)
    return sorted(folder.glob("*.part")) if folder.exists() else []


def _body(seed: str, chunks: int) -> bytes:
    block = hashlib.sha256(seed.encode()).digest() * (CHUNK // 32)
    return PNG_MAGIC + (block * chunks)[: chunks * CHUNK - len(PNG_MAGIC)]


def test_a_slow_upload_is_written_to_disk_while_it_arrives(live_server):
    """Half-way through a slow upload, its first half is already in a temporary file on disk."""
    member = login(live_server.url, "anggota04")
    data = _body(f"slow-{member.client_id}", 8)
    digest = hashlib.sha256(data).hexdigest()
    seen_on_disk: list[int] = []

    def slowly() -> Iterator[bytes]:
        for i in range(0, len(data), CHUNK):
            if i == 4 * CHUNK:  # the server has had 4 chunks: wait until it wrote them to its temp file
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    sizes = [p.stat().st_size for p in _parts(live_server)]
                    if sizes and max(sizes) >= 3 * CHUNK:
                        seen_on_disk.append(max(sizes))
                        break
                    time.sleep(0.02)
            yield data[i : i + CHUNK]

    response = member.http.put(f"/api/attachments/{digest}", content=slowly(), headers={"content-type": "image/png"})
    assert response.status_code == 201, response.text
    assert seen_on_disk, "no partial file appeared on disk while the body was still arriving"
    stored = Path(live_server.data_dir) / "attachments" / digest[:2] / digest
    assert stored.read_bytes() == data
    assert response.json()["size"] == len(data)
    assert query(live_server.db_path, "SELECT size FROM attachments WHERE sha256 = ?", digest)[0][0] == len(data)
    assert not _parts(live_server)


def test_an_upload_over_the_limit_without_content_length_is_refused_while_streaming(live_server):
    """A chunked body gives no size up front: it is cut off once past the limit, and its temp file removed."""
    member = login(live_server.url, "anggota04")
    sent = [0]

    def endless() -> Iterator[bytes]:
        yield PNG_MAGIC + b"\0" * (CHUNK - len(PNG_MAGIC))
        for _ in range(200):  # 12.5 MB offered; the server stops reading after 5 MB
            sent[0] += CHUNK
            yield b"\0" * CHUNK

    try:
        response = member.http.put(
            f"/api/attachments/{'0' * 64}", content=endless(), headers={"content-type": "image/png"}
        )
    except Exception:  # noqa: BLE001 - the server may close the connection before the client finished sending
        response = None
    if response is not None:
        assert_error(response, 413, "attachment_too_large")
    assert not (Path(live_server.data_dir) / "attachments" / "00" / ("0" * 64)).exists()
    deadline = time.monotonic() + 5
    while _parts(live_server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _parts(live_server)


def test_concurrent_uploads_of_the_same_file_store_it_once_intact(live_server):
    # four members at once (one user has at most two uploads receiving: attachment_uploads_in_flight)
    members = [login(live_server.url, f"anggota0{n}") for n in (4, 5, 6, 7)]
    data = _body(f"twice-{members[0].client_id}", 3)
    digest = hashlib.sha256(data).hexdigest()
    statuses: list[int] = []

    def upload(member) -> None:  # type: ignore[no-untyped-def]
        statuses.append(
            member.http.put(
                f"/api/attachments/{digest}", content=data, headers={"content-type": "image/png"}
            ).status_code
        )

    threads = [threading.Thread(target=upload, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 200, 200, 201]  # recorded once; the others find it stored
    stored = Path(live_server.data_dir) / "attachments" / digest[:2] / digest
    assert stored.read_bytes() == data
    assert not _parts(live_server)
