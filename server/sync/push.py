"""Push: exactly-once processing of a client's numbered mutations (DESIGN rules 2, 3, 7).

Per client the server keeps the last mutation number processed; each mutation's result, effects,
change-log entries and the counter commit together. A mutation already processed answers its
stored result; a business refusal is recorded as ``rejected`` and advances the counter so the queue
never sticks; a temporary failure (``Retryable``) stops the batch there and advances nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from server.domain.loans import LoanSettings
from server.domain.models import Actor, Limits
from server.domain.timezone import zone
from server.errors import AccessDenied, DomainError, ProtocolError, Retryable
from server.protocol import Mutation, MutationResult, PushResponse, ResultStatus, op_name
from server.storage import admin, feed
from server.storage import batch as store
from server.storage.database import Connection, Row
from server.storage.errors import StorageBusy, StorageIntegrity, translate

from .handlers import Context, apply

__all__ = ["process_push"]

log = logging.getLogger(__name__)
_BUSY = "Server sedang sibuk; transaksi akan dikirim ulang otomatis."


def _stored_result(row: Mapping[str, Any] | Row, number: int) -> MutationResult:
    return MutationResult(
        id=number,
        uuid=row["uuid"],
        status=row["status"],
        code=row["code"],
        message=row["message"],
        visible_at=row["visible_at"],
    )


def _uuid_conflict(m: Mutation) -> MutationResult:
    return MutationResult(
        m.id,
        m.uuid,
        "rejected",
        "uuid_conflict",
        "Id transaksi ini sudah dipakai pengguna lain; transaksi tidak diproses.",
    )


def _check_ownership(
    conn: Connection, actor: Actor, client_id: str, mutations: list[Mutation], now: dt.datetime
) -> None:
    owner = feed.client_owner(conn, client_id)
    if owner is None:  # e.g. a database restored from before this device logged in
        feed.register_client(conn, client_id, actor.user_id, now.isoformat())
    elif owner != actor.user_id:
        raise AccessDenied("client_not_owned", "Perangkat ini terdaftar untuk pengguna lain.")
    for m in mutations:
        if m.user_id != actor.user_id:
            raise AccessDenied(
                "mutation_user_mismatch",
                "Antrean berisi transaksi pengguna lain; masuk sebagai pengguna tersebut untuk mengirimnya.",
                {"id": m.id},
            )


def process_push(
    conn: Connection,
    actor: Actor,
    client_id: str,
    mutations: list[Mutation],
    limits: Limits,
    now: dt.datetime,
    loan_settings: LoanSettings | None = None,
) -> PushResponse:
    """Process a batch in order inside the caller's write transaction.

    A busy database (``StorageBusy``) answers the whole push retryable: nothing of it is kept.
    """
    settings = loan_settings or LoanSettings()
    try:
        with store.push_work(conn) as work:
            try:  # optimistic: no savepoint per mutation, as long as every mutation applies
                response = _process(conn, actor, client_id, mutations, limits, now, settings, careful=False)
                _flush(work)
                return response
            except (_Redo, StorageIntegrity):  # a mutation or a deferred row failed: undo, rerun with savepoints
                work.restart()
                return _process(conn, actor, client_id, mutations, limits, now, settings, careful=True)
    except StorageBusy as busy:
        log.warning("push answered busy: %s", busy)
        raise Retryable("busy", _BUSY) from busy


class _Redo(Exception):
    """A mutation failed while the batch ran without savepoints: its half-done writes must go."""


def _flush(work: store.PushWork) -> None:
    """Write the optimistic pass's feed rows; a refusal there (a constraint) is redone one by one."""
    try:
        work.flush()
    except Exception as failed:
        if isinstance(translate(failed), StorageBusy):
            raise
        raise _Redo from failed


