"""What every mutation handler gets: who acts, the cooperative's settings, the server's clock,
and reference data read once per push batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar
from zoneinfo import ZoneInfo

from msgspec import Struct

from server.domain.loans import LoanSettings
from server.domain.models import COOP_TZ, Actor, Limits, Member, SavingsType
from server.errors import NotFound
from server.storage import savings as store
from server.storage.interface import ReadTx

__all__ = ["Context", "cached", "require_member", "require_savings_type", "require_location"]

T = TypeVar("T")


class Context(Struct, frozen=True):
    actor: Actor
    limits: Limits
    now: dt.datetime
    device_time: dt.datetime | None = None
    cache: dict[tuple[str, object], object] = {}
    """Reference data (savings types, locations, members) read once per push batch."""
    loan_settings: LoanSettings = LoanSettings()
    tz: ZoneInfo = COOP_TZ
    """The cooperative's time zone (a setting, ``storage.admin.time_zone``): its dates and code months."""


def cached(ctx: Context, key: tuple[str, object], load: Callable[[], T]) -> T:
    if key not in ctx.cache:
        ctx.cache[key] = load()
    return ctx.cache[key]  # type: ignore[return-value]  # the key names what load() returned


def require_member(conn: ReadTx, member_id: int, ctx: Context) -> Member:
    member = cached(ctx, ("member", member_id), lambda: store.load_member(conn, member_id))
    if member is None:
        raise NotFound("member_not_found", f"Anggota {member_id} tidak ditemukan.")
    return member


def require_savings_type(conn: ReadTx, code: str, ctx: Context) -> SavingsType:
    st = cached(ctx, ("savings_type", code), lambda: store.load_savings_type(conn, code))
    if st is None:
        raise NotFound("savings_type_not_found", f"Jenis simpanan '{code}' tidak dikenal.")
    return st


def require_location(conn: ReadTx, location_id: int, ctx: Context) -> int:
    if not cached(ctx, ("location", location_id), lambda: store.location_exists(conn, location_id)):
        raise NotFound("location_not_found", f"Lokasi {location_id} tidak ditemukan.")
    return location_id
