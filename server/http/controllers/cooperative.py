"""What the board and every member read of the cooperative: the settings, the board structure, the
member directory for *Setor untuk karyawan/badan* (anyone signed in), and the audit log (board and
admin). The admin's writes are in ``admin.py``; SQL in ``server/storage/admin.py``."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, get
from litestar.params import FromQuery
from msgspec import Struct

from server.auth.service import utcnow
from server.domain import board
from server.domain.timezone import local_date, zone
from server.errors import RequestError
from server.storage import admin as store
from server.storage.interface import ReadTx

from ..rate import Budget
from ..security import roles

__all__ = ["AuditController", "CooperativeController", "CoopSettings", "DirectoryEntry", "AuditEntry"]


class CoopSettings(Struct):
    time_zone: str
    time_zone_label: Literal["WIB", "WITA", "WIT"]


class DirectoryEntry(Struct):
    id: int
    number: str
    name: str
    kind: Literal["anggota", "badan"]


class AuditEntry(Struct):
    id: int
    at: str
    user_id: int
    username: str
    user_name: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any


class AuditController(Controller):
    path = "/api/audit"
    tags = ["admin"]
    guards = [roles("pengurus", "admin")]

    @get("")
    async def audit_log(
        self,
        request: Request,
        entity: FromQuery[str | None] = None,
        entity_id: FromQuery[str | None] = None,
        before_id: FromQuery[int | None] = None,
        limit: FromQuery[int] = 100,
    ) -> list[AuditEntry]:
        """Every admin action, newest first: who, when, what, before → after. Page with ``before_id``."""
        if not 1 <= limit <= 1000:
            raise RequestError("limit_invalid", "Batas harus 1-1000.")
        rows = await request.app.state.services.db.read(
            lambda c: store.audit_entries(c, entity=entity, entity_id=entity_id, before_id=before_id, limit=limit)
        )
        return [AuditEntry(**r) for r in rows]


DIRECTORY_LIMIT = 20
DIRECTORY_BUDGET = (30, 60.0)
"""Searches per user per minute: enough to find a colleague, too few to list the cooperative."""


class CooperativeController(Controller):
    path = "/api"
    tags = ["cooperative"]

    @get("/settings")
    async def settings(self, request: Request) -> CoopSettings:
        """The cooperative's settings every device needs (also in the feed as ``coop_settings``)."""
        return CoopSettings(**await request.app.state.services.db.read(store.coop_settings))

    @get("/board")
    async def board(self, request: Request) -> list[board.BoardPosition]:
        """The current pengurus and pengawas (active, term includes today), for every member."""
        now = utcnow()

        def read(conn: ReadTx) -> list[board.BoardPosition]:
            return board.current_board(store.board_positions(conn), local_date(now, zone(store.time_zone(conn))))

        return await request.app.state.services.db.read(read)

    @get("/directory/members")
    async def directory(self, request: Request, q: FromQuery[str]) -> list[DirectoryEntry]:
        """Find the recipient of a deposit on someone's behalf: by exact number, or (3 characters or
        more) by number prefix or part of the name. Only number, name and kind; at most 20 results and
        30 searches a minute per user (429 ``too_many_requests``)."""
        text = " ".join(q.split())
        if not 1 <= len(text) <= 50:
            raise RequestError("directory_query_invalid", "Kata pencarian 1-50 karakter.")
        state = request.app.state
        budget = getattr(state, "directory_budget", None)
        if budget is None:
            budget = state.directory_budget = Budget(*DIRECTORY_BUDGET)
        budget.spend(request.user.id)
        rows = await state.services.db.read(lambda c: store.directory(c, text, DIRECTORY_LIMIT, by_name=len(text) >= 3))
        return [DirectoryEntry(**r) for r in rows]
