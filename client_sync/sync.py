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
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

from server.protocol import Mutation, PullResponse, PushRequest, PushResponse

from .errors import AttachmentRejected, AuthExpired, GapError, LoginRequired, SyncError
from .models import ErrorInfo, QueuedItem, SyncSummary
from .outbox import ResultsOutcome
from .replica import PageOutcome
from .session import Session
from .store import Store
from .transport import Transport

__all__ = ["Progress", "Round", "to_mutation", "MAX_RECOVERIES", "MAX_RESETS"]

Progress = Callable[[str, int], None]
"""Called as ``progress(stage, count)``: ``("upload", n)``, ``("push", n)`` (a batch of n read and ready to go:
one ready when the chain stops is not sent, and a batch read again when a chain starts over is
reported again), ``("pull", total_changes)`` (also while the push runs)."""

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


class _Collision:
    """An answer said ``mutation_id_reused``: renumber the items from ``start`` and push again."""

    def __init__(self, start: int) -> None:
        self.start = start


class _Again:
    """A chain ended without a verdict on what follows (a partial answer, a refreshed token): start another."""


_AGAIN = _Again()

CHAIN_DEPTH = 3
"""Batches read and encoded ahead of their answers (the one on the wire included)."""


class _Prepared(NamedTuple):
    batch: list[QueuedItem]
    request: PushRequest
    token: str


class _Answered(NamedTuple):
    prepared: _Prepared
    response: PushResponse | None
    error: BaseException | None


