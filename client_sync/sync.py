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
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from server.protocol import Mutation, PullResponse, PushRequest, PushResponse

from .errors import AttachmentRejected, AuthExpired, GapError, LoginRequired, SyncError
from .models import ErrorInfo, QueuedItem, SyncSummary
from .outbox import ResultsOutcome
from .session import Session
from .store import Store
from .transport import Transport

__all__ = ["Progress", "Round", "to_mutation", "MAX_RECOVERIES", "MAX_RESETS"]

Progress = Callable[[str, int], None]
"""Called as ``progress(stage, count)``: ``("upload", n)``, ``("push", n)``, ``("pull", total_changes)``."""

MAX_RECOVERIES = 3
FALLBACK_PAGE_LIMIT = 1000
"""Page size asked for when the server refuses ours without naming its maximum (its own default)."""
MAX_RESETS = 3


class _Gap:
    """A push refused with ``mutation_gap``: the server expects an earlier id (it lost what followed)."""

    def __init__(self, error: GapError) -> None:
        self.error = error


def _fully_answered(batch: list[QueuedItem], response: PushResponse) -> bool:
    """Every item answered, in order, finally (no ``retry``, no id collision): the next batch may go."""
    if len(response.results) != len(batch) or response.last_mutation_id != batch[-1].id:
        return False
    return all(
        r.id == item.id and r.uuid == item.uuid and r.status != "retry" and r.code != "mutation_id_reused"
        for item, r in zip(batch, response.results, strict=True)
    )


