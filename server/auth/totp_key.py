"""TOTP secrets sealed at rest: a copied database (or backup) does not give the second factor away.

The secret is encrypted with Fernet (AES-128-CBC with an HMAC-SHA256 tag, from ``cryptography``)
under a key kept in ``<data_dir>/totp.key`` (mode 0600), made at first start like the VAPID key.
The key is deliberately **not** in the backups (``docs/BACKUP.md``): a backup together with its key
would be the clear secrets again. A sealed secret is stored as ``fernet:<token>``; a value without
that prefix is a clear secret from before sealing, which the start-up step seals.

Rotation (``lumbung-server mfa-rotate-key``, a leaked key): the file holds one key per line, the
first seals and every line opens (``MultiFernet``, the library's own rotation). The command, alone
at a time (a lock file), puts a new key first, re-seals every secret under it in one durable write
transaction, then drops the old lines; a crash at any step leaves every secret readable under the
file as it is. A running server notices the file changed (a new inode: every write is a rename) and
reads it again. It seals only inside a write transaction, after that check, so a seal is either
committed before the re-seal (and re-sealed) or made under the new key.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
from collections.abc import Iterator
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from server.errors import AuthError
from server.secret_files import write_owner_only

__all__ = ["KEY_FILE", "SEALED_PREFIX", "TotpKey", "is_sealed"]

KEY_FILE = "totp.key"
SEALED_PREFIX = "fernet:"
UNREADABLE = (
    "Kode verifikasi tidak dapat diperiksa di server ini (kunci TOTP tidak cocok). "
    "Masuk dengan kode pemulihan atau minta admin mengatur ulang verifikasi dua langkah."
)


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


class TotpKey:
    """The data folder's TOTP key ring, made on first use; seals and opens secrets."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / KEY_FILE
        self._lock = threading.Lock()
        self._ring: MultiFernet | None = None
        self._read_as: tuple[int, int] | None = None  # the file's (inode, mtime) when it was read

    def exists(self) -> bool:
        return self.path.exists()

    def keys(self) -> list[bytes]:
        """The ring's keys, the sealing one first."""
        return [line.strip() for line in self.path.read_bytes().splitlines() if line.strip()]

    def ensure(self) -> MultiFernet:
        with self._lock:
            if not self.path.exists():
                write_owner_only(self.path, Fernet.generate_key() + b"\n")
            info = self.path.stat()
            seen = (info.st_ino, info.st_mtime_ns)  # every write is a rename of a new file: a new inode
            if self._ring is None or seen != self._read_as:
                self._ring = MultiFernet([Fernet(key) for key in self.keys()])
                self._read_as = seen
            return self._ring

    def seal(self, secret: str) -> str:
        return SEALED_PREFIX + self.ensure().encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The clear secret; 401 ``mfa_secret_unreadable`` when it was sealed under another key (a
        database restored without its ``totp.key``)."""
        if not is_sealed(stored):
            return stored
        try:
            return self.ensure().decrypt(stored[len(SEALED_PREFIX) :].encode()).decode()
        except InvalidToken:
            raise AuthError("mfa_secret_unreadable", UNREADABLE) from None

    def reseal(self, stored: str) -> str:
        """The same secret sealed under the ring's first key (a clear one is sealed); ``AuthError``
        ``mfa_secret_unreadable`` when no key of the ring opens it."""
        if not is_sealed(stored):
            return self.seal(stored)
        try:
            return SEALED_PREFIX + self.ensure().rotate(stored[len(SEALED_PREFIX) :].encode()).decode()
        except InvalidToken:
            raise AuthError("mfa_secret_unreadable", UNREADABLE) from None

    def add_first(self, key: bytes) -> None:
        """Rotation step 1: ``key`` seals from now on; the old keys still open."""
        self._write([key, *[k for k in self.keys() if k != key]])

    def keep_only(self, key: bytes) -> None:
        """Rotation step 3, once every secret is sealed under ``key``: the old keys are gone. Refused
        unless ``key`` is still the first (another rotation came in between: nothing is dropped)."""
        keys = self.keys()
        if not keys or keys[0] != key:
            raise RuntimeError(f"{self.path} changed during the rotation; no key was dropped")
        self._write([key])

    @contextlib.contextmanager
    def rotating(self) -> Iterator[None]:
        """One rotation at a time in this data folder (an exclusive lock on ``totp.key.lock``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, keys: list[bytes]) -> None:
        with self._lock:
            write_owner_only(self.path, b"".join(k + b"\n" for k in keys))
            self._ring = None
