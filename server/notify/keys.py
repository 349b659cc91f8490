"""The server's VAPID key pair: made at first start, kept in the data directory (owner-only), rotatable.

Browsers subscribe with our public key (the ``applicationServerKey``), and every push we send is
signed with the private key, so push services accept it only from us. The private key lives in
``<data_dir>/vapid_private.pem`` (mode 0600), never in the repository. A running server notices a
rotated file (by its inode and modification time) at its next use, so ``lumbung-server push
rotate-keys`` works with the server up or down.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from msgspec import Struct
from py_vapid import Vapid02

from server.secret_files import write_owner_only

__all__ = ["VapidKey", "KeyStore", "KEY_FILE"]

KEY_FILE = "vapid_private.pem"


class VapidKey(Struct, frozen=True):
    vapid: Vapid02
    public_key: str
    """Uncompressed P-256 point, URL-safe base64 without padding: what ``pushManager.subscribe`` takes."""
    key_id: str
    """A short fingerprint of the public key; subscriptions remember the key they were made with."""
    pem: bytes
    """The private key (PKCS#8 PEM), for the push worker process."""


def _describe(vapid: Vapid02) -> VapidKey:
    raw = vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    public = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return VapidKey(
        vapid=vapid, public_key=public, key_id=hashlib.sha256(raw).hexdigest()[:16], pem=vapid.private_pem()
    )


class KeyStore:
    """The current key, loaded lazily and reloaded when the file changes."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / KEY_FILE
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._key: VapidKey | None = None

    def ensure(self) -> VapidKey:
        """The key, generated on first use."""
        with self._lock:
            if not self.path.exists():
                vapid = Vapid02()
                vapid.generate_keys()
                write_owner_only(self.path, vapid.private_pem())
            return self._load()

    def current(self) -> VapidKey:
        with self._lock:
            return self._load()

    def _load(self) -> VapidKey:
        stat = self.path.stat()
        stamp = (stat.st_ino, stat.st_mtime_ns)
        if self._key is None or stamp != self._stamp:
            if stat.st_mode & 0o077:
                os.chmod(self.path, 0o600)
            self._key = _describe(Vapid02.from_file(str(self.path)))
            self._stamp = stamp
        return self._key

    def rotate(self) -> VapidKey:
        """Replace the key pair; subscriptions made with the old key must be renewed by their devices."""
        with self._lock:
            vapid = Vapid02()
            vapid.generate_keys()
            write_owner_only(self.path, vapid.private_pem())
            return self._load()
