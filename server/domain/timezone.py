"""The cooperative's time zone: which calendar every date a person sees, and every transaction code, uses.

Indonesia has three zones, none with daylight saving: WIB (Asia/Jakarta, UTC+7), WITA
(Asia/Makassar, UTC+8) and WIT (Asia/Jayapura, UTC+9). The zone is a setting of the cooperative
(stored in the database, changed by the admin, published in the feed); WIB is the default. The
server's clock is UTC; these functions turn an instant into the cooperative's date. Pure: callers pass
the zone.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from server.errors import InvalidInput

from .models import COOP_TZ

__all__ = [
    "ZONES",
    "LABELS",
    "DEFAULT_ZONE",
    "zone",
    "check_zone",
    "label",
    "local_date",
    "utc_offset_modifier",
    "transaction_code",
]

ZONES: dict[str, str] = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
"""Label → IANA name of the zones an Indonesian cooperative can be in."""
LABELS: dict[str, str] = {name: label for label, name in ZONES.items()}
DEFAULT_ZONE = "Asia/Jakarta"


def check_zone(value: str) -> str:
    """The IANA name for a label (``WITA``) or a name (``Asia/Makassar``); anything else is refused."""
    name = ZONES.get(value.strip().upper(), value.strip())
    if name not in LABELS:
        raise InvalidInput(
            "time_zone_invalid",
            "Zona waktu harus WIB (Asia/Jakarta), WITA (Asia/Makassar) atau WIT (Asia/Jayapura).",
            {"allowed": sorted(LABELS)},
        )
    return name


def zone(name: str | None) -> ZoneInfo:
    """The zone for a stored name; an unknown or missing one falls back to WIB (never a crash on a read)."""
    return ZoneInfo(name) if name in LABELS else COOP_TZ


def label(name: str) -> str:
    return LABELS.get(name, "WIB")


def local_date(now: dt.datetime, tz: ZoneInfo = COOP_TZ) -> dt.date:
    """The cooperative's date of an instant."""
    return now.astimezone(tz).date()


def utc_offset_modifier(tz: ZoneInfo = COOP_TZ) -> str:
    """SQLite ``date(x, modifier)`` text turning a stored UTC time into the zone's date (no DST: fixed)."""
    offset = dt.datetime(2000, 1, 1, tzinfo=tz).utcoffset() or dt.timedelta(0)
    return f"+{int(offset.total_seconds() // 3600)} hours"


def transaction_code(prefix: str, number: int, now: dt.datetime, tz: ZoneInfo = COOP_TZ) -> str:
    """Human transaction codes, e.g. ``STR-2611-000042``: prefix, the zone's year-month, a number.

    A push stamps every mutation with one ``now``, so the year-month is computed once per instant
    (``strftime`` per code cost 5-8 us, a tenth of a pushed deposit's server time)."""
    return f"{prefix}-{_year_month(now, tz)}-{number:06d}"


@functools.lru_cache(maxsize=16)
def _year_month(now: dt.datetime, tz: ZoneInfo) -> str:
    local = now.astimezone(tz)
    return f"{local.year % 100:02d}{local.month:02d}"
