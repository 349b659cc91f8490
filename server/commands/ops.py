"""``lumbung-server backup-now | backups | restore-backup SOURCE | mfa-reset USERNAME [--by ADMIN] |
mfa-rotate-key [--by ADMIN] [--json] | attachments-clean [--dry-run] [--json]``.

``backup-now`` is what the server does every day (copy, verify the ledger in the copy, keep
``backup_keep_days``); ``restore-backup`` is step 2 of the restore drill (docs/BACKUP.md): the
database *and* the attachments of a daily backup into a data directory, fresh or not, then the
ledger check on the result. ``attachments-clean`` is the orphan clean-up the server runs daily after
the backup (``operations/attachment_files.py``); safe while the server runs. A failed step is one
line on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import msgspec

from server.settings import Settings

__all__ = ["add_parsers", "dispatch"]

COMMANDS = ("backup-now", "backups", "restore-backup", "mfa-reset", "mfa-rotate-key", "attachments-clean")


def add_parsers(sub: Any) -> None:
    now = sub.add_parser("backup-now", help="take a verified backup into the backup folder now; prune old ones")
    now.add_argument("--json", action="store_true")
    listing = sub.add_parser("backups", help="list the backups taken and their verification")
    listing.add_argument("--json", action="store_true")
    restore = sub.add_parser("restore-backup", help="restore a daily backup (database + attachments) into --data-dir")
    restore.add_argument("source", help="a lumbung-*.sqlite3 file from the backup folder")
    reset = sub.add_parser("mfa-reset", help="remove a user's second factor (a lost phone); they enrol again")
    reset.add_argument("username")
    reset.add_argument("--by", metavar="USERNAME", help="the admin the reset is recorded under (audit log)")
    rotate = sub.add_parser(
        "mfa-rotate-key", help="a new totp.key: every TOTP secret sealed again under it, the old key dropped"
    )
    rotate.add_argument("--by", metavar="USERNAME", help="the admin the rotation is recorded under (audit log)")
    rotate.add_argument("--json", action="store_true")
    clean = sub.add_parser(
        "attachments-clean",
        help="remove uploaded files no row names, last uploaded over LUMBUNG_ATTACHMENT_ORPHAN_DAYS ago",
    )
    clean.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    clean.add_argument("--json", action="store_true")


def _database(settings: Settings, synchronous: str | None = None) -> Any:
    from server.storage.database import Database
    from server.storage.migrate import upgrade

    settings.prepare_data_dir()
    upgrade(settings.database_path)
    db = Database(
        settings.database_path,
        synchronous=synchronous or settings.sqlite_synchronous,
        write_timeout=settings.write_timeout_seconds,
    )
    db.start()
    return db


def _print(row: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(msgspec.to_builtins(row), ensure_ascii=False, indent=2, sort_keys=True))
        return
    verdict = "BAIK" if row.ok else f"GAGAL ({row.detail})"
    removed = f", dihapus {row.removed_at}" if row.removed_at else ""
    print(
        f"{row.file}  {row.trigger:<6} {row.finished_at}  {row.size_bytes} byte  "
        f"{row.ledger_entries if row.ledger_entries is not None else '-'} entri  {verdict}{removed}"
    )


def _backup_now(settings: Settings, args: argparse.Namespace) -> int:
    from server.operations.backups import take_backup

    db = _database(settings)
    try:
        row = take_backup(db, settings, "manual")
    finally:
        db.close()
    _print(row, args.json)
    if not row.ok:
        print(f"lumbung-server: cadangan gagal diverifikasi: {row.detail}", file=sys.stderr)
    return 0 if row.ok else 1


def _backups(settings: Settings, args: argparse.Namespace) -> int:

    from server.domain.timezone import zone
    from server.operations.backups import next_run, next_run_text
    from server.storage.admin import time_zone
    from server.storage.backup_log import recent_backups

    db = _database(settings)
    try:
        rows = db.read_sync(lambda c: recent_backups(c, 100))
        zone_name = db.read_sync(time_zone)
    finally:
        db.close()
    if args.json:
        print(json.dumps(msgspec.to_builtins(rows), ensure_ascii=False, indent=2, sort_keys=True))
        return 0
    for row in rows:
        _print(row, False)
    if not rows:
        print("Belum ada cadangan.")
    if settings.backup_enabled:  # what the running server schedules: the same time, the same zone setting
        at = next_run(dt.datetime.now(dt.UTC), settings.backup_time, zone(zone_name))
        print(f"Cadangan harian berikutnya: {next_run_text(at, zone_name)}")
    else:
        print("Cadangan harian tidak aktif (LUMBUNG_BACKUP_ENABLED).")
    return 0


def _restore_backup(settings: Settings, args: argparse.Namespace) -> int:
    from server.storage.backup import restore
    from server.storage.backup_log import verify_file

    source = Path(args.source)
    if not source.is_file():
        print(f"lumbung-server: berkas cadangan tidak ada: {source}", file=sys.stderr)
        return 1
    check = verify_file(source)
    if not check.ok:
        print(f"lumbung-server: cadangan tidak lolos pemeriksaan, tidak dipulihkan: {check.detail}", file=sys.stderr)
        return 1
    settings.prepare_data_dir()
    epoch = restore(source, settings.database_path)
    copied = 0
    attachments = source.parent / "attachments"
    if attachments.is_dir():
        for path in attachments.rglob("*"):
            dest = settings.attachments_dir / path.relative_to(attachments)
            if path.is_file() and not dest.exists():
                dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                shutil.copy2(path, dest)
                copied += 1
    restored = verify_file(settings.database_path)
    print(
        f"Dipulihkan dari {source.name}: epoch baru {epoch}, {restored.ledger_entries} entri buku besar "
        f"{'utuh' if restored.ok else 'RUSAK'}, {copied} lampiran disalin."
    )
    print("Perangkat akan memuat ulang datanya; antrean mereka tetap tersimpan dan dikirim ulang.")
    return 0 if restored.ok else 1


def _mfa_reset(settings: Settings, args: argparse.Namespace) -> int:
    """The API's reset (``reset_mfa``: audited as ``user.mfa_reset``), recorded under ``--by``."""

    from server.auth.second_factor import reset_mfa
    from server.errors import LumbungError
    from server.storage import accounts

    from .admin import admin_actor

    db = _database(settings)
    try:
        user = db.read_sync(lambda c: accounts.user_by_username(c, args.username))
        if user is None:
            print(f"lumbung-server: pengguna tidak ditemukan: {args.username}", file=sys.stderr)
            return 1
        try:
            actor = admin_actor(db, args.by)
        except LumbungError as exc:
            print(f"lumbung-server: {exc.message} ({exc.code})", file=sys.stderr)
            return 1
        now = dt.datetime.now(dt.UTC)
        removed = db.write_sync(lambda c: reset_mfa(c, user.id, actor, now))
    finally:
        db.close()
    print(f"Verifikasi dua langkah {args.username} {'dihapus' if removed else 'memang belum aktif'}.")
    return 0


