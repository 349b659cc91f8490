"""Live updates: a poke (server-sent event) to every connected client whose scope a commit touched.

The writer thread reports the scopes each commit touched; we hop onto the event loop and wake the
matching subscribers, who then pull. A poke carries no data, so a missed or extra one is harmless.
"""

from __future__ import annotations

import asyncio

from server.access import Reach, reach_of, wants_poke
from server.storage.accounts import UserRecord

__all__ = ["Pokes", "Subscriber"]


class Subscriber:
    """One open event stream; ``user`` is refreshed before every event, so rights follow changes."""

    def __init__(self, user: UserRecord) -> None:
        self.queue: asyncio.Queue[None] = asyncio.Queue(maxsize=1)
        self.user = user

    @property
    def user(self) -> UserRecord:
        return self._user

    @user.setter
    def user(self, user: UserRecord) -> None:
        self._user = user
        self.reach: Reach = reach_of(user)

    def wants(self, scopes: set[tuple[str, int | None]]) -> bool:
        """The access policy decides: a poke only for a commit that touched what this user may pull."""
        return wants_poke(self.reach, scopes)


class Pokes:
    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, user: UserRecord) -> Subscriber:
        sub = Subscriber(user)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subscribers.discard(sub)

    def publish_threadsafe(self, scopes: set[tuple[str, int | None]]) -> None:
        """Called on the writer thread after a commit."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._publish, scopes)

    def _publish(self, scopes: set[tuple[str, int | None]]) -> None:
        for sub in list(self._subscribers):
            if sub.wants(scopes) and sub.queue.empty():
                sub.queue.put_nowait(None)
