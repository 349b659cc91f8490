"""How the app is served: uvicorn with a header-read deadline and an access log without query strings.

Why uvicorn plus a small protocol subclass, not another server: uvicorn's ``timeout_keep_alive``
bounds only the idle time *after* a response, and every received byte cancels it, so a client that
connects and sends nothing, or drips one header byte every few seconds, holds a connection forever;
an ASGI middleware cannot help because the app is called only once the headers are complete.
Hypercorn's ``read_timeout`` is per read (a drip resets it), and granian (hyper's
``header_read_timeout``) would replace the server, its process model and our test harness for one
setting. So ``DeadlineH11Protocol`` keeps uvicorn's h11 protocol and adds the one missing rule, as
hyper does it: the request line and headers must arrive within ``header_read_timeout_seconds`` of
the connection opening (or of the previous response ending, on a keep-alive connection); otherwise
the connection is closed. Idle keep-alive connections are closed after ``keep_alive_timeout_seconds``
by uvicorn itself. Streaming responses (the SSE event stream) are unaffected: the deadline is
disarmed once a request's headers are in.

The access log names the path without its query string: ``/api/sync/events?access_token=…`` must
never write a token into a log file.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from server.settings import Settings

__all__ = ["DeadlineH11Protocol", "QueryStringFilter", "uvicorn_config"]

log = logging.getLogger(__name__)


class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's line and headers."""

    header_read_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn declares it
        super().connection_made(transport)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are complete
            self._disarm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_header_deadline()  # the next request on this connection gets the same bound

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_read_timeout, self._header_deadline_passed)

    def _disarm_header_deadline(self) -> None:
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._header_deadline = None

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            log.info("closing a connection that sent no complete request headers within %ss", self.header_read_timeout)
            self.transport.close()


class QueryStringFilter(logging.Filter):
    """Drop the query string from uvicorn's access log lines (tokens travel there for EventSource)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def _install_access_filter() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QueryStringFilter) for f in logger.filters):
        logger.addFilter(QueryStringFilter())


def uvicorn_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration the server runs with: our timeouts, our protocol, a safe access log."""
    protocol = type(
        "LumbungH11Protocol",
        (DeadlineH11Protocol,),
        {
            "header_read_timeout": settings.header_read_timeout_seconds,
        },
    )
    values: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": "info",
        "http": protocol,
        "timeout_keep_alive": settings.keep_alive_timeout_seconds,
    }
    if settings.log_format == "json":  # structured logs (logs.py)
        from .logs import log_config

        values["log_config"] = log_config()
    values.update(options)
    config = uvicorn.Config(app, **values)
    _install_access_filter()  # after Config: it (re)configures uvicorn's loggers
    return config