def _process(
    conn: Connection,
    actor: Actor,
    client_id: str,
    mutations: list[Mutation],
    limits: Limits,
    now: dt.datetime,
    loan_settings: LoanSettings,
    *,
    careful: bool,
) -> PushResponse:
    """One pass over the batch. ``careful=False`` applies each mutation without a savepoint and raises
    ``_Redo`` at the first failure (nothing is answered from that pass); ``careful=True`` puts each
    mutation in a savepoint, so a refusal leaves only its recorded result."""
    _check_ownership(conn, actor, client_id, mutations, now)
    last = start = feed.client_counter(conn, client_id)
    results: list[MutationResult] = []
    cache: dict[tuple[str, object], object] = {}
    # every uuid of the batch looked up at once; mutations recorded below are added as they are
    known = store.mutations_by_uuid(conn, (m.uuid for m in mutations if m.id > last))
    received = now.isoformat()
    tz = zone(admin.time_zone(conn))  # the cooperative's calendar, read once per push
    for m in mutations:
        if m.id <= last:
            stored = feed.mutation_by_number(conn, client_id, m.id) or feed.mutation_by_uuid(conn, m.uuid)
            if stored is not None and stored["user_id"] != actor.user_id:
                results.append(_uuid_conflict(m))
            elif stored is None or stored["uuid"] != m.uuid:
                results.append(
                    MutationResult(
                        m.id,
                        m.uuid,
                        "rejected",
                        "mutation_id_reused",
                        "Nomor transaksi ini sudah dipakai transaksi lain; transaksi tidak diproses.",
                    )
                )
            else:
                results.append(_stored_result(stored, m.id))
            continue
        if m.id > last + 1:
            if results:
                break  # the client resends the rest from where we stopped
            raise ProtocolError("mutation_gap", f"Server menunggu transaksi nomor {last + 1}.", {"expected": last + 1})
        duplicate = known.get(m.uuid)
        if duplicate is not None:  # sent before under another client id (a reinstalled device)
            last = m.id
            mine = duplicate["user_id"] == actor.user_id  # never answer with another user's result
            results.append(_stored_result(duplicate, m.id) if mine else _uuid_conflict(m))
            continue
        status: ResultStatus = "applied"
        code, message = None, None
        ctx = Context(actor, limits, now, m.device_time, cache, loan_settings, tz)
        if not careful:
            try:
                apply(conn, m.op, ctx)
            except Exception as failed:
                if isinstance(translate(failed), StorageBusy):
                    raise  # temporary: the whole push is answered retryable (push_work translates it)
                raise _Redo from failed
            visible_at = feed.record_mutation(
                conn,
                uuid=m.uuid,
                client_id=client_id,
                number=m.id,
                user_id=actor.user_id,
                name=op_name(m.op),
                status="applied",
                code=None,
                message=None,
                received_at=received,
                device_time=m.device_time.isoformat() if m.device_time else None,
            )
            known[m.uuid] = {
                "uuid": m.uuid,
                "user_id": actor.user_id,
                "status": "applied",
                "code": None,
                "message": None,
                "visible_at": visible_at,
            }
            last = m.id
            results.append(MutationResult(m.id, m.uuid, "applied", None, None, visible_at))
            continue
        try:
            with store.savepoint(conn):
                apply(conn, m.op, ctx)
        except DomainError as refusal:
            status, code, message = "rejected", refusal.code, refusal.message
        except Retryable as later:
            results.append(MutationResult(m.id, m.uuid, "retry", later.code, later.message))
            break
        except StorageIntegrity as broken:  # a rule the domain missed; refuse rather than stick
            log.exception("integrity error in mutation %s", m.uuid)
            status, code, message = "rejected", "integrity_error", f"Transaksi melanggar aturan data: {broken}"
        except StorageBusy:
            raise  # disk full, database locked: temporary; the whole push is answered retryable
        except Exception:  # a bug must not stick the queue: refuse this one mutation, visibly
            log.exception("unexpected error in mutation %s", m.uuid)
            status, code, message = (
                "rejected",
                "internal_error",
                "Terjadi kesalahan di server; transaksi ini tidak diproses.",
            )
        visible_at = feed.record_mutation(
            conn,
            uuid=m.uuid,
            client_id=client_id,
            number=m.id,
            user_id=actor.user_id,
            name=op_name(m.op),
            status=status,
            code=code,
            message=message,
            received_at=received,
            device_time=m.device_time.isoformat() if m.device_time else None,
        )
        known[m.uuid] = {
            "uuid": m.uuid,
            "user_id": actor.user_id,
            "status": status,
            "code": code,
            "message": message,
            "visible_at": visible_at,
        }
        last = m.id
        results.append(MutationResult(m.id, m.uuid, status, code, message, visible_at))
    if last != start:  # same transaction as the effects: the counter never runs ahead of them
        feed.set_client_counter(conn, client_id, last)
    return PushResponse(results=results, last_mutation_id=last)