def _mfa_rotate_key(settings: Settings, args: argparse.Namespace) -> int:
    """Rotate ``totp.key`` (``totp_key.py``): a new key first in the ring, every secret re-sealed in one
    transaction, then the old keys dropped. Safe while the server runs (it re-reads the file), one run
    at a time, and safe to run again after a crash. Secrets no key opens are named, not dropped (exit 1)."""
    from cryptography.fernet import Fernet

    from server.auth.second_factor import reseal_secrets
    from server.auth.totp_key import TotpKey
    from server.errors import LumbungError

    from .admin import admin_actor

    key = TotpKey(settings.data_dir)
    db = _database(settings, synchronous="FULL")  # the re-seal is on disk before the old key goes
    try:
        try:
            actor = admin_actor(db, args.by)
        except LumbungError as exc:
            print(f"lumbung-server: {exc.message} ({exc.code})", file=sys.stderr)
            return 1
        with key.rotating():
            key.ensure()  # a folder without a key yet gets one, which is then rotated like any other
            new = Fernet.generate_key()
            key.add_first(new)
            now = dt.datetime.now(dt.UTC)
            # One write transaction: a running server seals only inside its own, after re-reading the
            # key file, so whatever it sealed under the old key committed before this and is re-sealed.
            resealed, unreadable = db.write_sync(lambda c: reseal_secrets(c, key, actor, now))
            key.keep_only(new)  # after a durable commit (synchronous FULL): nothing is under the old keys
    finally:
        db.close()
    if args.json:
        print(json.dumps({"resealed": resealed, "unreadable_user_ids": unreadable}))
    else:
        print(f"Kunci TOTP diganti; {resealed} rahasia disegel ulang dengan kunci baru, kunci lama dihapus.")
    if unreadable:
        print(
            f"lumbung-server: {len(unreadable)} rahasia TOTP tidak dapat dibuka dengan kunci mana pun (pengguna"
            f" {', '.join(map(str, unreadable))}): mereka masuk dengan kode pemulihan, atau atur ulang dengan mfa-reset.",
            file=sys.stderr,
        )
    return 1 if unreadable else 0


def _attachments_clean(settings: Settings, args: argparse.Namespace) -> int:
    from server.operations.attachment_files import clean_orphans

    db = _database(settings)
    try:
        report = clean_orphans(db, settings, dry_run=args.dry_run)
    finally:
        db.close()
    if args.json:
        print(json.dumps(msgspec.to_builtins(report), ensure_ascii=False, indent=2, sort_keys=True))
        return 0
    for orphan in report.removed:
        print(f"{orphan.sha256}  {orphan.size} byte  unggahan terakhir {orphan.last_upload}")
    for leftover in report.unrecorded:
        print(f"{leftover.sha256}  {leftover.size} byte  tanpa catatan unggahan")
    verb = "akan dihapus (uji coba: tidak ada yang dihapus)" if report.dry_run else "dihapus"
    print(
        f"Lampiran yang tidak dirujuk {verb}: {report.files} berkas, {report.bytes} byte"
        f" (unggahan terakhir sebelum {report.uploaded_before}, {report.grace_days} hari)."
    )
    return 0


def dispatch(args: argparse.Namespace, settings: Settings) -> int | None:
    handlers = {
        "backup-now": _backup_now,
        "backups": _backups,
        "restore-backup": _restore_backup,
        "mfa-reset": _mfa_reset,
        "mfa-rotate-key": _mfa_rotate_key,
        "attachments-clean": _attachments_clean,
    }
    handler = handlers.get(args.command)
    return None if handler is None else handler(settings, args)
