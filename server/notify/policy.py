"""What to do after one attempt to hand a notice to a push service (pure: no SQL, no HTTP).

- 2xx: sent.
- 404 / 410: the subscription is gone (the browser unsubscribed or the app was removed): delete it.
- 429: the push service asks us to slow down: retry no sooner than its ``Retry-After``.
- 5xx and network errors: temporary: retry with exponential backoff and full jitter.
- any other 4xx: our request is wrong for that service (a bad key, too large): give up now.
- past the give-up deadline: give up, and say why.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from typing import Literal

from msgspec import Struct

__all__ = ["Outcome", "decide", "backoff", "parse_retry_after"]


class Outcome(Struct, frozen=True):
    action: Literal["sent", "retry", "failed", "gone"]
    reason: str | None = None
    delay: float = 0.0
    """Seconds until the next attempt (``retry`` only)."""
    hold_origin: float = 0.0
    """Seconds during which nothing more is sent to this push service (after a 429)."""


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))] (AWS's recommended variant), so many
    failed sends do not come back at the same instant."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return (rng or random).uniform(0, ceiling)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from ``now`` named by a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now)


def decide(
    *,
    status: int | None,
    error: str | None,
    retry_after: str | None,
    attempt: int,
    now: float,
    deadline: float,
    base: float,
    cap: float,
    rng: random.Random | None = None,
) -> Outcome:
    """The outcome of attempt number ``attempt`` (1 = first); ``status`` is None for a network error."""
    if status is not None and 200 <= status < 300:
        return Outcome("sent")
    if status in (404, 410):
        return Outcome("gone", f"subscription_gone: push service answered {status}")
    if status == 429:
        wait = parse_retry_after(retry_after, now)
        delay = max(wait if wait is not None else 0.0, backoff(attempt, base, cap, rng))
        reason = f"rate_limited: 429, Retry-After {retry_after!r}"
        hold = wait or 0.0
    elif status is None or status >= 500:
        delay = backoff(attempt, base, cap, rng)
        reason = f"push_service_error: {status}" if status is not None else f"network_error: {error}"
        hold = 0.0
    else:
        return Outcome("failed", f"refused: push service answered {status}" + (f" ({error})" if error else ""))
    if now + delay > deadline:
        return Outcome("failed", f"gave_up after {attempt} attempts; last: {reason}")
    return Outcome("retry", reason, delay=delay, hold_origin=hold)
