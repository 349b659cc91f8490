"""*Laporkan Masalah* on the device: a problem report queued like any mutation (``report.create``).

The report carries what the device knows about its own sync (pending and rejected counts, the last
sync time, the codes of the last errors) and nothing else: no messages (they can name members), no
rows, no tokens. The server masks anything credential-like in the description as well.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from server.protocol import DeviceSyncState, ReportCreate

if TYPE_CHECKING:
    from .models import QueuedItem, SyncStatus

__all__ = ["ReportMethods", "sync_state_of"]

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_CODES = 10


def sync_state_of(status: SyncStatus, rejected: list[QueuedItem]) -> DeviceSyncState:
    """The device's sync state as a report may carry it: counts, the last sync time, error codes."""
    codes: list[str] = []
    candidates = ([status.last_error.code] if status.last_error else []) + [item.code or "" for item in rejected]
    for code in candidates:
        if _CODE.match(code) and code not in codes:
            codes.append(code)
    last_sync = dt.datetime.fromisoformat(status.last_sync_at) if status.last_sync_at else None
    return DeviceSyncState(
        pending=status.pending, rejected=status.rejected, last_sync_at=last_sync, error_codes=codes[:MAX_CODES]
    )


class ReportMethods:
    """Mixed into ``SyncClient``: needs its ``status``, ``rejected``, ``queue`` and ``new_id``."""

    if TYPE_CHECKING:

        def status(self) -> SyncStatus: ...
        def rejected(self, limit: int | None = None) -> list[QueuedItem]: ...
        def queue(self, op: Any, attachments: Any = None) -> QueuedItem: ...
        @staticmethod
        def new_id() -> str: ...

    def report_problem(self, description: str, app_version: str) -> QueuedItem:
        """Queue a problem report (works offline; sent with the next sync)."""
        state = sync_state_of(self.status(), self.rejected(limit=MAX_CODES))
        op = ReportCreate(
            report_id=self.new_id(), description=description.strip(), app_version=app_version, sync_state=state
        )
        return self.queue(op)
