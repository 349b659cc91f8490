"""Administration of the cooperative: onboarding members and reference data, the board structure,
the time zone, renaming and (de)activating users. What the board and members read (settings, board,
directory, audit log) is in ``cooperative.py``.

Rules are in ``server/domain/members.py``, ``board.py`` and ``timezone.py``; SQL in
``server/storage/admin.py``. Every admin write goes through the single writer, publishes its rows
to the feed and appends an audit entry, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from litestar import Controller, Request, patch, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Meta, Struct

from server.auth.service import utcnow
from server.domain import board, members
from server.domain.models import BankAccount, SavingsType
from server.domain.timezone import check_zone, local_date, zone
from server.errors import InvalidInput, InvalidState, NotFound, RequestError
from server.operations import member_import
from server.operations.audited import audited_save, set_time_zone
from server.storage import admin as store
from server.storage import savings
from server.storage.interface import ReadTx, Tx

from ..security import roles
from ..strict import strict_body
from .cooperative import CoopSettings

__all__ = ["MemberAdminController", "UserRow", "list_users"]

SAVINGS_CODE = re.compile(r"^[a-z][a-z0-9_]{1,19}$")
K = TypeVar("K", int, str)
R = TypeVar("R")
LOCKED_TYPES = ("pokok", "wajib")
"""Savings types that may never become withdrawable while one is a member (DESIGN, money)."""


class LocationInput(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(max_length=200)]
    address: Annotated[str, Meta(max_length=500)] = ""


class SavingsTypeInput(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(max_length=100)]
    withdrawable: bool


class BankAccountInput(Struct, forbid_unknown_fields=True):
    bank: Annotated[str, Meta(max_length=100)]
    number: Annotated[str, Meta(max_length=40)]
    holder: Annotated[str, Meta(max_length=200)]
    active: bool = True


class TimeZoneInput(Struct, forbid_unknown_fields=True):
    time_zone: Annotated[str, Meta(max_length=40)]
    """``WIB``, ``WITA``, ``WIT`` or the IANA name."""


class UserEdit(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(max_length=200)] | None = None
    active: bool | None = None


class UserRow(Struct):
    id: int
    username: str
    name: str
    role: Literal["anggota", "petugas", "pengurus", "admin"]
    member_id: int | None
    active: bool
    demo: bool
    location_ids: list[int]


class Location(Struct):
    id: int
    name: str
    address: str


def _categories(request: Request) -> list[str]:
    return sorted(request.app.state.services.settings.loan_settings.retirement_ages)


def _text(value: str, field: str, code: str = "name_invalid") -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise InvalidInput(code, f"Kolom '{field}' wajib diisi.", {"field": field})
    return cleaned


def _positive(value: int, what: str) -> None:
    if not 1 <= value <= 2**31:
        raise RequestError("id_invalid", f"Id {what} harus bilangan positif.")


class MemberAdminController(Controller):
    path = "/api/admin"
    tags = ["admin"]
    guards = [roles("admin")]

    # --- members ---------------------------------------------------------------------------------

    @post("/members", status_code=201)
    async def create_member(self, request: Request, data: JSONBody[members.MemberInput]) -> members.MemberState:
        """A new *anggota* or *badan*; its officers' devices receive it through the feed."""
        spec = await strict_body(request, members.MemberInput)
        user_id, now, categories = request.user.id, utcnow(), _categories(request)

        def write(conn: Tx) -> members.MemberState:
            checked = members.check_member(spec, categories, local_date(now, zone(store.time_zone(conn))))
            _require_location(conn, checked.location_id)
            if store.number_taken(conn, checked.number):
                raise InvalidState("member_number_taken", f"Nomor anggota {checked.number} sudah dipakai.")
            created = store.create_member(conn, checked, user_id, now)
            store.record_audit(
                conn,
                user_id=user_id,
                action="member.create",
                entity="member",
                entity_id=created.id,
                before=None,
                after=created,
                at=now,
            )
            return created

        return await request.app.state.services.db.write(write)

    @patch("/members/{member_id:int}")
    async def edit_member(
        self, request: Request, member_id: FromPath[int], data: JSONBody[members.MemberEdit]
    ) -> members.MemberState:
        """Change a member's number, name, kind, location, birth date or category (only what is given)."""
        edit = await strict_body(request, members.MemberEdit)
        user_id, now, categories = request.user.id, utcnow(), _categories(request)

        def write(conn: Tx) -> members.MemberState:
            before = store.member_state(conn, member_id)
            if before is None:
                raise NotFound("member_not_found", "Anggota tidak ditemukan.")
            checked = members.check_member(
                members.apply_edit(before, edit), categories, local_date(now, zone(store.time_zone(conn)))
            )
            _require_location(conn, checked.location_id)
            if store.number_taken(conn, checked.number, member_id):
                raise InvalidState("member_number_taken", f"Nomor anggota {checked.number} sudah dipakai.")
            if checked == before.as_input():
                return before
            after = store.update_member(conn, before, checked, user_id, now)
            store.record_audit(
                conn,
                user_id=user_id,
                action="member.update",
                entity="member",
                entity_id=member_id,
                before=before,
                after=after,
                at=now,
            )
            return after

        return await request.app.state.services.db.write(write)

    @post("/members/import", status_code=200)
    async def import_members(
        self, request: Request, dry_run: FromQuery[bool] = True, format: FromQuery[Literal["csv", "xlsx"] | None] = None
    ) -> member_import.ImportReport:
        """Members from a spreadsheet (the raw CSV or XLSX file is the body). ``dry_run`` (the default)
        lists every problem by row and writes nothing; a real import with any problem is refused
        (422 ``import_has_problems``, every problem in the detail) and also writes nothing."""
        table = member_import.read_table(await request.body(), format)
        user_id, now, categories = request.user.id, utcnow(), _categories(request)
        if dry_run:
            return await request.app.state.services.db.read(lambda c: member_import.dry_run(c, table, categories, now))
        return await request.app.state.services.db.write(
            lambda c: member_import.run_import(c, table, categories, user_id, now)
        )

    # --- users -----------------------------------------------------------------------------------

    @patch("/users/{user_id:int}")
    async def edit_user(self, request: Request, user_id: FromPath[int], data: JSONBody[UserEdit]) -> UserRow:
        """Rename a login or (de)activate it; a deactivated login's sessions end at once."""
        body = await strict_body(request, UserEdit)
        admin_id, now = request.user.id, utcnow()
        if body.active is False and user_id == admin_id:
            raise InvalidState("cannot_deactivate_self", "Admin tidak dapat menonaktifkan akunnya sendiri.")

        def write(conn: Tx) -> UserRow:
            before = next((u for u in store.list_users(conn) if u["id"] == user_id), None)
            if before is None:
                raise NotFound("user_not_found", "Pengguna tidak ditemukan.")
            name = before["name"] if body.name is None else _text(body.name, "name")
            active = before["active"] if body.active is None else body.active
            if active and not before["active"] and before["member_id"] is not None:
                member = savings.load_member(conn, before["member_id"])
                if member is not None and not member.active:  # the login of a member who left stays off
                    raise InvalidState("member_inactive", "Anggota sudah tidak aktif; aktifkan dulu anggotanya.")
            store.update_user(conn, user_id, name=name, active=active)
            after = {**before, "name": name, "active": active}
            if after != before:
                store.record_audit(
                    conn,
                    user_id=admin_id,
                    action="user.update",
                    entity="user",
                    entity_id=user_id,
                    before=before,
                    after=after,
                    at=now,
                )
            return UserRow(**after)

        return await request.app.state.services.db.write(write)

    # --- reference data --------------------------------------------------------------------------

    @put("/locations/{location_id:int}")
    async def save_location(
        self, request: Request, location_id: FromPath[int], data: JSONBody[LocationInput]
    ) -> Location:
        """Create or rename a location (a branch or a workplace)."""
        _positive(location_id, "lokasi")
        body = await strict_body(request, LocationInput)
        name, address = _text(body.name, "name"), " ".join(body.address.split())
        user_id, now = request.user.id, utcnow()

        def write(conn: Tx) -> Location:
            if store.location_name_taken(conn, name, location_id):
                raise InvalidState("location_name_taken", f"Nama lokasi '{name}' sudah dipakai.")
            after = audited_save(
                conn,
                user_id=user_id,
                at=now,
                action="location.save",
                entity="location",
                entity_id=location_id,
                load=lambda c: store.load_location(c, location_id),
                save=lambda c: store.save_location(c, location_id, name, address),
            )
            return Location(**after)

        return await request.app.state.services.db.write(write)

    @put("/savings-types/{code:str}")
    async def save_savings_type(
        self, request: Request, code: FromPath[str], data: JSONBody[SavingsTypeInput]
    ) -> SavingsType:
        """Create or rename a savings type; *pokok* and *wajib* can never be made withdrawable."""
        if not SAVINGS_CODE.fullmatch(code):
            raise RequestError(
                "savings_type_code_invalid", "Kode jenis simpanan: huruf kecil, angka, garis bawah (2-20)."
            )
        body = await strict_body(request, SavingsTypeInput)
        if code in LOCKED_TYPES and body.withdrawable:
            raise InvalidInput(
                "savings_type_locked", "Simpanan pokok dan wajib tidak dapat ditarik selama menjadi anggota."
            )
        st = SavingsType(code, _text(body.name, "name"), body.withdrawable)
        user_id, now = request.user.id, utcnow()

        return await request.app.state.services.db.write(
            lambda conn: _save_reference(
                conn, user_id, now, "savings_type", code, savings.load_savings_type, store.save_savings_type, st
            )
        )

    @put("/bank-accounts/{account_id:int}")
    async def save_bank_account(
        self, request: Request, account_id: FromPath[int], data: JSONBody[BankAccountInput]
    ) -> BankAccount:
        """Create, change or deactivate (``active: false``) one of the cooperative's bank accounts."""
        _positive(account_id, "rekening")
        body = await strict_body(request, BankAccountInput)
        number = _text(body.number, "number", "bank_account_invalid")
        if not re.fullmatch(r"[0-9][0-9 .-]{2,39}", number):
            raise InvalidInput("bank_account_invalid", "Nomor rekening hanya angka (boleh spasi, titik, tanda hubung).")
        account = BankAccount(
            account_id,
            _text(body.bank, "bank", "bank_account_invalid"),
            number,
            _text(body.holder, "holder", "bank_account_invalid"),
            body.active,
        )
        user_id, now = request.user.id, utcnow()

        return await request.app.state.services.db.write(
            lambda conn: _save_reference(
                conn,
                user_id,
                now,
                "bank_account",
                account_id,
                savings.load_bank_account,
                store.save_bank_account,
                account,
            )
        )

    # --- board structure and settings --------------------------------------------------------------

    @put("/board/{position_id:int}")
    async def save_board_position(
        self, request: Request, position_id: FromPath[int], data: JSONBody[board.BoardPositionInput]
    ) -> board.BoardPosition:
        """Create or change a seat on the pengurus or pengawas (``active: false`` ends it early)."""
        _positive(position_id, "jabatan")
        position = board.check_position(position_id, await strict_body(request, board.BoardPositionInput))
        user_id, now = request.user.id, utcnow()

        return await request.app.state.services.db.write(
            lambda conn: _save_reference(
                conn,
                user_id,
                now,
                "board_position",
                position_id,
                store.load_board_position,
                store.save_board_position,
                position,
            )
        )

    @put("/settings")
    async def save_settings(self, request: Request, data: JSONBody[TimeZoneInput]) -> CoopSettings:
        """The cooperative's time zone (WIB, WITA, WIT): every date people see and every new code's month."""
        name = check_zone((await strict_body(request, TimeZoneInput)).time_zone)
        user_id, now = request.user.id, utcnow()
        after = await request.app.state.services.db.write(lambda conn: set_time_zone(conn, name, user_id, now))
        return CoopSettings(**after)


async def list_users(request: Request) -> list[UserRow]:
    """Every login (``GET /api/admin/users``, routed in ``auth.py`` beside user creation: one path, one controller)."""
    return [UserRow(**r) for r in await request.app.state.services.db.read(store.list_users)]


def _save_reference(
    conn: Tx,
    user_id: int,
    now: dt.datetime,
    entity: str,
    key: K,
    load: Callable[[ReadTx, K], R | None],
    save: Callable[[Tx, R], None],
    row: R,
) -> R:
    """Upsert one reference row (published to every device) and audit it as ``<entity>.save``."""

    def write(c: Tx) -> R:
        save(c, row)
        return row

    return audited_save(
        conn,
        user_id=user_id,
        at=now,
        action=f"{entity}.save",
        entity=entity,
        entity_id=key,
        load=lambda c: load(c, key),
        save=write,
    )


def _require_location(conn: ReadTx, location_id: int) -> None:
    if store.load_location(conn, location_id) is None:
        raise NotFound("location_not_found", f"Lokasi {location_id} tidak ditemukan.")
