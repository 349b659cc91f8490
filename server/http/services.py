"""What the controllers need, built once per app and kept in ``app.state.services``."""

from __future__ import annotations

from msgspec import Struct

from server.auth.passwords import Passwords
from server.auth.second_factor import SecondFactor
from server.auth.service import AuthService, LoginLimits
from server.auth.tokens import TokenSigner
from server.auth.totp_key import TotpKey
from server.settings import Settings
from server.storage.database import Database
from server.storage.watermark import Watermark
from server.sync.pokes import Pokes

__all__ = ["Services", "build_services"]


class Services(Struct):
    settings: Settings
    db: Database
    auth: AuthService
    pokes: Pokes
    watermark: Watermark


def build_services(settings: Settings) -> Services:
    db = Database(
        settings.database_path, synchronous=settings.sqlite_synchronous, write_timeout=settings.write_timeout_seconds
    )
    passwords = Passwords(settings.argon2_memory_kib, settings.argon2_time_cost)
    signer = TokenSigner(settings.signing_key(), settings.access_token_ttl)
    pokes = Pokes()
    watermark = Watermark(settings.database_path.with_name("feed-watermark.json"), db)
    db.on_commit(pokes.publish_threadsafe)
    db.on_commit(lambda _scopes: watermark.note())
    limits = LoginLimits.from_settings(settings)
    second_factor = SecondFactor(
        db,
        limits.account,
        enforced=settings.mfa_enforced,
        issuer=settings.mfa_issuer,
        key=TotpKey(settings.data_dir),
    )
    auth = AuthService(db, passwords, signer, settings.refresh_token_ttl, limits, second_factor)
    return Services(settings, db, auth, pokes, watermark)
