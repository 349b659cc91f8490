"""``lumbung-server`` commands for real credentials: the first admin, users, passwords, lockouts, and
the start-up refusal while demo accounts still share the printed demo password.

Passwords come from a prompt (typed twice) or from a file (``-`` is standard input), never from the
command line, where they would land in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from server.errors import LumbungError
from server.settings import Settings

if TYPE_CHECKING:  # imported where used: a command loads only what it needs
    from server.auth.passwords import Passwords
    from server.storage.database import Database

__all__ = ["add_parsers", "dispatch"]

COMMANDS = ("create-admin", "create-user", "reset-password", "change-password", "unlock", "lockouts")


def add_parsers(sub: Any) -> None:
    """Add our subcommands, and ``--allow-demo-accounts`` to an existing ``serve``."""
    p = sub.add_parser("create-admin", help="create the first (real) admin, interactively or from a file")
    p.add_argument("--username", default="admin")
    p.add_argument("--name", default="Admin Koperasi")
    p.add_argument("--from-file", help='JSON {"username", "name", "password"} (- = stdin)')
    p = sub.add_parser("create-user", help="create a user; they change the password at first login")
    p.add_argument("username")
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=["anggota", "petugas", "pengurus", "admin"])
    p.add_argument("--member-id", type=int)
    p.add_argument("--location", type=int, action="append", default=[], help="an officer's location (repeatable)")
    p.add_argument("--password-file", help="file whose first line is the password (- = stdin)")
    p = sub.add_parser("reset-password", help="set a new password the user must change at next login")
    p.add_argument("username")
    p.add_argument("--password-file", help="file whose first line is the password (- = stdin)")
    p = sub.add_parser("change-password", help="change a password, proven by the current one")
    p.add_argument("username")
    p.add_argument("--password-file", help="file: first line the current password, second the new one (- = stdin)")
    p = sub.add_parser("unlock", help="lift the login throttling of an account or a client address")
    p.add_argument("--username")
    p.add_argument("--address")
    sub.add_parser("lockouts", help="list accounts and addresses that may not log in right now")
    serve = sub.choices.get("serve")
    if serve is not None:
        serve.add_argument(
            "--allow-demo-accounts",
            action="store_true",
            help="start although demo accounts still have the shared demo password (never in production)",
        )


def dispatch(args: argparse.Namespace, settings: Settings) -> int | None:
    """Run our command and return its exit status; None for a command that is not ours (or a ``serve``
    that may go ahead)."""
    if args.command == "serve":
        return _serve_check(args, settings)
    if args.command not in COMMANDS:
        return None
    from server.storage.migrate import upgrade

    upgrade(settings.database_path)
    try:
        return _COMMANDS[args.command](args, settings)
    except LumbungError as exc:
        print(f"Gagal: {exc.message} ({exc.code})", file=sys.stderr)
        return 1
    except _Refused as exc:
        print(f"Gagal: {exc}", file=sys.stderr)
        return 1


# --- helpers -------------------------------------------------------------------------------------


def _db(settings: Settings) -> Database:
    from server.storage.database import Database

    return Database(settings.database_path, synchronous=settings.sqlite_synchronous)


def _passwords(settings: Settings) -> Passwords:
    from server.auth.passwords import Passwords

    return Passwords(settings.argon2_memory_kib, settings.argon2_time_cost)


def _lines(source: str) -> list[str]:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return [line.rstrip("\r\n") for line in text.splitlines()]


def _new_password(source: str | None, settings: Settings, username: str) -> str:
    """A new password that passes the policy: the file's first line, or typed twice at a prompt."""
    from server.auth.policy import check_password

    if source:
        lines = _lines(source)
        password = lines[0] if lines else ""
    else:
        password = getpass.getpass("Kata sandi baru: ")
        if getpass.getpass("Ulangi kata sandi baru: ") != password:
            raise _Refused("Kedua kata sandi tidak sama.")
    check_password(password, min_length=settings.password_min_length, username=username)
    return password


class _Refused(Exception):
    pass


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _run(settings: Settings, fn: Any) -> Any:
    db = _db(settings)
    try:
        return db.write_sync(fn)
    finally:
        db.close()


def _user_id(settings: Settings, username: str) -> int:
    from server.storage import accounts

    db = _db(settings)
    try:
        user = db.read_sync(lambda c: accounts.user_by_username(c, username))
    finally:
        db.close()
    if user is None:
        raise _Refused(f"Pengguna {username!r} tidak ditemukan.")
    return user.id


# --- commands ------------------------------------------------------------------------------------


def _create_admin(args: argparse.Namespace, settings: Settings) -> int:
    from server.auth.users import NewUser, check_new_user, create_user
    from server.storage import accounts

    if args.from_file:
        from server.auth.policy import check_password

        raw = sys.stdin.read() if args.from_file == "-" else Path(args.from_file).read_text(encoding="utf-8")
        try:
            spec = msgspec.convert({**json.loads(raw), "role": "admin"}, NewUser)
        except (ValueError, msgspec.ValidationError) as exc:
            raise _Refused(f"Berkas admin tidak sah (JSON username, name, password): {exc}") from None
        check_password(spec.password, min_length=settings.password_min_length, username=spec.username)
    else:
        spec = NewUser(username=args.username, name=args.name, role="admin", password="")
        check_new_user(spec)
        spec = msgspec.structs.replace(spec, password=_new_password(None, settings, spec.username))
    check_new_user(spec)
    password_hash = _passwords(settings).hash(spec.password)
    now = _now()

    def write(conn: Any) -> Any:
        if accounts.active_admin_exists(conn):
            raise _Refused("Sudah ada admin; buat pengguna lain dengan `create-user --role admin`.")
        return create_user(conn, spec, password_hash, now, change_required=False)

    user = _run(settings, write)
    print(f"Admin {user.username!r} dibuat (id {user.id}).")
    return 0


