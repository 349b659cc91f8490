"""Server settings: one msgspec struct, read from ``LUMBUNG_*`` environment variables."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import msgspec

from server.domain.loans import LoanSettings
from server.domain.models import Limits

__all__ = ["Settings", "MIN_SECRET_KEY_BYTES"]

MIN_SECRET_KEY_BYTES = 32
"""HS256 keys shorter than the hash's output (32 bytes) are guessable offline from one token."""


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
    attachment_user_files_per_day: int = 50
    attachment_user_bytes_per_day: int = 100 * 1024 * 1024
    """Per user, over the last 24 hours: new files past either bound get 429 (the attachments share
    the data folder with the database; one account must not be able to fill the disk)."""
    attachment_orphan_days: int = 30
    """An uploaded file that no row names is removed once its latest upload is this many days old
    (``lumbung-server attachments-clean``, and daily after the backup). Proofs are uploaded before the
    push naming them, and a device may go offline or crash in between. 30 days is the refresh-session
    lifetime (``refresh_token_ttl``; a session is not extended by use): a push under the session that
    made the upload lands within it. A later push comes after a new login and is answered ``retry
    attachment_missing``, on which both clients upload the file again: a shorter grace costs uploads,
    never a proof. Between 1 and 3650."""
    max_request_bytes: int = 8 * 1024 * 1024
    """Any other request body (a push of 1000 mutations is well under 1 MB)."""
    attachment_types: tuple[str, ...] = ("image/jpeg", "image/png", "application/pdf")
    push_max_mutations: int = 1000
    max_write_queue: int = 500
    """Pushes waiting for the writer beyond this are answered 503 ``busy`` (retry later)."""
    pull_page_default: int = 1000
    pull_page_max: int = 5000
    sse_keepalive_seconds: float = 15.0
    write_timeout_seconds: float = 60.0
    """Longest wait for one database write (queue included); then 503 ``busy``, never a hung request."""
    header_read_timeout_seconds: float = 10.0
    """A request's line and headers must arrive within this; a slow or silent client is disconnected."""
    keep_alive_timeout_seconds: float = 5.0
    """An idle keep-alive connection is closed after this."""
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

    # --- login throttling, password checks and credentials (issue 7.1, 7.2) ---
    login_free_failures: int = 3
    """Failed logins of one account allowed before each further one imposes a wait."""
    login_delay_seconds: int = 2
    """The first wait; it doubles with every further failure, up to ``login_delay_max_seconds``."""
    login_delay_max_seconds: int = 120
    login_lockout_failures: int = 10
    """Consecutive failures that lock an account for ``login_lockout_seconds`` (an admin can lift it)."""
    login_lockout_seconds: int = 900
    login_address_failures: int = 50
    """Failures from one client address within the window before the address is locked too (an office
    behind one NAT shares an address, so this is well above the per-account limit)."""
    login_window_seconds: int = 900
    """A failure older than this no longer counts (unless the key is still locked)."""
    password_checks_concurrent: int = 2
    """Password checks (argon2, ~64 MiB each) running at once; bounds memory and CPU."""
    password_checks_waiting: int = 16
    """Checks allowed to wait for a slot; beyond this a login is answered 503 ``busy`` at once."""
    password_min_length: int = 10
    withdrawal_transfer_fee: int = 0
    """Fee kept from a withdrawal by transfer (rupiah; 0: none). Shown before confirming, printed on the slip."""
    allow_demo_accounts: bool = False
    """``serve`` without ``--demo`` refuses to start while demo accounts still have the shared password."""

    # --- operations: second factor, daily backups, metrics, logs (issue 10 items 7, 8, 11) ---
    mfa_enforced: bool = False
    """Admin and pengurus must enrol a TOTP second factor before they may do anything else."""
    mfa_issuer: str = "Lumbung"
    """The name authenticator apps show beside the account."""
    backup_enabled: bool = True
    """Take a verified backup every day at ``backup_time`` (docs/BACKUP.md)."""
    backup_time: str = "02:00"
    """HH:MM in the cooperative's time zone (its ``coop_settings`` zone, read when the next run is computed)."""
    backup_keep_days: int = 7
    """Backups older than this many days are removed after a newer one verified."""
    backup_dir: str = ""
    """Empty means ``<data_dir>/backups``."""
    metrics_token: str = ""
    """A bearer token Prometheus may scrape ``/metrics`` with; empty: only an admin's access token."""
    log_format: str = "text"
    """``text`` or ``json`` (one JSON object a line, for a log collector)."""

    def __post_init__(self) -> None:
        self.loan_settings  # noqa: B018 - a malformed LUMBUNG_RETIREMENT_AGES fails at start-up, not per request
        hour, _, minute = self.backup_time.partition(":")
        if (
            not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60)
            or self.backup_keep_days < 1
        ):
            raise ValueError(
                f"LUMBUNG_BACKUP_TIME must be HH:MM and LUMBUNG_BACKUP_KEEP_DAYS >= 1, got "
                f"{self.backup_time!r}, {self.backup_keep_days}"
            )
        if not 1 <= self.attachment_orphan_days <= 3650:
            raise ValueError(
                f"LUMBUNG_ATTACHMENT_ORPHAN_DAYS must be between 1 and 3650, got {self.attachment_orphan_days}"
            )
        if self.log_format not in ("text", "json"):
            raise ValueError(f"LUMBUNG_LOG_FORMAT must be text or json, got {self.log_format!r}")
        if self.secret_key and len(self.secret_key.encode()) < MIN_SECRET_KEY_BYTES:
            raise ValueError(
                f"LUMBUNG_SECRET_KEY is {len(self.secret_key.encode())} bytes; it must be at least"
                f" {MIN_SECRET_KEY_BYTES} (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
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
    def backups_dir(self) -> Path:
        return Path(self.backup_dir) if self.backup_dir else Path(self.data_dir) / "backups"

    @property
    def attachments_dir(self) -> Path:
        return Path(self.data_dir) / "attachments"

    @property
    def limits(self) -> Limits:
        return Limits(
            self.min_deposit, self.max_deposit, self.min_withdrawal, self.max_withdrawal, self.withdrawal_transfer_fee
        )

    @property
    def loan_settings(self) -> LoanSettings:
        ages = {}
        for pair in self.retirement_ages.split(","):
            category, _, age = pair.partition(":")
            if not category.strip() or not age.strip().isdigit():
                raise ValueError(f"LUMBUNG_RETIREMENT_AGES: expected 'category:age,…', got {pair!r}")
            ages[category.strip()] = int(age)
        return LoanSettings(self.loan_min_savings_bp, self.loan_counted_savings, ages)

    def prepare_data_dir(self) -> None:
        """Create the data and attachments folders owner-only (0700): they hold members' money and proofs."""
        for folder in (Path(self.data_dir), self.database_path.parent, self.attachments_dir):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for folder in {Path(self.data_dir), self.attachments_dir}:
            folder.chmod(0o700)

    def signing_key(self) -> str:
        """The token signing key, generated on first use and kept beside the database."""
        if self.secret_key:
            return self.secret_key
        path = Path(self.data_dir) / "secret.key"
        if not path.exists():  # owner-only from its first byte, whole or not at all after a crash
            from server.secret_files import write_owner_only

            write_owner_only(path, secrets.token_urlsafe(48).encode())
        return path.read_text().strip()
