"""The password policy: long enough, and not one of the passwords everybody tries first.

Pure rules (no I/O but reading the shipped lists once); the refusal is an ``InvalidInput`` with a
stable code and an Indonesian message, shown to whoever chose the password.
"""

from __future__ import annotations

import functools
import gzip
import unicodedata
from importlib import resources

from server.errors import InvalidInput

__all__ = ["check_password", "common_passwords", "MAX_PASSWORD_LENGTH"]

_INVISIBLE = frozenset({"Cc", "Cf", "Cs"})

MAX_PASSWORD_LENGTH = 200
"""As the login body allows (``LoginRequest.password``): a password one could set but never type in is refused."""


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped lists (server/auth/lists/README.md), lower-cased."""
    data = resources.files("server.auth") / "lists"
    words = gzip.decompress((data / "common-passwords.txt.gz").read_bytes()).decode().splitlines()
    words += (data / "common-passwords-id.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().casefold() for w in words if w.strip())


def check_password(password: str, *, min_length: int, username: str = "") -> None:
    """Raise ``InvalidInput`` if ``password`` may not be used.

    Control and format characters (NUL, tab, zero-width spaces: Unicode categories Cc, Cf, Cs) are
    refused, and the minimum length counts the password without its surrounding spaces: ten spaces or
    ten zero-width characters passed both checks before, and one cannot see or type them reliably.
    """
    if any(unicodedata.category(ch) in _INVISIBLE for ch in password):
        raise InvalidInput(
            "password_invalid_characters",
            "Kata sandi tidak boleh memuat karakter kontrol atau karakter yang tidak terlihat.",
        )
    if len(password.strip()) < min_length:
        raise InvalidInput(
            "password_too_short", f"Kata sandi minimal {min_length} karakter.", {"min_length": min_length}
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("password_too_long", f"Kata sandi paling panjang {MAX_PASSWORD_LENGTH} karakter.")
    folded = password.strip().casefold()
    if folded in common_passwords() or (username and username.casefold() in folded):
        raise InvalidInput(
            "password_too_common", "Kata sandi ini terlalu umum atau memuat nama pengguna; pilih yang lain."
        )
