"""Pull: the change feed after a cursor, filtered to the caller's scope (DESIGN rules 4, 6, 10).

The cursor is ``<epoch>-<scope generation>-<floor>-<position>``. A different epoch means the database
was replaced or restored; a different scope generation means the caller's rights changed; a position
past the head cannot be served, nor one under a compaction floor raised after the cursor was issued.
Each answers a ``reset``: the client drops its replica (never its outbox) and pulls from the start.
"""

from __future__ import annotations

import re

import msgspec

from server.access import reach_of
from server.errors import AccessDenied
from server.protocol import PullResponse, Reset, ResetReason
from server.storage import feed
from server.storage.accounts import UserRecord
from server.storage.interface import ReadTx
from server.storage.transactions import snapshot

__all__ = ["pull"]

_CURSOR = re.compile(r"^([0-9a-f]{1,32})-(\d{1,15})-(\d{1,15})-(\d{1,15})$")

_RESET_MESSAGES = {
    "cursor_invalid": "Penanda sinkronisasi tidak dikenali; data lokal dimuat ulang.",
    "epoch_changed": "Database server telah dipulihkan atau diganti; data lokal dimuat ulang.",
    "scope_changed": "Hak akses Anda berubah; data lokal dimuat ulang.",
    "cursor_ahead": "Penanda sinkronisasi lebih baru dari server; data lokal dimuat ulang.",
    "cursor_expired": "Data lokal terlalu lama tidak disinkronkan; data lokal dimuat ulang.",
}


def _reset(reason: ResetReason, counter: int) -> PullResponse:
    return PullResponse(
        cursor="",
        position=0,
        has_more=True,
        last_mutation_id=counter,
        changes=[],
        reset=Reset(reason=reason, message=_RESET_MESSAGES[reason]),
    )


def _cursor_problem(cursor: str, epoch: str, scope_gen: int, head: int, floor: int) -> tuple[ResetReason | None, int]:
    if not cursor:
        return None, 0
    match = _CURSOR.match(cursor)
    if match is None:
        return "cursor_invalid", 0
    if match.group(1) != epoch:
        return "epoch_changed", 0
    if int(match.group(2)) != scope_gen:
        return "scope_changed", 0
    issued_floor, position = int(match.group(3)), int(match.group(4))
    if position > head:
        return "cursor_ahead", 0
    if position < floor and issued_floor < floor:
        return "cursor_expired", 0
    return None, position


def pull(conn: ReadTx, user: UserRecord, client_id: str, cursor: str, limit: int) -> PullResponse:
    """One page of changes, read in one snapshot so position and rows agree."""
    with snapshot(conn):
        counter, epoch, head, floor = _state(conn, user, client_id)
        problem, position = _cursor_problem(cursor, epoch, user.scope_gen, head, floor)
        if problem:
            return _reset(problem, counter)
        page, count, last_seq = feed.changes_after(conn, position, limit, reach_of(user))
    has_more = count == limit
    new_position = last_seq if has_more else head
    # ``changes`` travels as the JSON array SQLite built: the same shape as list[Change], never re-parsed
    return PullResponse(
        cursor=f"{epoch}-{user.scope_gen}-{floor}-{new_position}",
        position=new_position,
        has_more=has_more,
        last_mutation_id=counter,
        changes=msgspec.Raw(page),  # type: ignore[arg-type]  # list[Change], encoded
    )


_EMPTY = msgspec.Raw(b"[]")


def _state(conn: ReadTx, user: UserRecord, client_id: str) -> tuple[int, str, int, int]:
    """(client counter, epoch, head, floor) in one statement; refuses a client id of another user."""
    owner, counter, epoch, head, floor = feed.feed_state(conn, client_id)
    if owner is not None and owner != user.id:
        raise AccessDenied("client_not_owned", "Perangkat ini terdaftar untuk pengguna lain.")
    return counter, epoch, head, floor


def pull_if_idle(conn: ReadTx, user: UserRecord, client_id: str, cursor: str) -> PullResponse | None:
    """The answer to a pull when nothing is new after the cursor (or a reset); else None.

    Cheap enough for the event loop (one indexed read, no page to build), so an idle client costs no hop
    to a worker thread; ``pull`` builds real pages on a worker.
    """
    counter, epoch, head, floor = _state(conn, user, client_id)
    problem, position = _cursor_problem(cursor, epoch, user.scope_gen, head, floor)
    if problem:
        return _reset(problem, counter)
    if position < head:
        return None
    return PullResponse(
        cursor=f"{epoch}-{user.scope_gen}-{floor}-{head}",
        position=head,
        has_more=False,
        last_mutation_id=counter,
        changes=_EMPTY,  # type: ignore[arg-type]  # an encoded empty list[Change]
    )
