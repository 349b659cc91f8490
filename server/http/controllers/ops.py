"""The admin's operations views: backups (list, take one now), the health view, problem reports.

Admin only (``roles("admin")``): backups hold every member's data, and reports may describe anyone's
trouble. The backup rules are in ``server/operations/backups.py``, the SQL in ``server/storage/``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from msgspec import Struct

from server.storage.backup_log import BackupRow
from server.storage.feed import epoch
from server.storage.ops_stats import OpsStats, ops_stats
from server.storage.reports import ReportRow, list_reports

from ..security import roles

__all__ = ["OpsController"]

OVERDUE_SECONDS = 26 * 3600
"""A day plus slack: past this without a good backup the health view says ``backup_overdue``."""


class LastBackup(Struct):
    file: str
    finished_at: str
    age_seconds: int
    ledger_entries: int | None
    size_bytes: int


class Health(Struct):
    status: str
    """``ok``, or ``attention`` when the last good backup is overdue or the latest attempt failed."""
    epoch: str
    writer_queue_depth: int
    last_good_backup: LastBackup | None
    backup_overdue: bool
    latest_backup_failed: bool
    next_backup_at: str | None
    """On the cooperative's wall clock (ISO 8601 with its offset, e.g. ``…T02:00:00+09:00``)."""
    next_backup_zone: str | None
    """The label of that zone: ``WIB``, ``WITA`` or ``WIT``."""
    backups_enabled: bool
    stats: OpsStats


def _last(row: BackupRow | None) -> LastBackup | None:
    if row is None:
        return None
    finished = dt.datetime.fromisoformat(row.finished_at)
    age = int((dt.datetime.now(dt.UTC) - finished).total_seconds())
    return LastBackup(row.file, row.finished_at, max(age, 0), row.ledger_entries, row.size_bytes)


class OpsController(Controller):
    path = "/api/admin"
    tags = ["admin"]
    guards = [roles("admin")]

    @get("/health")
    async def health(self, request: Request) -> Health:
        """Kesehatan server: the last good backup and its age, the writer's queue, the database's figures."""
        services, backups = request.app.state.services, request.app.state.backups
        last = _last(await backups.last_good())
        recent = await backups.recent(1)
        overdue = last is None or last.age_seconds > OVERDUE_SECONDS
        failed = bool(recent) and not recent[0].ok
        return Health(
            status="attention" if overdue or failed else "ok",
            epoch=await services.db.read(epoch),
            writer_queue_depth=services.db.queue_depth(),
            last_good_backup=last,
            backup_overdue=overdue,
            latest_backup_failed=failed,
            next_backup_at=backups.next_at.isoformat() if backups.next_at else None,
            next_backup_zone=backups.next_zone if backups.next_at else None,
            backups_enabled=services.settings.backup_enabled,
            stats=await services.db.read(ops_stats),
        )

    @get("/backups")
    async def backups(self, request: Request) -> list[BackupRow]:
        """Backups taken (newest first), each with its verification and whether its file was removed."""
        return await request.app.state.backups.recent(50)

    @post("/backups", status_code=201)
    async def backup_now(self, request: Request) -> BackupRow:
        """Take a backup now, verify it (integrity and ledger check) and prune those past the keep days.
        ``ok: false`` with ``detail`` says a backup was taken but failed its check."""
        return await request.app.state.backups.run_now("manual")

    @get("/reports")
    async def reports(
        self,
        request: Request,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
        before: Annotated[str | None, Parameter(max_length=40)] = None,
    ) -> list[ReportRow]:
        """Laporan masalah from the apps, newest first; ``before`` (a ``created_at``) pages back."""
        return await request.app.state.services.db.read(lambda c: list_reports(c, limit, before))
