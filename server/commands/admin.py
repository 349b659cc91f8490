"""``lumbung-server import-members FILE [--dry-run] | time-zone [ZONE]``: onboarding from the command line.

The same code as the admin API (``server/operations/member_import.py``, ``server/storage/admin.py``):
one write transaction through the single writer, published to the feed, recorded in the audit log
under an admin (``--by USERNAME``, default the first active admin).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from server.errors import LumbungError
from server.settings import Settings

__all__ = ["add_parsers", "dispatch", "admin_actor"]

COMMANDS = ("import-members", "time-zone")


def add_parsers(sub: Any) -> None:
    imp = sub.add_parser("import-members", help="import members from a CSV or XLSX file (key: member number)")
    imp.add_argument("file", help="the spreadsheet: columns nomor, nama, jenis, lokasi, tanggal_lahir, kategori")
    imp.add_argument("--dry-run", action="store_true", help="list every problem by row; change nothing")
    imp.add_argument("--format", choices=["csv", "xlsx"], help="default: from the file's contents")
    imp.add_argument("--by", metavar="USERNAME", help="the admin the import is recorded under (audit log)")
    tz = sub.add_parser("time-zone", help="show or set the cooperative's time zone (WIB, WITA, WIT)")
    tz.add_argument("zone", nargs="?", help="WIB, WITA or WIT (or Asia/Jakarta, Asia/Makassar, Asia/Jayapura)")
    tz.add_argument("--by", metavar="USERNAME", help="the admin the change is recorded under (audit log)")


def _database(settings: Settings) -> Any:
    from server.storage.database import Database
    from server.storage.migrate import upgrade

    upgrade(settings.database_path)
    return Database(settings.database_path, synchronous=settings.sqlite_synchronous)


def admin_actor(db: Any, username: str | None) -> int:
    """The admin a command-line action is recorded under in the audit log (``--by``; default the first
    active admin); LumbungError ``admin_not_found`` when there is none."""
    from server.storage import admin as store

    user_id = db.read_sync(lambda c: store.admin_user_id(c, username))
    if user_id is None:
        raise LumbungError("admin_not_found", "Tidak ada admin aktif" + (f" bernama {username}." if username else "."))
    return int(user_id)


def _import(args: argparse.Namespace, settings: Settings) -> int:
    from server.operations import member_import

    table = member_import.read_table(Path(args.file).read_bytes(), args.format)
    categories = sorted(settings.loan_settings.retirement_ages)
    now = dt.datetime.now(dt.UTC)
    db = _database(settings)
    try:
        if args.dry_run:
            report = db.read_sync(lambda c: member_import.dry_run(c, table, categories, now))
        else:
            user_id = admin_actor(db, args.by)
            try:
                report = db.write_sync(lambda c: member_import.run_import(c, table, categories, user_id, now))
            except LumbungError as exc:
                if exc.code != "import_has_problems":
                    raise
                report = db.read_sync(lambda c: member_import.dry_run(c, table, categories, now))
                report.dry_run = False
    finally:
        db.close()
    for p in report.problems:
        print(f"baris {p.row}: {p.field}: {p.message} ({p.code})" + (f" [{p.value}]" if p.value else ""))
    summary = (
        f"{report.rows} baris: {report.created} anggota baru, {report.updated} diubah, "
        f"{report.unchanged} tetap; {len(report.problems)} masalah"
    )
    if report.problems:
        print(f"{summary}. Tidak ada yang diimpor.", file=sys.stderr)
        return 1
    print(f"{summary}." + (" Uji coba: tidak ada yang diubah." if report.dry_run else " Diimpor."))
    return 0


def _time_zone(args: argparse.Namespace, settings: Settings) -> int:
    from server.domain.timezone import check_zone
    from server.operations.audited import set_time_zone
    from server.storage import admin as store

    db = _database(settings)
    try:
        if args.zone is None:
            current = db.read_sync(store.coop_settings)
        else:
            name, user_id, now = check_zone(args.zone), admin_actor(db, args.by), dt.datetime.now(dt.UTC)
            current = db.write_sync(lambda conn: set_time_zone(conn, name, user_id, now))
    finally:
        db.close()
    print(f"Zona waktu koperasi: {current['time_zone_label']} ({current['time_zone']})")
    return 0


def dispatch(args: argparse.Namespace, settings: Settings) -> int | None:
    """Run the command if it is ours; None means "not an administration command"."""
    if getattr(args, "command", None) not in COMMANDS:
        return None
    try:
        return _import(args, settings) if args.command == "import-members" else _time_zone(args, settings)
    except LumbungError as exc:
        print(f"Gagal: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"Gagal: {exc}", file=sys.stderr)
        return 1
