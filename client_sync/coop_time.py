"""The cooperative's calendar on the device: the time zone the server published, and today's date in it.

Why: a device in Jayapura (WIT) and the server must agree on what "today" and "this month" are, for
the dates a person sees (a simulated schedule's start, the payroll month of a deduction change) and
for the rules that use them (plafon of the month). The zone is a setting of the cooperative, which
the server publishes in the feed (entity ``coop_settings``, id ``current``, field ``time_zone``) once
the admin has set it; until the replica holds that row the device uses WIB, the server's default.
Pure: callers pass the row and, for tests, the instant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from server.domain.timezone import label, local_date, zone

__all__ = ["COOP_SETTINGS", "coop_zone", "coop_today", "coop_month", "coop_when"]

COOP_SETTINGS = ("coop_settings", "current")
"""Feed entity and row id of the cooperative's settings (the time zone)."""


def coop_zone(settings: Mapping[str, Any] | None) -> ZoneInfo:
    """The zone of the replica's ``coop_settings`` row; WIB when there is none (or it names no known zone)."""
    return zone(settings.get("time_zone") if settings else None)


def coop_today(settings: Mapping[str, Any] | None, now: dt.datetime | None = None) -> dt.date:
    """The cooperative's date of ``now`` (default: this instant), in the zone of ``settings``."""
    return local_date(now or dt.datetime.now(dt.UTC), coop_zone(settings))


def coop_month(today: dt.date) -> str:
    """``YYYY-MM`` of a cooperative date (the month the payroll rules count in)."""
    return f"{today.year:04d}-{today.month:02d}"


def coop_when(iso: str, tz: ZoneInfo) -> str:
    """A stored instant as a person reads it: ``31-12-2026 23:30 WIT`` (ISO text without a zone is UTC)."""
    moment = dt.datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return f"{moment.astimezone(tz):%d-%m-%Y %H:%M} {label(tz.key)}"
