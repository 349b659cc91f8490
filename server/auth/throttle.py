"""Login throttling as pure rules: how many failures a key (an account, a client address) may have,
how long it must wait after them, and when it is locked.

Waits are enforced by refusing early (429 ``too_many_attempts`` with ``Retry-After``), never by
sleeping on the server: a sleeping request would hold a connection and memory, which is what an
attacker wants. No SQL, no clock: callers pass ``now`` (Unix seconds) and store the result.
"""

from __future__ import annotations

import math

from msgspec import Struct

from server.storage.accounts import AttemptRow

__all__ = ["ThrottlePolicy", "account_key", "address_key", "after_failure", "wait_seconds"]


class ThrottlePolicy(Struct, frozen=True):
    free_failures: int
    """Failures before the first wait."""
    delay_seconds: int
    """The first wait; doubles with each further failure up to ``delay_max_seconds``."""
    delay_max_seconds: int
    lockout_failures: int
    """Failures that lock the key for ``lockout_seconds``."""
    lockout_seconds: int
    window_seconds: int
    """A count whose last failure is older than this starts again from zero."""


def account_key(username: str) -> str:
    return "user:" + username.strip().casefold()[:200]


def address_key(address: str) -> str:
    return "addr:" + address[:100]


def after_failure(previous: AttemptRow | None, key: str, now: float, policy: ThrottlePolicy) -> AttemptRow:
    """The key's state after one more failed attempt at ``now``."""
    if previous is None or (previous.last_failure_at < now - policy.window_seconds and previous.blocked_until <= now):
        failures, first = 1, now
    else:
        failures, first = previous.failures + 1, previous.first_failure_at
    if failures >= policy.lockout_failures:
        blocked_until = now + policy.lockout_seconds
    elif failures > policy.free_failures and policy.delay_seconds > 0:
        exponent = min(failures - policy.free_failures - 1, 30)
        blocked_until = now + min(policy.delay_seconds * 2**exponent, policy.delay_max_seconds)
    else:
        blocked_until = 0.0
    return AttemptRow(key, failures, first, now, blocked_until)


def wait_seconds(rows: list[AttemptRow], now: float) -> int:
    """Whole seconds until every given key may try again (0: it may now)."""
    remaining = max((row.blocked_until - now for row in rows), default=0.0)
    return math.ceil(remaining) if remaining > 0 else 0
