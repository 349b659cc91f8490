"""Web Push as the app holds it: the key store and the sender, started and stopped with the server."""

from __future__ import annotations

import datetime as dt
import logging

from server.settings import Settings
from server.storage import push as store
from server.storage.database import Database

from .keys import KeyStore
from .sender import PushSender

__all__ = ["PushService"]

log = logging.getLogger(__name__)


class PushService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.keys = KeyStore(settings.data_dir)
        self.sender = PushSender(db, settings, self.keys)
        db.on_commit(self.sender.on_commit)

    @property
    def enabled(self) -> bool:
        return self.settings.push_enabled

    async def start(self) -> None:
        """Make the key pair on first start; subscriptions made with another key are told to renew."""
        key = self.keys.ensure()
        now = dt.datetime.now(dt.UTC)
        renewed = await self.db.write(lambda c: store.mark_resubscribe(c, key.key_id, now))
        if renewed:
            log.warning("push: %d subscriptions were made with another VAPID key and must be renewed", renewed)
        if self.enabled:
            self.sender.start()

    def stop(self) -> None:
        self.sender.stop()
