"""Creating users and setting passwords: the rules shared by the admin API and ``lumbung-server``.

Hashing happens before these run (on a bounded worker in the server, inline in the command line);
these functions check what only the database can tell (a free username, an existing member or
location) and write, inside the caller's write transaction.
"""

from __future__ import annotations

import re

from msgspec import Struct

from server.domain.roles import ROLES
from server.errors import InvalidInput, InvalidState, NotFound
from server.storage import accounts, savings
from server.storage.accounts import UserRecord
from server.storage.database import Connection

from .throttle import account_key

__all__ = ["NewUser", "ROLES", "check_new_user", "create_user", "reset_password"]

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


class NewUser(Struct, forbid_unknown_fields=True):
    username: str
    name: str
    role: str
    password: str
    member_id: int | None = None
    """Required for ``anggota``: the member whose data this login sees."""
    location_ids: list[int] = []
    """For ``petugas``: the locations the officer serves."""


def check_new_user(spec: NewUser) -> None:
    """What can be checked without the database (before a password is hashed)."""
    if not USERNAME.fullmatch(spec.username):
        raise InvalidInput(
            "username_invalid", "Nama pengguna 3-40 karakter: huruf kecil, angka, titik, garis bawah atau tanda hubung."
        )
    if not spec.name.strip() or len(spec.name) > 200:
        raise InvalidInput("name_invalid", "Nama wajib diisi (paling panjang 200 karakter).")
    if spec.role not in ROLES:
        raise InvalidInput("role_invalid", f"Peran harus salah satu dari: {', '.join(ROLES)}.", {"roles": list(ROLES)})
    if (spec.role == "anggota") != (spec.member_id is not None):
        raise InvalidInput("member_id_invalid", "Akun anggota wajib menyebut anggotanya; peran lain tidak.")
    if spec.location_ids and spec.role != "petugas":
        raise InvalidInput("locations_invalid", "Hanya petugas yang punya lokasi.")


def create_user(conn: Connection, spec: NewUser, password_hash: str, now: str, *, change_required: bool) -> UserRecord:
    check_new_user(spec)
    if accounts.user_by_username(conn, spec.username) is not None:
        raise InvalidState("username_taken", "Nama pengguna sudah dipakai.")
    if spec.member_id is not None:
        member = savings.load_member(conn, spec.member_id)
        if member is None:
            raise NotFound("member_not_found", "Anggota tidak ditemukan.")
        if not member.active:  # a member who left gets no login (as a role change refuses it)
            raise InvalidState("member_inactive", "Anggota sudah tidak aktif; aktifkan dulu anggotanya.")
    for loc in spec.location_ids:
        if not savings.location_exists(conn, loc):
            raise NotFound("location_not_found", f"Lokasi {loc} tidak ditemukan.")
    user_id = accounts.next_user_id(conn)
    accounts.insert_user(
        conn,
        user_id=user_id,
        username=spec.username,
        name=spec.name.strip(),
        password_hash=password_hash,
        role=spec.role,
        member_id=spec.member_id,
        change_required=change_required,
        now=now,
    )
    if spec.location_ids:
        accounts.assign_locations(conn, user_id, spec.location_ids)
    record = accounts.user_by_id(conn, user_id)
    assert record is not None
    return record


def reset_password(conn: Connection, user_id: int, password_hash: str, now: str) -> UserRecord:
    """A new password the user must change at their next login; their sessions end and any lockout is lifted."""
    user = accounts.user_by_id(conn, user_id)
    if user is None:
        raise NotFound("user_not_found", "Pengguna tidak ditemukan.")
    accounts.set_password(conn, user_id, password_hash, change_required=True, now=now)
    accounts.clear_login_attempts(conn, [account_key(user.username)])
    record = accounts.user_by_id(conn, user_id)
    assert record is not None
    return record
