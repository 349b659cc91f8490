"""``lumbung-server``: migrate, load the demo cooperative, serve, verify the ledger, compact the feed."""

from __future__ import annotations

import argparse
import sys

from server.settings import Settings

__all__ = ["main"]


def _migrate(settings: Settings) -> None:
    from server.storage.migrate import upgrade

    upgrade(settings.database_path)


def _demo(settings: Settings) -> None:
    from server.auth.passwords import Passwords
    from server.demo import DEMO_PASSWORD, demo_accounts, load_demo
    from server.storage.database import Database

    db = Database(settings.database_path, synchronous=settings.sqlite_synchronous)
    try:
        loaded = load_demo(db, Passwords(settings.argon2_memory_kib, settings.argon2_time_cost))
    finally:
        db.close()
    if loaded:
        print("Koperasi demo dimuat. Semua akun demo memakai kata sandi:", DEMO_PASSWORD)
        for username, description in demo_accounts():
            print(f"  {username:<12} {description}")
    else:
        print("Data demo sudah ada; tidak ada yang diubah.")


def _serve(settings: Settings) -> None:
    import uvicorn

    from server.http.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


def _verify(settings: Settings) -> int:
    from server.storage.database import Database
    from server.storage.savings import check_ledger

    db = Database(settings.database_path)
    try:
        result = db.read_sync(check_ledger)
    finally:
        db.close()
    if result.ok:
        print(f"Buku besar utuh: {result.entries} entri, rantai hash dan saldo cocok.")
        return 0
    print(f"Buku besar RUSAK: entri pertama yang salah {result.first_bad_seq}, saldo tidak cocok: {result.mismatched_accounts},"
          f" rantai rekening rusak: {result.broken_accounts}")
    return 1


def _compact(settings: Settings, below: int) -> None:
    from server.storage.database import Database
    from server.storage.feed import compact

    db = Database(settings.database_path)
    try:
        print("Perubahan dihapus:", db.write_sync(lambda c: compact(c, below)))
    finally:
        db.close()


def _backup(settings: Settings, destination: str) -> None:
    from server.storage.backup import backup

    print("Cadangan dibuat:", backup(settings.database_path, destination))


def _restore(settings: Settings, source: str) -> None:
    from server.storage.backup import restore

    epoch = restore(source, settings.database_path)
    print(f"Database dipulihkan dari {source}; epoch baru {epoch} (perangkat akan memuat ulang datanya).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lumbung-server", description="Lumbung server")
    parser.add_argument("--data-dir", help="data folder (default: LUMBUNG_DATA_DIR or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("demo", help="load the demo cooperative (once)")
    serve = sub.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--demo", action="store_true", help="migrate and load the demo cooperative first")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    sub.add_parser("verify-ledger", help="check the ledger's hash chain and balances")
    backup = sub.add_parser("backup", help="copy the live database to a file")
    backup.add_argument("destination")
    restore = sub.add_parser("restore", help="replace the database with a backup (server stopped); new epoch")
    restore.add_argument("source")
    compact = sub.add_parser("compact", help="drop superseded feed changes below a position")
    compact.add_argument("below", type=int)
    args = parser.parse_args(argv)
    overrides: dict[str, object] = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    settings = Settings.from_env(**overrides)
    if args.command == "migrate":
        _migrate(settings)
    elif args.command == "demo":
        _migrate(settings)
        _demo(settings)
    elif args.command == "serve":
        _migrate(settings)
        if args.demo:
            _demo(settings)
        _serve(settings)
    elif args.command == "verify-ledger":
        return _verify(settings)
    elif args.command == "backup":
        _backup(settings, args.destination)
    elif args.command == "restore":
        _restore(settings, args.source)
    elif args.command == "compact":
        _compact(settings, args.below)
    return 0


if __name__ == "__main__":
    sys.exit(main())
