"""``lumbung-server branding show | set | logo FILE`` and ``lumbung-server qr key | verify PAYLOAD``:
the white-label settings and the QR signing key from the command line (DOCUMENTS.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from server.settings import Settings

__all__ = ["add_parsers", "dispatch"]

_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}


def add_parsers(sub: Any) -> None:
    branding = sub.add_parser("branding", help="the cooperative's name, short name, theme colour and logo")
    actions = branding.add_subparsers(dest="branding_command", required=True)
    actions.add_parser("show", help="print the current branding")
    put = actions.add_parser("set", help="set name, short name and theme colour (published to every device)")
    put.add_argument("--name", required=True)
    put.add_argument("--short-name", required=True)
    put.add_argument("--color", required=True, help="#RRGGBB")
    logo = actions.add_parser("logo", help="set the logo from a PNG or SVG file (at most 256 KB)")
    logo.add_argument("file", type=Path)
    qr = sub.add_parser("qr", help="the key that signs QR codes; check a scanned payload")
    qr_actions = qr.add_subparsers(dest="qr_command", required=True)
    qr_actions.add_parser("key", help="print the QR verification key (Ed25519 public key)")
    verify = qr_actions.add_parser("verify", help="check a payload: Asli (exit 0) or Tidak cocok (exit 1)")
    verify.add_argument("payload")


def _database(settings: Settings) -> Any:
    from server.storage.database import Database
    from server.storage.migrate import upgrade

    upgrade(settings.database_path)
    return Database(settings.database_path, synchronous=settings.sqlite_synchronous)


def _show(branding: Any) -> None:
    print(f"Nama: {branding.name}\nNama singkat: {branding.short_name}\nWarna tema: {branding.theme_color}")
    print(f"Logo: {branding.logo_type} {branding.logo_sha256}" if branding.logo_sha256 else "Logo: belum diatur")


def _branding(settings: Settings, args: argparse.Namespace) -> int:
    from server.domain.branding import BrandingInput, check_logo, validate_branding
    from server.errors import LumbungError
    from server.storage import branding as store

    now = dt.datetime.now(dt.UTC).isoformat()
    db = _database(settings)
    try:
        if args.branding_command == "show":
            _show(db.read_sync(store.load_branding))
            return 0
        try:
            if args.branding_command == "set":
                given = validate_branding(BrandingInput(args.name, args.short_name, args.color))
                saved = db.write_sync(
                    lambda c: store.save_branding(c, given.name, given.short_name, given.theme_color, None, now)
                )
            else:
                content_type = _TYPES.get(args.file.suffix.lower(), "")
                data = args.file.read_bytes()
                sha256 = check_logo(content_type, data)
                saved = db.write_sync(lambda c: store.save_logo(c, data, content_type, sha256, None, now))
        except LumbungError as refused:
            print(f"{refused.code}: {refused.message}", file=sys.stderr)
            return 2
        _show(saved)
        return 0
    finally:
        db.close()


def _qr(settings: Settings, args: argparse.Namespace) -> int:
    from server.access import reach
    from server.documents.qr import QrSigner
    from server.documents.verify import verify_payload

    signer = QrSigner(settings.signing_key())
    if args.qr_command == "key":
        print(f"kid {signer.key.kid}  {signer.key.alg}  {signer.key.public_key}")
        return 0
    db = _database(settings)
    try:
        verdict = db.read_sync(lambda c: verify_payload(c, signer, args.payload.strip(), reach(0, "admin", None, ())))
    finally:
        db.close()
    detail = " ".join(
        str(x) for x in (verdict.document or verdict.type, verdict.code, verdict.amount, verdict.status) if x
    )
    print(f"{verdict.verdict} ({verdict.reason}) {detail}".rstrip())
    return 0 if verdict.valid else 1


def dispatch(args: argparse.Namespace, settings: Settings) -> int | None:
    """Run the command if it is ours; None means "not a branding or QR command"."""
    command = getattr(args, "command", None)
    if command == "branding":
        return _branding(settings, args)
    if command == "qr":
        return _qr(settings, args)
    return None