class _Sender(threading.Thread):
    """Sends prepared batches in order, each the moment the one before came back fully answered.

    Why a thread of its own: the thread that records answers, reads the next batches and applies
    pulled pages should never hold the next batch back while the server waits for it. It touches no
    database. It stops by itself after an answer that is not fully answered (``_fully_answered``) or a
    failed request, which it hands over like any answer, so nothing is sent after a ``retry``, a
    collision, a gap or an error.
    """

    def __init__(self, push: Callable[..., PushResponse]) -> None:
        super().__init__(name="lumbung-push", daemon=True)
        self.push = push
        self.prepared: queue.SimpleQueue[_Prepared | None] = queue.SimpleQueue()
        self.answers: queue.SimpleQueue[_Answered] = queue.SimpleQueue()
        self.closed = threading.Event()

    def run(self) -> None:
        while (ready := self.prepared.get()) is not None and not self.closed.is_set():
            try:
                response = self.push(token=ready.token, request=ready.request)
            except BaseException as exc:  # noqa: BLE001 - handed to the recording thread, which handles it
                self.answers.put(_Answered(ready, None, exc))
                return
            self.answers.put(_Answered(ready, response, None))
            if not _fully_answered(ready.batch, response):
                return

    def stop(self) -> None:
        """Send nothing more; wait for a request on the wire to finish (the transport's timeouts bound it)."""
        self.closed.set()
        self.prepared.put(None)
        self.join()


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
    pull_during_push: bool = True
    """Apply feed pages while the push waits for answers (``_pull_between``)."""
    _unpulled: bool = field(default=False, init=False)

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
        """Push the outbox in batches, chained: a sender thread sends each batch the moment the one
        before came back fully answered, while this thread records answers, reads and encodes the
        batches ahead and applies the feed pages the answered batches produced (``_pull_between``).

        Order and exactly-once are kept: a batch leaves only after the previous one's answer arrived
        (one at a time, as before), and only when that answer holds no ``retry``, no id collision and
        leaves the server's counter at the batch's last id (``_Sender``); otherwise the answer is
        recorded and handled first, as without chaining. An answer is always recorded before a later
        failure is handled.
        """
        recoveries = 0
        while True:
            stop = self._push_chain()
            if isinstance(stop, _Gap):
                if recoveries >= MAX_RECOVERIES:
                    raise stop.error
                recoveries += 1
                start = getattr(stop.error, "expected", 0) or 1
            elif isinstance(stop, _Collision):
                if recoveries >= MAX_RECOVERIES:
                    raise SyncError("mutation_id_reused", "Nomor transaksi bertabrakan dengan data server.")
                recoveries += 1
                start = stop.start
            elif isinstance(stop, _Again):
                continue
            else:
                return
            self.store.resequence(self.client_id, start)
            self.summary.recovered_from = start

    def _push_chain(self) -> _Gap | _Collision | _Again | None:
        """One chain of batches from the first pending item: None when done (or stopped by a ``retry``),
        ``_AGAIN`` to start over from the outbox, a ``_Gap`` or ``_Collision`` to renumber first.

        The sender stops by itself after an answer that is not fully answered or a failed request;
        every such answer makes this return, so it never waits for an answer that cannot come."""
        sender = _Sender(self.transport.push)
        sender.start()
        queued = 0
        last_id: int | None = None
        try:
            while True:
                while queued < CHAIN_DEPTH and (ready := self._prepare(last_id)) is not None:
                    sender.prepared.put(ready)
                    queued += 1
                    last_id = ready.batch[-1].id
                if queued == 0:
                    return None
                answered = self._next_answer(sender)
                queued -= 1
                response = self._answer_of(answered)
                if isinstance(response, _Gap):
                    return response
                batch = answered.prepared.batch
                outcome = self._record(batch, response)
                if outcome.collision_at is not None:
                    return _Collision(max(response.last_mutation_id + 1, 1))
                if outcome.retry is not None:
                    return None
                if outcome.answered == 0:
                    return None  # nothing answered and nothing to wait for: do not spin
                if answered.error is not None or not _fully_answered(batch, response):
                    return _AGAIN  # the sender stopped: what is still pending goes in a new chain
        except BaseException:
            self._record_handed_over(sender)
            raise
        finally:
            sender.stop()

    def _record_handed_over(self, sender: _Sender) -> None:
        """A failure here (an upload refused, the network gone, a page that would not apply) ends the
        chain: the answers the sender already has are written down first, so the device keeps every
        verdict the server gave. Verdicts are facts, in any order (a pulled page settles items the same
        way): one written after an earlier answer failed to record costs nothing, the earlier items are
        sent again and answered from the server's record. Best effort: if recording fails too, the
        first failure is what goes up."""
        sender.stop()
        while True:
            try:
                answered = sender.answers.get_nowait()
            except queue.Empty:
                return
            if answered.response is None:
                return
            try:
                outcome = self._record(answered.prepared.batch, answered.response)
            except Exception:  # noqa: BLE001 - the failure being raised already says what went wrong
                return
            if outcome.retry is not None or not _fully_answered(answered.prepared.batch, answered.response):
                return

    def _prepare(self, after: int | None) -> _Prepared | None:
        """The next batch after ``after`` (from the first pending item if None), its attachments uploaded
        and the request built, with a token for the sender."""
        batch = self._pending(after=after)
        if not batch:
            return None
        request = self._request(batch)
        self._note("push", len(batch))
        return _Prepared(batch, request, self.session.token())

    def _next_answer(self, sender: _Sender) -> _Answered:
        """The sender's next answer; while none has come, apply a page of what earlier batches produced."""
        while True:
            try:
                return sender.answers.get_nowait()
            except queue.Empty:
                pass
            if not self._pull_between():
                return sender.answers.get()

    def _answer_of(self, answered: _Answered) -> PushResponse | _Gap:
        """The push answer, or a ``_Gap`` for a ``mutation_gap``. After a refused token (401) the batch
        is sent again here, through the session (which refreshes if its token is stale or refused
        again); other failures go up."""
        error = answered.error
        if error is None:
            assert answered.response is not None
            return answered.response
        if isinstance(error, GapError):
            return _Gap(error)
        if isinstance(error, LoginRequired):  # revoked meanwhile: as Session.call does, forget the tokens
            self.store.clear_tokens(self.client_id)
        elif isinstance(error, AuthExpired):
            try:
                response: PushResponse = self.session.call(
                    partial(self.transport.push, request=answered.prepared.request)
                )
            except GapError as exc:
                return _Gap(exc)
            return response
        raise error

    def _pending(self, after: int | None = None) -> list[QueuedItem]:
        return self.store.items(self.client_id, states=["pending"], limit=self.batch_size, after=after)

    def _request(self, batch: list[QueuedItem]) -> PushRequest:
        self.upload(batch)
        return PushRequest(client_id=self.client_id, mutations=[to_mutation(i) for i in batch])

    def _record(self, batch: list[QueuedItem], response: PushResponse) -> ResultsOutcome:
        outcome = self.store.record_results(self.client_id, batch, response)
        self.summary.pushed += len(outcome.applied) + len(outcome.rejected)
        self.summary.applied += len(outcome.applied)
        self.summary.rejected.extend(outcome.rejected)
        if outcome.retry is not None:
            self.summary.retry += 1
            code = outcome.retry_code or "retry"
            message = outcome.retry_message or "Server meminta transaksi dikirim ulang nanti."
            self.summary.errors.append(ErrorInfo(code, f"Transaksi #{outcome.retry.id}: {message}", True))
        self._unpulled = True
        return outcome

    def _pull_between(self) -> bool:
        """Apply one page of the feed while the push waits for an answer; False if there was none to apply.

        Why: the rows the answered batches produced come back while the server works on the next
        batch, not all after the push. Only once an answer was recorded since the last such page (or
        the last page said more follow), and never a reset or an error: the pull after the push meets those and handles them. A page may
        carry the verdict of a batch whose answer is still on its way (or was lost): the item is then
        settled by the feed, counted here, and its push answer finds it no longer pending.
        """
        if not (self.pull_during_push and self._unpulled):
            return False
        try:
            page = self._fetch(self._cursor())
        except SyncError:
            self.pull_during_push = False
            return False
        if page.reset is not None:
            self.pull_during_push = False
            return False
        outcome = self.store.apply_page(self.client_id, page)
        self._count_pulled(page, outcome)
        self._unpulled = page.has_more and bool(page.changes)
        return True

    def _count_pulled(self, page: PullResponse, outcome: PageOutcome) -> None:
        """A page's changes, and the items whose verdict it brought (their push answer never came, or
        is still on its way and will find them answered): counted once, like answered ones."""
        self.summary.pulled += outcome.changes
        self.summary.pushed += len(outcome.settled_by_feed)
        self.summary.applied += sum(1 for i in outcome.settled_by_feed if i.state == "applied")
        known = {r.uuid for r in self.summary.rejected}
        self.summary.rejected.extend(i for i in outcome.rejected_by_feed if i.uuid not in known)
        self.summary.position = page.position
        self._note("pull", self.summary.pulled)

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
            self._count_pulled(page, outcome)
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
