"""Server settings: one msgspec struct, read from ``LUMBUNG_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import msgspec

from server.domain.loans import LoanSettings
from server.domain.models import Limits

__all__ = ["Settings"]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Every knob of the server. ``LUMBUNG_DATA_DIR=/srv/kop`` sets ``data_dir``, and so on."""

    data_dir: str = "data"
    database: str = ""
    """SQLite file; empty means ``<data_dir>/lumbung.sqlite3``."""
    secret_key: str = ""
    """Signs access tokens; empty means generated once and kept in ``<data_dir>/secret.key``."""
    host: str = "127.0.0.1"
    port: int = 8000
    access_token_ttl: int = 900
    refresh_token_ttl: int = 30 * 86400
    """Refresh tokens last through weeks offline; revoked by logout or an admin."""
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
    sqlite_synchronous: str = "FULL"
    attachment_max_bytes: int = 5 * 1024 * 1024
    max_request_bytes: int = 8 * 1024 * 1024
    """Any other request body (a push of 1000 mutations is well under 1 MB)."""
    attachment_types: tuple[str, ...] = ("image/jpeg", "image/png", "application/pdf")
    push_max_mutations: int = 1000
    max_write_queue: int = 500
    """Pushes waiting for the writer beyond this are answered 503 ``busy`` (retry later)."""
    pull_page_default: int = 1000
    pull_page_max: int = 5000
    sse_keepalive_seconds: float = 15.0
    min_deposit: int = 1_000
    max_deposit: int = 100_000_000
    min_withdrawal: int = 10_000
    max_withdrawal: int = 50_000_000
    loan_min_savings_bp: int = 1000
    """Counted savings must be at least this share of a loan's amount (1000 bp = 10 %)."""
    loan_counted_savings: tuple[str, ...] = ("pokok", "wajib", "sukarela")
    retirement_ages: str = "karyawan:56,pns:58,dosen:65"
    """Member category -> retirement age; Indonesian norms move over time, so this is a setting."""
    push_enabled: bool = True
    """Send Web Push notices (docs/PUSH.md). Off: nothing is sent; subscribing is refused."""
    vapid_subject: str = "mailto:admin@koperasi.invalid"
    """The contact push services see in every VAPID token (``mailto:`` or ``https:``); set your own."""
    push_ttl_seconds: int = 4 * 86400
    """How long a push service keeps a notice for a phone that is offline."""
    push_give_up_seconds: int = 86400
    """After this long without reaching the push service a notice is given up (and the reason recorded)."""
    push_retry_base_seconds: float = 2.0
    push_retry_max_seconds: float = 900.0
    push_timeout_seconds: float = 10.0
    push_concurrency: int = 4
    push_allow_loopback_http: bool = False
    """Accept ``http://127.0.0.1…`` subscription endpoints (tests, a local receiver); never in production."""

    def __post_init__(self) -> None:
        self.loan_settings  # noqa: B018 - a malformed LUMBUNG_RETIREMENT_AGES fails at start-up, not per request

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> "Settings":
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.__struct_fields__:
            key = f"LUMBUNG_{name.upper()}"
            if key in env:
                raw = env[key]
                values[name] = tuple(raw.split(",")) if name in ("attachment_types", "loan_counted_savings") else raw
        values.update(overrides)
        return msgspec.convert(values, cls, strict=False)

    @property
    def database_path(self) -> Path:
        return Path(self.database) if self.database else Path(self.data_dir) / "lumbung.sqlite3"

    @property
    def attachments_dir(self) -> Path:
        return Path(self.data_dir) / "attachments"

    @property
    def limits(self) -> Limits:
        return Limits(self.min_deposit, self.max_deposit, self.min_withdrawal, self.max_withdrawal)

    @property
    def loan_settings(self) -> LoanSettings:
        ages = {}
        for pair in self.retirement_ages.split(","):
            category, _, age = pair.partition(":")
            if not category.strip() or not age.strip().isdigit():
                raise ValueError(f"LUMBUNG_RETIREMENT_AGES: expected 'category:age,…', got {pair!r}")
            ages[category.strip()] = int(age)
        return LoanSettings(self.loan_min_savings_bp, self.loan_counted_savings, ages)

    def signing_key(self) -> str:
        """The token signing key, generated on first use and kept beside the database."""
        if self.secret_key:
            return self.secret_key
        path = Path(self.data_dir) / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()