class _InFlight(threading.Thread):
    """One request on a worker thread with a token taken beforehand; ``result()`` joins it.

    ``get()`` then gives its answer, or, after an expired token, the same request sent again through
    the session (which refreshes), on the calling thread. ``call`` takes the token as ``token=``.
    """

    def __init__(self, round_: Round, call: Callable[..., Any], token: str) -> None:
        super().__init__(name="lumbung-sync", daemon=True)
        self.round, self.call, self.token = round_, call, token
        self.response: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.response = self.call(token=self.token)
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that joins, which re-raises it
            self.error = exc

    def result(self) -> _InFlight:
        self.join()
        return self

    def get(self) -> Any:
        if isinstance(self.error, LoginRequired):  # revoked meanwhile: as Session.call does, forget the tokens
            self.round.store.clear_tokens(self.round.client_id)
        elif isinstance(self.error, AuthExpired):
            return self.round.session.call(self.call)
        if self.error is not None:
            raise self.error
        return self.response

    def push_answer(self) -> PushResponse | _Gap:
        """``get()`` for a push: a ``mutation_gap`` comes back as a value for the caller to recover."""
        try:
            answer: PushResponse = self.get()
        except GapError as exc:
            return _Gap(exc)
        return answer


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
    page_limit: int = 5000
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
                self.session.call(
                    partial(
                        self.transport.put_attachment,
                        sha256=attachment.sha256,
                        content=content,
                        content_type=attachment.content_type,
                    )
                )
            except AttachmentRejected as exc:
                raise AttachmentRejected(
                    exc.code, f"Lampiran transaksi tidak diterima server: {exc.message}", exc.detail, exc.status
                ) from exc
            self.store.mark_uploaded(attachment.sha256)
            self.summary.uploaded += 1

    def push(self) -> None:
        """Push the outbox in batches, pipelined: once a batch came back fully answered, the next one is
        sent at once; while it is on the wire the answer just received is recorded and the batch after
        it is read and encoded.

        Order and exactly-once are kept: a batch leaves only after the previous one's answer arrived
        (one at a time, as before), and only when that answer holds no ``retry``, no id collision and
        leaves the server's counter at the batch's last id; otherwise the answer is recorded and handled
        first, as without pipelining. An answer is always recorded before a later failure is handled.
        """
        recoveries = 0
        batch = self._pending()
        if not batch:
            return
        response = self._send(batch, self._request(batch))
        ahead: tuple[list[QueuedItem], PushRequest] | None = None
        while True:
            if isinstance(response, _Gap):
                if recoveries >= MAX_RECOVERIES:
                    raise response.error
                recoveries += 1
                expected = getattr(response.error, "expected", 0) or 1
                self.store.resequence(self.client_id, expected)
                self.summary.recovered_from = expected
                batch, ahead = self._pending(), None
                if not batch:
                    return
                response = self._send(batch, self._request(batch))
                continue
            following: list[QueuedItem] | None = None
            request: PushRequest | None = None
            if _fully_answered(batch, response):
                if ahead is not None and ahead[0][0].id == batch[-1].id + 1:  # read while `batch` was on the wire
                    following, request = ahead
                else:
                    following = self._pending(after=batch[-1].id)
                    request = self._request(following) if following else None
            ahead = None
            in_flight = self._send_in_background(request) if following and request is not None else None
            try:
                outcome = self._record(batch, response)
                if in_flight is not None and following:
                    ahead = self._read_ahead(following[-1].id)
            finally:
                answer = in_flight.result() if in_flight is not None else None
            if outcome.collision_at is not None:
                if recoveries >= MAX_RECOVERIES:
                    raise SyncError("mutation_id_reused", "Nomor transaksi bertabrakan dengan data server.")
                recoveries += 1
                start = max(response.last_mutation_id + 1, 1)
                self.store.resequence(self.client_id, start)
                self.summary.recovered_from = start
                answer, ahead = None, None
            elif outcome.retry is not None:
                self.summary.retry += 1
                code = outcome.retry_code or "retry"
                message = outcome.retry_message or "Server meminta transaksi dikirim ulang nanti."
                self.summary.errors.append(ErrorInfo(code, f"Transaksi #{outcome.retry.id}: {message}", True))
                return
            elif outcome.answered == 0:
                return  # nothing answered and nothing to wait for: do not spin
            if answer is not None and following:
                batch, response = following, answer.push_answer()
                continue
            batch, ahead = self._pending(), None
            if not batch:
                return
            response = self._send(batch, self._request(batch))

    def _pending(self, after: int | None = None) -> list[QueuedItem]:
        return self.store.items(self.client_id, states=["pending"], limit=self.batch_size, after=after)

    def _request(self, batch: list[QueuedItem]) -> PushRequest:
        self.upload(batch)
        return PushRequest(client_id=self.client_id, mutations=[to_mutation(i) for i in batch])

    def _read_ahead(self, after: int) -> tuple[list[QueuedItem], PushRequest] | None:
        """The batch after ``after``, encoded, if it needs no upload (the wire is busy with a push)."""
        upcoming = self._pending(after=after)
        if not upcoming or self.store.attachments_to_upload([i.uuid for i in upcoming]):
            return None
        return upcoming, PushRequest(client_id=self.client_id, mutations=[to_mutation(i) for i in upcoming])

    def _send(self, batch: list[QueuedItem], request: PushRequest) -> PushResponse | _Gap:
        """Push one batch and wait; a ``mutation_gap`` comes back as a value for the caller to recover."""
        self._note("push", len(batch))
        try:
            return self.session.call(partial(self.transport.push, request=request))
        except GapError as exc:
            return _Gap(exc)

    def _send_in_background(self, request: PushRequest) -> _InFlight:
        """Start pushing ``request`` on a worker thread (the device database is not touched there)."""
        self._note("push", len(request.mutations))
        flight = _InFlight(self, partial(self.transport.push, request=request), self.session.token())
        flight.start()
        return flight

    def _record(self, batch: list[QueuedItem], response: PushResponse) -> ResultsOutcome:
        outcome = self.store.record_results(self.client_id, batch, response)
        self.summary.pushed += len(outcome.applied) + len(outcome.rejected)
        self.summary.applied += len(outcome.applied)
        self.summary.rejected.extend(outcome.rejected)
        return outcome

    # --- pull ---------------------------------------------------------------------------------

    def pull(self) -> bool:
        """Pull until caught up; True if the server turned out to have lost acknowledged mutations.

        Pipelined like the push: while a page is being applied, the next one (after that page's cursor,
        which is what the profile's cursor becomes once the page is applied) is already fetched on a
        worker thread. Pages are still applied one by one, in order, each with its cursor.
        """
        resets = 0
        page = self._fetch(self._cursor())
        while True:
            if page.reset is not None:
                resets += 1
                if resets > MAX_RESETS:
                    raise SyncError("reset_loop", "Server terus meminta muat ulang data; coba lagi nanti.")
                self.store.reset_replica(self.client_id)
                self.summary.resets.append(page.reset.reason)
                page = self._fetch(self._cursor())
                continue
            more = page.has_more and bool(page.changes)
            ahead = self._fetch_in_background(page.cursor) if more else None
            try:
                outcome = self.store.apply_page(self.client_id, page)
            finally:
                following = ahead.result() if ahead is not None else None
            self.summary.pulled += outcome.changes
            self.summary.rejected.extend(
                i for i in outcome.rejected_by_feed if i.uuid not in {r.uuid for r in self.summary.rejected}
            )
            self.summary.position = page.position
            self._note("pull", self.summary.pulled)
            if following is None:
                break
            page = following.get()
        self.store.prune(self.client_id)
        acknowledged = self.store.highest_answered_id(self.client_id)
        server_last = page.last_mutation_id
        if acknowledged > server_last:
            self.store.resequence(self.client_id, server_last + 1)
            self.summary.recovered_from = server_last + 1
            return True
        return False

    def _cursor(self) -> str:
        profile = self.store.profile(self.client_id)
        assert profile is not None
        return profile.cursor

    def _fetch(self, cursor: str) -> PullResponse:
        """One page; a server whose page maximum is below ``page_limit`` says so once, and we use its maximum."""
        try:
            return self.session.call(
                partial(self.transport.pull, client_id=self.client_id, cursor=cursor, limit=self.page_limit)
            )
        except SyncError as exc:
            if exc.code != "invalid_limit":
                raise
            largest = (exc.detail or {}).get("max")
            if isinstance(largest, int) and 0 < largest < self.page_limit:
                self.page_limit = largest
            elif self.page_limit > FALLBACK_PAGE_LIMIT:
                self.page_limit = FALLBACK_PAGE_LIMIT
            else:
                raise
        return self.session.call(
            partial(self.transport.pull, client_id=self.client_id, cursor=cursor, limit=self.page_limit)
        )

    def _fetch_in_background(self, cursor: str) -> _InFlight:
        """Start fetching the page after ``cursor`` on a worker thread (the device database is not touched)."""
        call = partial(self.transport.pull, client_id=self.client_id, cursor=cursor, limit=self.page_limit)
        flight = _InFlight(self, call, self.session.token())
        flight.start()
        return flight
