"""An admin's save of one row, with its audit entry (who, when, what before → after) in the same
transaction: the one shape every reference-data upsert and the time-zone setting share, whether the
admin API or ``lumbung-server`` makes the change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from server.storage import admin as store
from server.storage.interface import ReadTx, Tx

__all__ = ["audited_save", "set_time_zone"]

T = TypeVar("T")


def audited_save(
    conn: Tx,
    *,
    user_id: int,
    at: dt.datetime,
    action: str,
    entity: str,
    entity_id: str | int,
    load: Callable[[ReadTx], Any],
    save: Callable[[Tx], T],
) -> T:
    """Read the row as it was (``load``; None when new), write it (``save``, which publishes it to the
    feed) and append the audit entry; returns what ``save`` returned."""
    before = load(conn)
    after = save(conn)
    store.record_audit(
        conn, user_id=user_id, action=action, entity=entity, entity_id=entity_id, before=before, after=after, at=at
    )
    return after


def set_time_zone(conn: Tx, name: str, user_id: int, at: dt.datetime) -> dict[str, str]:
    """The cooperative's time zone (an already checked IANA name), published as ``coop_settings``."""
    return audited_save(
        conn,
        user_id=user_id,
        at=at,
        action="settings.save",
        entity="coop_settings",
        entity_id="current",
        load=store.coop_settings,
        save=lambda c: store.save_time_zone(c, name),
    )
