"""SQL of Web Push: subscriptions, notice preferences, the sender's deliveries and the admin's view.

Subscriptions and preferences are published to their own user's private feed (``push_subscription``,
``notice_preferences``), so the user's other devices, and a device whose subscription must be renewed
after a key rotation, learn of them by pulling. Notices themselves are written by ``push_outbox``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import msgspec

from server.notify.events import KINDS
from server.notify.subscriptions import CheckedSubscription

from .database import Connection
from .feed import Scope, record_change

__all__ = [
    "Due",
    "Result",
    "upsert_subscription",
    "user_subscriptions",
    "subscription_owner",
    "remove_subscription",
    "remove_for_session",
    "remove_for_user",
    "mark_resubscribe",
    "preferences",
    "set_preferences",
    "recover_interrupted",
    "due_deliveries",
    "next_due",
    "claim",
    "record_results",
    "delivery_view",
    "session_client",
]

_SUB_COLUMNS = "id, user_id, client_id, status, vapid_key_id, created_at, updated_at, removed_reason"


def _stamp(now: dt.datetime | str) -> str:
    return now if isinstance(now, str) else now.isoformat()


def _public(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "client_id": row["client_id"],
        "status": row["status"],
        "vapid_key_id": row["vapid_key_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "removed_reason": row["removed_reason"],
    }


def _publish(conn: Connection, row: sqlite3.Row) -> dict[str, Any]:
    public = _public(row)
    record_change(conn, "push_subscription", row["id"], public, Scope(audience="private", user=row["user_id"]))
    return public


# --- subscriptions ------------------------------------------------------------------------------


def upsert_subscription(
    conn: Connection,
    *,
    user_id: int,
    member_id: int | None,
    session_id: str,
    client_id: str,
    checked: CheckedSubscription,
    key_id: str,
    now: dt.datetime,
) -> tuple[dict[str, Any], bool]:
    """Store a device's subscription (``(public view, created)``). The same endpoint again is the same
    browser: it is renewed and now belongs to whoever subscribed it last, and notices still pending for a
    previous owner are never sent to it."""
    stamp = _stamp(now)
    before = conn.execute(
        "SELECT id, user_id FROM push_subscriptions WHERE endpoint = ?", (checked.endpoint,)
    ).fetchone()
    if before is not None and before["user_id"] != user_id:
        _fail_pending(conn, [before["id"]], "subscription_reassigned", stamp)
    row = conn.execute(
        "INSERT INTO push_subscriptions (user_id, member_id, session_id, client_id, endpoint, p256dh, auth, vapid_key_id,"
        " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)"
        " ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, member_id = excluded.member_id,"
        " session_id = excluded.session_id, client_id = excluded.client_id, p256dh = excluded.p256dh,"
        " auth = excluded.auth, vapid_key_id = excluded.vapid_key_id, status = 'active', removed_reason = NULL,"
        f" updated_at = excluded.updated_at RETURNING {_SUB_COLUMNS}",
        (
            user_id,
            member_id,
            session_id,
            client_id,
            checked.endpoint,
            checked.p256dh,
            checked.auth,
            key_id,
            stamp,
            stamp,
        ),
    ).fetchone()
    return _publish(conn, row), before is None


def user_subscriptions(conn: sqlite3.Connection, user_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        f"SELECT {_SUB_COLUMNS} FROM push_subscriptions WHERE user_id = ? AND status != 'removed' ORDER BY id",
        (user_id,),
    ).fetchall()
    return [_public(r) for r in rows]


def subscription_owner(conn: sqlite3.Connection, subscription_id: int) -> int | None:
    row = conn.execute(
        "SELECT user_id FROM push_subscriptions WHERE id = ? AND status != 'removed'", (subscription_id,)
    ).fetchone()
    return None if row is None else int(row[0])


def _fail_pending(conn: Connection, subscription_ids: list[int], reason: str, stamp: str) -> None:
    conn.executemany(
        "UPDATE push_deliveries SET status = 'failed', reason = ?, updated_at = ?"
        " WHERE subscription_id = ? AND status = 'pending'",
        [(reason, stamp, sid) for sid in subscription_ids],
    )


def _remove(conn: Connection, where: str, params: tuple[Any, ...], reason: str, now: dt.datetime | str) -> int:
    stamp = _stamp(now)
    rows = conn.execute(
        "UPDATE push_subscriptions SET status = 'removed', removed_reason = ?, p256dh = '', auth = '', updated_at = ?"
        f" WHERE status != 'removed' AND {where} RETURNING {_SUB_COLUMNS}",
        (reason, stamp, *params),
    ).fetchall()
    if rows:
        _fail_pending(conn, [r["id"] for r in rows], f"subscription_removed: {reason}", stamp)
        for row in rows:
            _publish(conn, row)
    return len(rows)


def remove_subscription(conn: Connection, subscription_id: int, reason: str, now: dt.datetime | str) -> int:
    """Forget a subscription's keys (the row stays for the delivery view); pending notices to it fail."""
    return _remove(conn, "id = ?", (subscription_id,), reason, now)


