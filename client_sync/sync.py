"""One sync round for one profile: upload attachments, push the outbox in order, pull the feed.

Why the steps are cut this way (DESIGN rules 2-5, 8, 10):

* Push sends pending items in id order from the first unanswered one, in batches; each response is
  recorded in one transaction. A ``retry`` stops the round there (nothing after it was processed). A
  ``mutation_gap`` renumbers from the server's expected id and resends; the server dedupes by uuid.
* Pull applies each page and its cursor in one transaction, so kill -9 between pages loses nothing and
  a repeated page is harmless. A ``reset`` drops the replica (never the outbox) and starts over.
* After the pull, if the server remembers fewer mutations than it once acknowledged (restored from a
  backup), the lost ones become pending again and are pushed in the same round.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from server.protocol import Mutation, PushRequest

from .errors import AttachmentRejected, SyncError
from .models import ErrorInfo, QueuedItem, SyncSummary
from .session import Session
from .store import Store
from .transport import Transport

__all__ = ["Progress", "Round", "to_mutation", "MAX_RECOVERIES", "MAX_RESETS"]

Progress = Callable[[str, int], None]
"""Called as ``progress(stage, count)``: ``("upload", n)``, ``("push", n)``, ``("pull", total_changes)``."""

MAX_RECOVERIES = 3
MAX_RESETS = 3


def to_mutation(item: QueuedItem) -> Mutation:
    return Mutation(
        id=item.id,
        uuid=item.uuid,
        user_id=item.user_id,
        op=item.op,
        device_time=dt.datetime.fromisoformat(item.device_time) if item.device_time else None,
    )


@dataclass
class Round:
    """The parts one round needs; ``run`` fills ``summary`` and raises nothing but programming errors."""

    store: Store
    transport: Transport
    session: Session
    client_id: str
    summary: SyncSummary
    batch_size: int = 200
    page_limit: int = 1000
    progress: Progress | None = None

    def _note(self, stage: str, count: int) -> None:
        if self.progress is not None:
            self.progress(stage, count)

    def run(self) -> SyncSummary:
        try:
            self.push()
            lost = self.pull()
            if lost:  # the server forgot mutations it had acknowledged: send them again now
                self.push()
                self.pull()
        except SyncError as exc:
            self.summary.errors.append(ErrorInfo(exc.code, exc.message, exc.retryable))
        if self.summary.errors:
            last = self.summary.errors[-1]
            self.store.record_error(self.client_id, last.code, last.message, last.retryable)
        else:
            self.store.record_success(self.client_id)
        return self.summary

    # --- push ---------------------------------------------------------------------------------

    def upload(self, batch: list[QueuedItem]) -> None:
        todo = self.store.attachments_to_upload([i.uuid for i in batch])
        seen: set[str] = set()
        for attachment in todo:
            if attachment.sha256 in seen:
                continue
            seen.add(attachment.sha256)
            content = self.store.attachment_content(attachment.sha256)
            if content is None:
                continue
            self._note("upload", len(seen))
            try:
                self.session.call(partial(self.transport.put_attachment, sha256=attachment.sha256, content=content,
                                          content_type=attachment.content_type))
            except AttachmentRejected as exc:
                raise AttachmentRejected(
                    exc.code, f"Lampiran transaksi tidak diterima server: {exc.message}", exc.detail, exc.status
                ) from exc
            self.store.mark_uploaded(attachment.sha256)
            self.summary.uploaded += 1

    def push(self) -> None:
        recoveries = 0
        while True:
            batch = self.store.items(self.client_id, states=["pending"], limit=self.batch_size)
            if not batch:
                return
            self.upload(batch)
            self._note("push", len(batch))
            request = PushRequest(client_id=self.client_id, mutations=[to_mutation(i) for i in batch])
            try:
                response = self.session.call(partial(self.transport.push, request=request))
            except SyncError as exc:
                if exc.code != "mutation_gap" or recoveries >= MAX_RECOVERIES:
                    raise
                recoveries += 1
                expected = getattr(exc, "expected", 0) or 1
                self.store.resequence(self.client_id, expected)
                self.summary.recovered_from = expected
                continue
            outcome = self.store.record_results(self.client_id, batch, response)
            self.summary.pushed += len(outcome.applied) + len(outcome.rejected)
            self.summary.applied += len(outcome.applied)
            self.summary.rejected.extend(outcome.rejected)
            if outcome.collision_at is not None:
                if recoveries >= MAX_RECOVERIES:
                    raise SyncError("mutation_id_reused", "Nomor transaksi bertabrakan dengan data server.")
                recoveries += 1
                start = max(response.last_mutation_id + 1, 1)
                self.store.resequence(self.client_id, start)
                self.summary.recovered_from = start
                continue
            if outcome.retry is not None:
                self.summary.retry += 1
                code = outcome.retry_code or "retry"
                message = outcome.retry_message or "Server meminta transaksi dikirim ulang nanti."
                self.summary.errors.append(ErrorInfo(code, f"Transaksi #{outcome.retry.id}: {message}", True))
                return
            if outcome.answered == 0:
                return  # nothing answered and nothing to wait for: do not spin

    # --- pull ---------------------------------------------------------------------------------

    def pull(self) -> bool:
        """Pull until caught up; True if the server turned out to have lost acknowledged mutations."""
        resets = 0
        while True:
            profile = self.store.profile(self.client_id)
            assert profile is not None
            page = self.session.call(partial(self.transport.pull, client_id=self.client_id, cursor=profile.cursor,
                                             limit=self.page_limit))
            if page.reset is not None:
                resets += 1
                if resets > MAX_RESETS:
                    raise SyncError("reset_loop", "Server terus meminta muat ulang data; coba lagi nanti.")
                self.store.reset_replica(self.client_id)
                self.summary.resets.append(page.reset.reason)
                continue
            outcome = self.store.apply_page(self.client_id, page)
            self.summary.pulled += outcome.changes
            self.summary.rejected.extend(i for i in outcome.rejected_by_feed if i.uuid not in
                                         {r.uuid for r in self.summary.rejected})
            self.summary.position = page.position
            self._note("pull", self.summary.pulled)
            if not page.has_more or not page.changes:
                break
        self.store.prune(self.client_id)
        acknowledged = self.store.highest_answered_id(self.client_id)
        server_last = page.last_mutation_id
        if acknowledged > server_last:
            self.store.resequence(self.client_id, server_last + 1)
            self.summary.recovered_from = server_last + 1
            return True
        return False
