"""``/api/attachments``: transfer proofs stored by content hash (DESIGN rule 8).

Uploading the same file twice is harmless; the declared type must match the file's magic bytes. The
file is moved into place in the write transaction that records the upload, so an orphan clean-up
racing with it never leaves a record without its file (``server/operations/attachment_files.py``).
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread
from litestar import Controller, Request, Response, get, put
from litestar.params import FromPath

from server.access import reach_of
from server.auth.service import utcnow
from server.errors import InvalidInput, NotFound, TooLarge, TooManyAttempts, UnsupportedType
from server.operations.attachment_files import place_upload, settle_trash, stored_path
from server.protocol import AttachmentInfo
from server.storage import attachments as store
from server.storage.database import Connection
from server.storage.interface import ReadTx

__all__ = ["AttachmentController"]

_MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "application/pdf": (b"%PDF-",)}
_SHA256 = re.compile(r"[0-9a-f]{64}")
_HEAD = max(len(m) for magics in _MAGIC.values() for m in magics)  # enough bytes to check the magic


class _Incoming:
    """A body arriving on its way to disk: a temporary file beside the store, hashed chunk by chunk.

    Every file operation runs off the event loop (a worker thread, ``anyio.to_thread``), so a slow disk
    never stalls it; the hash is taken in the same hop as the write. The file is renamed into place
    atomically only once its hash matched (``place``, on the writer inside the transaction that
    records it: one rename), and removed on any failure.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hash = hashlib.sha256()
        self.size = 0
        self.head = b""
        self.path: Path | None = None
        self._file: BinaryIO | None = None

    def open(self) -> None:
        incoming = self.root / ".incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=incoming, suffix=".part")
        self.path, self._file = Path(name), os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        assert self._file is not None
        self._file.write(chunk)
        self.hash.update(chunk)

    def finish(self) -> None:
        """Flush to disk: the bytes are durable before a record names them."""
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()

    def place(self, target: Path) -> None:
        """Move into place (or drop it: the same content is stored already). In the write transaction."""
        assert self.path is not None
        place_upload(self.path, target)
        self.path = None

    def discard(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


async def _receive(request: Request, incoming: _Incoming, limit: int) -> None:
    """Stream the body into ``incoming``, refused as soon as it passes the limit (never held whole)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    await anyio.to_thread.run_sync(incoming.open)
    async for chunk in request.stream():
        if not chunk:
            continue
        incoming.size += len(chunk)
        if incoming.size > limit:
            raise _too_large(limit)
        if len(incoming.head) < _HEAD:
            incoming.head += chunk[: _HEAD - len(incoming.head)]
        await anyio.to_thread.run_sync(incoming.write, chunk)


UPLOADS_IN_FLIGHT = 2
"""Uploads one user may have receiving at once. The quota is read when an upload starts and counts it
when it ends, so without this bound many uploads sent at the same moment would all pass; with it an
upload may pass the quota by at most one file. Devices upload one file after another."""


def _in_flight(request: Request) -> collections.Counter[int]:
    """This app's uploads receiving now, per user (one counter per server process)."""
    state = request.app.state
    if getattr(state, "uploads_in_flight", None) is None:
        state.uploads_in_flight = collections.Counter()
    counter: collections.Counter[int] = state.uploads_in_flight
    return counter


async def _within_quota(request: Request, sha256: str) -> None:
    """429 ``attachment_quota_exceeded`` when this user's new files of the last 24 hours reach the
    per-user bounds (the attachments share the data folder with the database: one account must not
    fill the disk). A file this user uploaded before is always accepted again: a retry costs no disk."""
    settings, user_id = request.app.state.services.settings, request.user.id
    now = utcnow()
    since = (now - dt.timedelta(days=1)).isoformat()

    def read(conn: ReadTx) -> tuple[str, tuple[int, int, str | None]]:
        return store.ownership(conn, sha256, user_id), store.uploads_since(conn, user_id, since)

    mine, (files, size, oldest) = await request.app.state.services.db.read(read)
    if mine == "mine":
        return
    if files >= settings.attachment_user_files_per_day or size >= settings.attachment_user_bytes_per_day:
        free_at = dt.datetime.fromisoformat(oldest) + dt.timedelta(days=1) if oldest else now
        wait = max(1, int((free_at - now).total_seconds()) + 1)
        raise TooManyAttempts(
            "attachment_quota_exceeded",
            "Batas unggahan bukti dalam 24 jam terakhir sudah tercapai; coba lagi nanti atau hubungi petugas.",
            wait,
            {"max_files": settings.attachment_user_files_per_day, "max_bytes": settings.attachment_user_bytes_per_day},
        )


def _too_large(limit: int) -> TooLarge:
    return TooLarge(
        "attachment_too_large", f"Ukuran berkas maksimal {limit // (1024 * 1024)} MB.", {"max_bytes": limit}
    )


class AttachmentController(Controller):
    path = "/api/attachments"
    tags = ["attachments"]

    @put("/{sha256:str}", status_code=201, request_max_body_size=None)
    async def upload(self, request: Request, sha256: FromPath[str]) -> Response[AttachmentInfo]:
        """Store a file (the raw request body) under its SHA-256; 200 if it is already stored."""
        if not _SHA256.fullmatch(sha256):
            raise InvalidInput(
                "attachment_hash_invalid", "Nama berkas harus hash SHA-256 (64 huruf heksadesimal kecil)."
            )
        settings = request.app.state.services.settings
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in settings.attachment_types or content_type not in _MAGIC:
            raise UnsupportedType(
                "attachment_type_unsupported",
                "Bukti setoran harus berupa JPG, PNG atau PDF.",
                {"allowed": list(settings.attachment_types)},
            )
        await _within_quota(request, sha256)
        slots = _in_flight(request)
        if slots[request.user.id] >= UPLOADS_IN_FLIGHT:
            raise TooManyAttempts(
                "attachment_uploads_in_flight",
                "Unggahan sebelumnya masih berjalan; tunggu sebentar lalu kirim lagi.",
                2,
                {"max_in_flight": UPLOADS_IN_FLIGHT},
            )
        slots[request.user.id] += 1  # on the event loop: no other upload reads the count in between
        incoming = _Incoming(settings.attachments_dir)
        try:
            await _receive(request, incoming, settings.attachment_max_bytes)
            if not any(incoming.head.startswith(magic) for magic in _MAGIC[content_type]):
                raise UnsupportedType("attachment_type_mismatch", "Isi berkas tidak sesuai dengan jenisnya.")
            if incoming.hash.hexdigest() != sha256:
                raise InvalidInput(
                    "attachment_hash_mismatch", "Berkas rusak saat dikirim (hash tidak cocok); kirim ulang."
                )
            await anyio.to_thread.run_sync(incoming.finish)
            size = incoming.size
            user_id, now = request.user.id, utcnow().isoformat()
            target = stored_path(settings.attachments_dir, sha256)

            def record(conn: Connection) -> bool:
                # record and file together: a clean-up that removed this file's record in an earlier
                # transaction moved the file out in it too, so it is put back here, never trusted
                created = store.record_upload(conn, sha256, size, content_type, user_id=user_id, now=now)
                incoming.place(target)
                return created

            created = await request.app.state.services.db.write(record)
        finally:
            slots[request.user.id] -= 1
            await anyio.to_thread.run_sync(incoming.discard)
        return Response(AttachmentInfo(sha256, size, content_type), status_code=201 if created else 200)

    @get("/{sha256:str}")
    async def download(self, request: Request, sha256: FromPath[str]) -> Response[bytes]:
        """The file, to its uploaders and to whoever the access policy lets see a deposit naming it.

        Anyone else gets the answer of a file that does not exist (404), so a hash reveals nothing.
        """
        reach = reach_of(request.user)
        content_type = await request.app.state.services.db.read(lambda c: store.readable_type(c, sha256, reach))
        if content_type is None:
            raise NotFound("attachment_not_found", "Berkas tidak ditemukan.")
        services = request.app.state.services
        root = services.settings.attachments_dir
        path = stored_path(root, sha256)
        try:
            content = await anyio.to_thread.run_sync(path.read_bytes)
        except FileNotFoundError:
            # recorded but not in the store: a clean-up killed mid-run left it in its trash (put back
            # here), or one removed it since the check above (then it stays not found)
            if not await anyio.to_thread.run_sync(settle_trash, services.db, root):
                raise NotFound("attachment_not_found", "Berkas tidak ditemukan.") from None
            try:
                content = await anyio.to_thread.run_sync(path.read_bytes)
            except FileNotFoundError:
                raise NotFound("attachment_not_found", "Berkas tidak ditemukan.") from None
        return Response(content, media_type=content_type)
