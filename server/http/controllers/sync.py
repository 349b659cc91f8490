"""``/api/sync``: push mutations, pull the change feed, listen for pokes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, JSONBody
from litestar.response import ServerSentEvent, ServerSentEventMessage

from server.auth.service import utcnow
from server.errors import RequestError, Retryable
from server.protocol import PullResponse, PushRequest, PushResponse
from server.sync.pull import pull, pull_if_idle
from server.sync.push import process_push

from ..security import actor_of
from ..strict import StrictJSON

__all__ = ["SyncController"]


class SyncController(Controller):
    path = "/api/sync"
    tags = ["sync"]

    @post("/push", status_code=200, dto=StrictJSON[PushRequest], return_dto=None)
    async def push(self, request: Request, data: JSONBody[PushRequest]) -> PushResponse:
        """Process a client's numbered mutations exactly once, in order; see docs/PROTOCOL.md.

        The body is decoded once, strictly, by ``StrictJSON`` (no lenient pre-conversion)."""
        services = request.app.state.services
        if services.db.queue_depth() > services.settings.max_write_queue:
            raise Retryable("busy", "Server sedang sibuk; transaksi akan dikirim ulang otomatis.")
        if len(data.mutations) > services.settings.push_max_mutations:
            raise RequestError("batch_too_large", "Terlalu banyak transaksi dalam satu kiriman.")
        actor, settings, now = actor_of(request.user), services.settings, utcnow()
        limits, loan_settings = settings.limits, settings.loan_settings
        return await services.db.write(
            lambda c: process_push(c, actor, data.client_id, data.mutations, limits, now, loan_settings)
        )

    @get("/pull")
    async def pull(
        self,
        request: Request,
        client_id: FromQuery[str],
        cursor: FromQuery[str] = "",
        limit: FromQuery[int | None] = None,
    ) -> PullResponse:
        """Changes after ``cursor`` within the caller's scope, a page at a time."""
        settings = request.app.state.services.settings
        size = settings.pull_page_default if limit is None else limit
        if size < 1 or size > settings.pull_page_max:
            raise RequestError(
                "invalid_limit", f"limit harus antara 1 dan {settings.pull_page_max}.", {"max": settings.pull_page_max}
            )
        user, db = request.user, request.app.state.services.db
        idle = db.read_sync(lambda c: pull_if_idle(c, user, client_id, cursor))
        if idle is not None:
            return idle
        return await db.read(lambda c: pull(c, user, client_id, cursor, size))

    @get("/events")
    async def events(self, request: Request) -> ServerSentEvent:
        """Server-sent events: ``poke`` whenever something in the caller's scope changed."""
        services = request.app.state.services
        services.pokes.bind(asyncio.get_running_loop())
        sub = services.pokes.subscribe(request.user)
        keepalive = services.settings.sse_keepalive_seconds
        user_id, session_id = request.user.id, request.auth

        async def stream() -> AsyncGenerator[ServerSentEventMessage, None]:
            try:
                yield ServerSentEventMessage(event="ready", data="ok")
                while True:
                    try:
                        await asyncio.wait_for(sub.queue.get(), timeout=keepalive)
                        message = ServerSentEventMessage(event="poke", data="pull")
                    except TimeoutError:
                        message = ServerSentEventMessage(comment="keepalive")
                    # rights are read again at every event: a revoked session or a moved officer
                    # stops receiving pokes for what is no longer theirs
                    current = services.auth.live_user(user_id, session_id)
                    if current is None:
                        yield ServerSentEventMessage(event="revoked", data="login")
                        return
                    sub.user = current
                    yield message
            finally:
                services.pokes.unsubscribe(sub)

        return ServerSentEvent(stream())