def remove_for_session(conn: Connection, session_id: str, reason: str, now: dt.datetime | str) -> int:
    """Logout: the device's subscriptions made under this session end with it."""
    return _remove(conn, "session_id = ?", (session_id,), reason, now)


def remove_for_user(conn: Connection, user_id: int, reason: str, now: dt.datetime | str) -> int:
    """Every session revoked, or the member deactivated: none of their devices is notified any more."""
    return _remove(conn, "user_id = ?", (user_id,), reason, now)


def mark_resubscribe(conn: Connection, key_id: str, now: dt.datetime | str) -> int:
    """After a key rotation: subscriptions made with another key are told (feed) to subscribe again, and
    nothing more is sent to them until they do."""
    stamp = _stamp(now)
    rows = conn.execute(
        "UPDATE push_subscriptions SET status = 'resubscribe', updated_at = ?"
        f" WHERE status = 'active' AND vapid_key_id != ? RETURNING {_SUB_COLUMNS}",
        (stamp, key_id),
    ).fetchall()
    if rows:
        _fail_pending(conn, [r["id"] for r in rows], "vapid_key_rotated", stamp)
        for row in rows:
            _publish(conn, row)
    return len(rows)


# --- notice preferences -------------------------------------------------------------------------


def _disabled(conn: sqlite3.Connection, user_id: int) -> set[str]:
    row = conn.execute("SELECT disabled FROM push_preferences WHERE user_id = ?", (user_id,)).fetchone()
    return set() if row is None else set(msgspec.json.decode(row[0]))


def preferences(conn: sqlite3.Connection, user_id: int) -> dict[str, bool]:
    """Every kind of notice, on or off, for this user."""
    off = _disabled(conn, user_id)
    return {kind: kind not in off for kind in KINDS}


def set_preferences(
    conn: Connection, user_id: int, changes: dict[str, bool], now: dt.datetime | str
) -> dict[str, bool]:
    """Turn kinds on or off (kinds not named keep their setting); published to the user's devices."""
    off = _disabled(conn, user_id)
    for kind, enabled in changes.items():
        (off.discard if enabled else off.add)(kind)
    conn.execute(
        "INSERT INTO push_preferences (user_id, disabled, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET disabled = excluded.disabled, updated_at = excluded.updated_at",
        (user_id, msgspec.json.encode(sorted(off)).decode(), _stamp(now)),
    )
    current = {kind: kind not in off for kind in KINDS}
    record_change(
        conn,
        "notice_preferences",
        user_id,
        {"user_id": user_id, "kinds": current},
        Scope(audience="private", user=user_id),
    )
    return current


# --- the sender's side --------------------------------------------------------------------------


class Due(msgspec.Struct, frozen=True):
    """A delivery the sender may attempt, with all it needs to check and send it."""

    notice_id: int
    subscription_id: int
    attempts: int
    created_ts: float
    payload: str
    topic: str
    urgency: str
    endpoint: str
    p256dh: str
    auth: str
    vapid_key_id: str
    problem: str | None
    """Why it must not be sent at all (subscription gone or renewed, owner changed, session ended)."""


class Result(msgspec.Struct, frozen=True):
    notice_id: int
    subscription_id: int
    action: str
    """sent | retry | failed | gone"""
    reason: str | None
    status: int | None
    due_ts: float = 0.0


def recover_interrupted(conn: Connection, now: dt.datetime | str) -> int:
    """At start: a delivery claimed but never recorded may have reached the push service before the
    crash. It is not sent again (a notice is never sent twice to one subscription)."""
    return conn.execute(
        "UPDATE push_deliveries SET status = 'failed', reason = 'interrupted: the server stopped while sending;"
        " not repeated, so it is never sent twice', updated_at = ? WHERE status = 'sending'",
        (_stamp(now),),
    ).rowcount


def due_deliveries(conn: sqlite3.Connection, now_ts: float, now: str, limit: int) -> list[Due]:
    rows = conn.execute(
        "SELECT d.notice_id, d.subscription_id, d.attempts, n.created_ts, n.payload, n.topic, n.urgency, s.endpoint,"
        " s.p256dh, s.auth, s.vapid_key_id,"
        " CASE WHEN s.id IS NULL OR s.status = 'removed' THEN 'subscription_removed'"
        "  WHEN s.status = 'resubscribe' THEN 'vapid_key_rotated'"
        "  WHEN s.user_id != n.user_id THEN 'subscription_reassigned'"
        "  WHEN se.id IS NULL OR se.revoked_at IS NOT NULL OR se.expires_at <= :now THEN 'session_ended'"
        " END AS problem"
        " FROM push_deliveries d JOIN push_notices n ON n.id = d.notice_id"
        " LEFT JOIN push_subscriptions s ON s.id = d.subscription_id LEFT JOIN sessions se ON se.id = s.session_id"
        " WHERE d.status = 'pending' AND d.due_ts <= :ts ORDER BY d.due_ts LIMIT :limit",
        {"ts": now_ts, "now": now, "limit": limit},
    ).fetchall()
    return [Due(*r) for r in rows]


def next_due(conn: sqlite3.Connection) -> float | None:
    row = conn.execute("SELECT MIN(due_ts) FROM push_deliveries WHERE status = 'pending'").fetchone()
    return None if row[0] is None else float(row[0])


