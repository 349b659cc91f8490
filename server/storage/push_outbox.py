"""SQL of the notifications outbox: notices written in the same transaction as the event they tell.

``feed.record_change`` hands every change it records to :func:`derive`. The pure
``server.notify.events.notice_for`` decides whether the change is news for a member; if that member
has live subscriptions that want this kind, one notice per user and one pending delivery per
subscription are inserted right here, inside the caller's transaction. A change that is rolled back
takes its notice with it; a committed one cannot lose it. The sender reads the outbox after commit.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from typing import Any

import msgspec

from server.notify.events import ENTITIES, notice_for, payload_json

__all__ = ["derive", "WAKE"]

WAKE = ("push", None)
"""Marker in ``Connection.touched``: this commit wrote notices (the sender's commit listener looks for it)."""

_TARGETS_BY_MEMBER = (
    "SELECT s.id, s.user_id FROM push_subscriptions s JOIN sessions se ON se.id = s.session_id"
    " WHERE s.member_id = :who AND s.status = 'active' AND se.revoked_at IS NULL AND se.expires_at > :now"
    " AND NOT EXISTS (SELECT 1 FROM push_preferences p, json_each(p.disabled) j"
    "  WHERE p.user_id = s.user_id AND j.value = :kind)"
)
_TARGETS_BY_USER = _TARGETS_BY_MEMBER.replace("s.member_id = :who", "s.user_id = :who")


def _row(data: Any) -> dict[str, Any]:
    return dict(data) if isinstance(data, dict) else msgspec.structs.asdict(data)


def derive(conn: sqlite3.Connection, entity: str, data: Any, user_id: int | None) -> None:
    """Write the notice a change yields, if any member or user wants it (called by ``record_change``)."""
    if entity not in ENTITIES or data is None:
        return
    row = _row(data)
    if entity == "loan_repayment" and "loan_code" not in row:
        found = conn.execute("SELECT code FROM loans WHERE id = ?", (row.get("loan_id"),)).fetchone()
        row["loan_code"] = None if found is None else found[0]
    notice = notice_for(entity, row, user_id)
    if notice is None:
        return
    now = dt.datetime.now(dt.UTC)
    who, sql = (
        (notice.member_id, _TARGETS_BY_MEMBER) if notice.member_id is not None else (notice.user_id, _TARGETS_BY_USER)
    )
    targets = conn.execute(sql, {"who": who, "now": now.isoformat(), "kind": notice.kind}).fetchall()
    if not targets:
        return
    by_user: dict[int, list[int]] = {}
    for sub_id, target_user in targets:
        by_user.setdefault(int(target_user), []).append(int(sub_id))
    payload, stamp, ts = payload_json(notice), now.isoformat(), time.time()
    for target_user, subscriptions in by_user.items():
        found = conn.execute(
            "INSERT INTO push_notices (user_id, kind, entity, event_id, topic, urgency, payload, created_at, created_ts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, kind, event_id) DO NOTHING RETURNING id",
            (
                target_user,
                notice.kind,
                notice.entity,
                notice.dedupe_id,
                notice.topic,
                notice.urgency,
                payload,
                stamp,
                ts,
            ),
        ).fetchone()
        if found is None:
            continue  # this event was told already
        conn.executemany(
            "INSERT INTO push_deliveries (notice_id, subscription_id, status, due_ts, updated_at)"
            " VALUES (?, ?, 'pending', ?, ?)",
            [(int(found[0]), sub_id, ts, stamp) for sub_id in subscriptions],
        )
    touched = getattr(conn, "touched", None)
    if touched is not None:
        touched.add(WAKE)
