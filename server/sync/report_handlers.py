"""The ``report.create`` handler: a user's problem report, stored for the admin's list.

Anyone logged in may file one, about their own device only: the server takes the author from the
token, the time from its own clock, and keeps the description only after ``domain.reports.scrub``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from server.domain.reports import scrub
from server.errors import InvalidInput, InvalidState
from server.protocol import ReportCreate
from server.storage import reports as store
from server.storage.interface import Tx

from .context import Context

__all__ = ["REPORT_HANDLERS"]


def _create_report(conn: Tx, op: ReportCreate, ctx: Context) -> None:
    if store.report_exists(conn, op.report_id):
        raise InvalidState("duplicate_id", "Laporan dengan id ini sudah ada.")
    description = scrub(op.description)
    if not description:
        raise InvalidInput("report_empty", "Tuliskan masalah yang Anda alami.")
    state = op.sync_state
    store.insert_report(
        conn,
        report_id=op.report_id,
        user_id=ctx.actor.user_id,
        role=ctx.actor.role,
        description=description,
        app_version=op.app_version,
        pending=state.pending,
        rejected=state.rejected,
        last_sync_at=state.last_sync_at.isoformat() if state.last_sync_at else None,
        error_codes=list(state.error_codes),
        device_time=ctx.device_time.isoformat() if ctx.device_time else None,
        created_at=ctx.now.isoformat(),
    )


REPORT_HANDLERS: Mapping[type, Callable[[Tx, Any, Context], None]] = {ReportCreate: _create_report}