def claim(conn: Connection, keys: Iterable[tuple[int, int]], now: str) -> list[tuple[int, int]]:
    """Mark deliveries as being sent (committed before any request leaves): those still pending."""
    claimed = []
    for notice_id, subscription_id in keys:
        if conn.execute(
            "UPDATE push_deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?"
            " WHERE notice_id = ? AND subscription_id = ? AND status = 'pending'",
            (now, notice_id, subscription_id),
        ).rowcount:
            claimed.append((notice_id, subscription_id))
    return claimed


def record_results(conn: Connection, results: list[Result], now: str) -> None:
    """What each attempt came to; a 404/410 also removes the subscription."""
    for r in results:
        if r.action == "sent":
            conn.execute(
                "UPDATE push_deliveries SET status = 'sent', last_status = ?, reason = NULL, sent_at = ?, updated_at = ?"
                " WHERE notice_id = ? AND subscription_id = ?",
                (r.status, now, now, r.notice_id, r.subscription_id),
            )
        elif r.action == "retry":
            conn.execute(
                "UPDATE push_deliveries SET status = 'pending', last_status = ?, reason = ?, due_ts = ?, updated_at = ?"
                " WHERE notice_id = ? AND subscription_id = ?",
                (r.status, r.reason, r.due_ts, now, r.notice_id, r.subscription_id),
            )
        else:
            conn.execute(
                "UPDATE push_deliveries SET status = 'failed', last_status = ?, reason = ?, updated_at = ?"
                " WHERE notice_id = ? AND subscription_id = ?",
                (r.status, r.reason, now, r.notice_id, r.subscription_id),
            )
            if r.action == "gone":
                remove_subscription(conn, r.subscription_id, r.reason or "gone", now)


# --- the admin's view ---------------------------------------------------------------------------


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def delivery_view(
    conn: sqlite3.Connection,
    *,
    status: str | None = None,
    subscription_id: int | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """Totals, one line per subscription (sent, failed, pending, last failure) and the latest deliveries.
    Shows endpoints by push service only (the full URL is a device's address) and no notice text."""
    conn.execute("BEGIN")
    try:
        totals = dict.fromkeys(("pending", "sending", "sent", "failed"), 0)
        for state, count in conn.execute("SELECT status, COUNT(*) FROM push_deliveries GROUP BY status"):
            totals[state] = int(count)
        subscriptions = []
        for r in conn.execute(
            "SELECT s.id, s.user_id, u.username, s.client_id, s.endpoint, s.status, s.removed_reason, s.created_at,"
            " COALESCE(SUM(d.status = 'sent'), 0), COALESCE(SUM(d.status = 'failed'), 0),"
            " COALESCE(SUM(d.status IN ('pending', 'sending')), 0),"
            " (SELECT reason FROM push_deliveries f WHERE f.subscription_id = s.id AND f.status = 'failed'"
            "  ORDER BY f.updated_at DESC LIMIT 1)"
            " FROM push_subscriptions s JOIN users u ON u.id = s.user_id"
            " LEFT JOIN push_deliveries d ON d.subscription_id = s.id"
            " WHERE (:sub IS NULL OR s.id = :sub) GROUP BY s.id ORDER BY s.id",
            {"sub": subscription_id},
        ):
            subscriptions.append(
                {
                    "id": r[0],
                    "user_id": r[1],
                    "username": r[2],
                    "client_id": r[3],
                    "push_service": _origin(r[4]),
                    "status": r[5],
                    "removed_reason": r[6],
                    "created_at": r[7],
                    "sent": r[8],
                    "failed": r[9],
                    "pending": r[10],
                    "last_failure": r[11],
                }
            )
        deliveries = [
            {
                "notice_id": r[0],
                "subscription_id": r[1],
                "user_id": r[2],
                "kind": r[3],
                "entity": r[4],
                "status": r[5],
                "attempts": r[6],
                "last_status": r[7],
                "reason": r[8],
                "created_at": r[9],
                "updated_at": r[10],
                "sent_at": r[11],
            }
            for r in conn.execute(
                "SELECT d.notice_id, d.subscription_id, n.user_id, n.kind, n.entity, d.status, d.attempts, d.last_status,"
                " d.reason, n.created_at, d.updated_at, d.sent_at FROM push_deliveries d"
                " JOIN push_notices n ON n.id = d.notice_id"
                " WHERE (:status IS NULL OR d.status = :status) AND (:sub IS NULL OR d.subscription_id = :sub)"
                " ORDER BY d.notice_id DESC, d.subscription_id LIMIT :limit",
                {"status": status, "sub": subscription_id, "limit": limit},
            )
        ]
    finally:
        conn.execute("COMMIT")
    return {"totals": totals, "subscriptions": subscriptions, "deliveries": deliveries}


def session_client(conn: sqlite3.Connection, session_id: str) -> str | None:
    """The sync client id of the device a session was opened on."""
    row = conn.execute("SELECT client_id FROM sessions WHERE id = ?", (session_id,)).fetchone()
    return None if row is None else str(row[0])