def _create_user(args: argparse.Namespace, settings: Settings) -> int:
    from server.auth.users import NewUser, check_new_user, create_user

    spec = NewUser(
        username=args.username,
        name=args.name,
        role=args.role,
        password="",
        member_id=args.member_id,
        location_ids=list(args.location),
    )
    check_new_user(spec)
    password = _new_password(args.password_file, settings, spec.username)
    password_hash = _passwords(settings).hash(password)
    spec = msgspec.structs.replace(spec, password=password)
    now = _now()
    user = _run(settings, lambda c: create_user(c, spec, password_hash, now, change_required=True))
    print(
        f"Pengguna {user.username!r} ({user.role}) dibuat (id {user.id}); kata sandi harus diganti saat masuk pertama."
    )
    return 0


def _reset_password(args: argparse.Namespace, settings: Settings) -> int:
    from server.auth.users import reset_password

    user_id = _user_id(settings, args.username)
    password_hash = _passwords(settings).hash(_new_password(args.password_file, settings, args.username))
    now = _now()
    _run(settings, lambda c: reset_password(c, user_id, password_hash, now))
    print(f"Kata sandi {args.username!r} diganti; sesinya berakhir dan ia harus menggantinya saat masuk berikutnya.")
    return 0


def _change_password(args: argparse.Namespace, settings: Settings) -> int:
    from server.auth.policy import check_password
    from server.storage import accounts

    if args.password_file:
        lines = _lines(args.password_file) + ["", ""]
        current, new = lines[0], lines[1]
    else:
        current = getpass.getpass("Kata sandi sekarang: ")
        new = getpass.getpass("Kata sandi baru: ")
        if getpass.getpass("Ulangi kata sandi baru: ") != new:
            raise _Refused("Kedua kata sandi tidak sama.")
    db = _db(settings)
    try:
        user = db.read_sync(lambda c: accounts.user_by_username(c, args.username))
    finally:
        db.close()
    passwords = _passwords(settings)
    if user is None or not passwords.verify(user.password_hash, current):
        raise _Refused("Nama pengguna atau kata sandi salah.")
    if new == current:
        raise _Refused("Kata sandi baru harus berbeda dari yang lama.")
    check_password(new, min_length=settings.password_min_length, username=user.username)
    new_hash, now = passwords.hash(new), _now()
    _run(settings, lambda c: accounts.set_password(c, user.id, new_hash, change_required=False, now=now))
    print(f"Kata sandi {user.username!r} diganti; semua sesinya berakhir.")
    return 0


def _unlock(args: argparse.Namespace, settings: Settings) -> int:
    from server.auth.second_factor import mfa_key
    from server.auth.throttle import account_key, address_key
    from server.storage import accounts

    keys = ([account_key(args.username), mfa_key(args.username)] if args.username else []) + (
        [address_key(args.address)] if args.address else []
    )
    if not keys:
        raise _Refused("Sebutkan --username atau --address.")
    cleared = _run(settings, lambda c: accounts.clear_login_attempts(c, keys))
    print(f"Pembatasan masuk dibuka: {cleared} kunci.")
    return 0


def _lockouts(args: argparse.Namespace, settings: Settings) -> int:
    from server.storage import accounts

    now = time.time()
    db = _db(settings)
    try:
        rows = db.read_sync(lambda c: accounts.blocked_login_attempts(c, now))
    finally:
        db.close()
    if not rows:
        print("Tidak ada akun atau alamat yang dibatasi.")
    for row in rows:
        print(f"  {row.key:<40} {row.failures:>4} gagal, dibuka dalam {int(row.blocked_until - now) + 1} detik")
    return 0


def _serve_check(args: argparse.Namespace, settings: Settings) -> int | None:
    """Refuse to serve real traffic while demo accounts still open with the printed demo password."""
    if getattr(args, "demo", False) or getattr(args, "allow_demo_accounts", False) or settings.allow_demo_accounts:
        return None
    if not settings.database_path.exists():
        return None
    from server.storage import accounts
    from server.storage.migrate import upgrade

    upgrade(settings.database_path)
    db = _db(settings)
    try:
        demo = db.read_sync(accounts.demo_accounts_with_shared_password)
        admin = db.read_sync(lambda c: accounts.active_admin_exists(c, include_demo=True))
    finally:
        db.close()
    if not admin:
        print("Peringatan: belum ada admin; buat dengan `lumbung-server create-admin`.", file=sys.stderr)
    if not demo:
        return None
    shown = ", ".join(demo[:5]) + (f" dan {len(demo) - 5} lainnya" if len(demo) > 5 else "")
    print(
        f"Server tidak dijalankan: {len(demo)} akun demo masih memakai kata sandi demo bersama ({shown}).\n"
        "Ganti kata sandinya (`lumbung-server reset-password NAMA`), nonaktifkan akunnya, atau jalankan dengan\n"
        "`serve --demo` / `serve --allow-demo-accounts` (LUMBUNG_ALLOW_DEMO_ACCOUNTS=1) untuk uji coba saja.",
        file=sys.stderr,
    )
    return 2


_COMMANDS = {
    "create-admin": _create_admin,
    "create-user": _create_user,
    "reset-password": _reset_password,
    "change-password": _change_password,
    "unlock": _unlock,
    "lockouts": _lockouts,
}
