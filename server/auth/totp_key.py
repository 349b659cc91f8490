"""TOTP secrets sealed at rest: a copied database (or backup) does not give the second factor away.

The secret is encrypted with Fernet (AES-128-CBC with an HMAC-SHA256 tag, from ``cryptography``)
under a key kept in ``<data_dir>/totp.key`` (mode 0600), made at first start like the VAPID key.
The key is deliberately **not** in the backups (``docs/BACKUP.md``): a backup together with its key
would be the clear secrets again. A sealed secret is stored as ``fernet:<token>``; a value without
that prefix is a clear secret from before sealing, which the start-up step seals.
"""

from __future__ import annotations

import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

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
    """The data folder's TOTP key, made on first use; seals and opens secrets."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / KEY_FILE
        self._lock = threading.Lock()
        self._fernet: Fernet | None = None

    def exists(self) -> bool:
        return self.path.exists()

    def ensure(self) -> Fernet:
        with self._lock:
            if self._fernet is None:
                if not self.path.exists():
                    write_owner_only(self.path, Fernet.generate_key())
                self._fernet = Fernet(self.path.read_bytes().strip())
            return self._fernet

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
