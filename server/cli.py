"""``lumbung-server``: migrate, load the demo cooperative, serve, verify the ledger, compact, back up, restore.

Each command is one small function ``(args, settings) -> exit code`` registered in ``COMMANDS`` with
its help text and its arguments. Commands that print a table or a verdict take ``--json`` (one JSON
document on stdout, stable keys) for scripts. Another area's commands live in their own module
(``add_parsers(sub)`` and ``dispatch(args, settings) -> int | None``), listed in ``COMMAND_MODULES``.

Exit codes: 0 done, 1 failed (the ledger is broken, the database cannot be opened, …), 2 bad usage or
settings. A failure is one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, NamedTuple

from server.commands import admin as admin_commands
from server.commands import documents as document_commands
from server.commands import ops as ops_commands
from server.commands import push as push_commands
from server.commands import users as user_commands
from server.settings import Settings

__all__ = ["main", "COMMANDS", "COMMAND_MODULES"]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class Command(NamedTuple):
    """One ``lumbung-server`` command: its help, the function that runs it, the arguments it takes."""

    help: str
    run: Callable[[argparse.Namespace, Settings], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None


def _positional(name: str, kind: type = str) -> Callable[[argparse.ArgumentParser], None]:
    def add(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(name, type=kind)

    return add


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True))


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document (for scripts)")


def _open_database(settings: Settings) -> None:
    """Fail fast and clearly when the database cannot be opened, before migrations or serving start."""
    from server.storage.database import Database

    settings.prepare_data_dir()
    db = Database(settings.database_path, synchronous=settings.sqlite_synchronous)
    try:
        db.start()
    finally:
        db.close()


def _migrate_only(settings: Settings) -> None:
    from server.storage.migrate import upgrade

    _open_database(settings)
    upgrade(settings.database_path)


# --- commands ---------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    _migrate_only(settings)
    print("Migrasi basis data selesai.")
    return EXIT_OK


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--logins", action="store_true", help="only print the demo logins again (loads nothing)")
    _json_flag(parser)


def _print_logins(loaded: bool, as_json: bool) -> None:
    from server.demo import DEMO_PASSWORD, demo_logins

    logins = demo_logins()
    if as_json:
        _print_json({"loaded": loaded, "password": DEMO_PASSWORD, "logins": logins})
        return
    print("Koperasi demo dimuat." if loaded else "Data demo sudah ada; tidak ada yang diubah.")
    print("Semua akun demo memakai kata sandi:", DEMO_PASSWORD)
    for login in logins:
        print(f"  {login['username']:<12} {login['description']}")


def _load_demo(settings: Settings) -> bool:
    from server.auth.passwords import Passwords
    from server.demo import load_demo
    from server.storage.database import Database

    db = Database(
        settings.database_path, synchronous=settings.sqlite_synchronous, write_timeout=settings.write_timeout_seconds
    )
    try:
        return load_demo(db, Passwords(settings.argon2_memory_kib, settings.argon2_time_cost))
    finally:
        db.close()


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    if args.logins:
        from server.demo import demo_loaded

        if not settings.database_path.exists() or not demo_loaded(settings.database_path):
            print("Data demo belum dimuat; jalankan: lumbung-server demo", file=sys.stderr)
            return EXIT_FAIL
        _print_logins(False, args.json)
        return EXIT_OK
    _migrate_only(settings)
    _print_logins(_load_demo(settings), args.json)
    return EXIT_OK


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--demo", action="store_true", help="migrate and load the demo cooperative first")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from server.http.app import create_app
    from server.http.serving import uvicorn_config

    os.umask(0o077)  # whatever the server creates (database, WAL, attachments) is the owner's alone
    _migrate_only(settings)
    if args.demo:
        if _load_demo(settings):
            _print_logins(True, False)
        else:
            print("Data demo sudah ada. Lihat akun demo lagi: lumbung-server demo --logins")
        sys.stdout.flush()
    server = uvicorn.Server(uvicorn_config(create_app(settings, own_process=True), settings))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl+C after its clean shutdown: not an error
        server.run()
    return EXIT_OK if server.started else EXIT_FAIL


def cmd_verify_ledger(args: argparse.Namespace, settings: Settings) -> int:
    import msgspec

    from server.storage.database import Database
    from server.storage.savings import check_ledger

    _open_database(settings)
    db = Database(settings.database_path)
    try:
        result = db.read_sync(check_ledger)
    finally:
        db.close()
    if args.json:
        _print_json(msgspec.to_builtins(result))
    elif result.ok:
        print(f"Buku besar utuh: {result.entries} entri, rantai hash dan saldo cocok.")
    else:
        print(
            f"Buku besar RUSAK: entri pertama yang salah {result.first_bad_seq}, "
            f"saldo tidak cocok: {result.mismatched_accounts}, rantai rekening rusak: {result.broken_accounts}"
        )
    return EXIT_OK if result.ok else EXIT_FAIL


def cmd_compact(args: argparse.Namespace, settings: Settings) -> int:
    from server.storage.database import Database
    from server.storage.feed import compact

    _open_database(settings)
    db = Database(settings.database_path, write_timeout=settings.write_timeout_seconds)
    try:
        print("Perubahan dihapus:", db.write_sync(lambda c: compact(c, args.below)))
    finally:
        db.close()
    return EXIT_OK


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from server.storage.backup import backup

    print("Cadangan dibuat:", backup(settings.database_path, args.destination))
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from server.storage.backup import restore

    epoch = restore(args.source, settings.database_path)
    print(f"Database dipulihkan dari {args.source}; epoch baru {epoch} (perangkat akan memuat ulang datanya).")
    return EXIT_OK


COMMANDS: dict[str, Command] = {
    "migrate": Command("apply database migrations", cmd_migrate),
    "demo": Command("load the demo cooperative (once) and print its logins", cmd_demo, _demo_arguments),
    "serve": Command("run the HTTP server", cmd_serve, _serve_arguments),
    "verify-ledger": Command("check the ledger's hash chain and balances", cmd_verify_ledger, _json_flag),
    "backup": Command("copy the live database to a file", cmd_backup, _positional("destination")),
    "restore": Command(
        "replace the database with a backup (server stopped); new epoch", cmd_restore, _positional("source")
    ),
    "compact": Command("drop superseded feed changes below a position", cmd_compact, _positional("below", int)),
}

# Modules of other areas that add commands: each has add_parsers(sub) and dispatch(args, settings) -> int | None.
COMMAND_MODULES: list[ModuleType] = [user_commands, push_commands, document_commands, ops_commands, admin_commands]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lumbung-server", description="Lumbung server")
    parser.add_argument("--data-dir", help="data folder (default: LUMBUNG_DATA_DIR or ./data)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        command.arguments(sub.add_parser(name, help=command.help))
    for module in COMMAND_MODULES:
        module.add_parsers(sub)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {name: getattr(args, name, None) for name in ("data_dir", "host", "port")}
    return Settings.from_env(**{k: v for k, v in overrides.items() if v})


def _run(args: argparse.Namespace, settings: Settings) -> int:
    for module in COMMAND_MODULES:
        code = module.dispatch(args, settings)
        if code is not None:
            return int(code)
    return COMMANDS[args.command].run(args, settings)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings(args)
    except ValueError as exc:  # a malformed LUMBUNG_* setting (e.g. a short LUMBUNG_SECRET_KEY)
        print(f"lumbung-server: pengaturan tidak valid: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _run(args, settings)
    except Exception as exc:  # one clear line for the operator instead of a traceback
        from server.storage.database import is_storage_failure

        if not is_storage_failure(exc):
            raise
        print(f"lumbung-server: basis data tidak dapat dibuka: {exc}", file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
