"""Reading a proof-of-transfer file once, at queue time: its bytes, SHA-256 and content type.

The bytes are copied into the device database with the outbox item, so a photo deleted or moved
after queueing can still be uploaded (DESIGN rule 8: the server stores by hash, so uploading twice is
harmless). The type is sniffed from the file's first bytes, not trusted from its name, and checked
against what the server accepts so a bad file is refused before it can enter the queue.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from msgspec import Struct

__all__ = [
    "ACCEPTED_TYPES",
    "MAX_ATTACHMENT_BYTES",
    "LoadedAttachment",
    "sniff_content_type",
    "load_attachment",
    "sha256_of",
]

ACCEPTED_TYPES = ("image/jpeg", "image/png", "application/pdf")
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
"""Local ceiling; the server's own limit (answered 413) may be lower."""


class LoadedAttachment(Struct, frozen=True):
    sha256: str
    content_type: str
    path: str
    content: bytes


def sniff_content_type(head: bytes) -> str | None:
    """The content type of a JPEG, PNG or PDF from its magic bytes, else None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def load_attachment(path: str | Path, *, max_bytes: int = MAX_ATTACHMENT_BYTES) -> LoadedAttachment:
    """Read and check one file; ``ValueError`` (in Bahasa Indonesia) if it cannot be sent."""
    file = Path(path)
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise ValueError(f"Lampiran {file} tidak dapat dibaca: {exc.strerror or exc}") from exc
    if not content:
        raise ValueError(f"Lampiran {file} kosong.")
    if len(content) > max_bytes:
        raise ValueError(f"Lampiran {file} terlalu besar ({len(content)} bita; maksimum {max_bytes}).")
    content_type = sniff_content_type(content[:16])
    if content_type is None:
        raise ValueError(f"Lampiran {file} harus berupa JPEG, PNG atau PDF.")
    return LoadedAttachment(sha256_of(content), content_type, str(file.resolve()), content)
