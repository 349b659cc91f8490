"""The pure rules behind login throttling and the password policy."""

from __future__ import annotations

import pytest

from server.auth.policy import check_password, common_passwords
from server.auth.throttle import ThrottlePolicy, account_key, after_failure, wait_seconds
from server.errors import InvalidInput

POLICY = ThrottlePolicy(
    free_failures=3, delay_seconds=2, delay_max_seconds=10, lockout_failures=8, lockout_seconds=900, window_seconds=600
)


def _run(failures: int, start: float = 1000.0) -> list[float]:
    row, waits = None, []
    for i in range(failures):
        now = start + i
        row = after_failure(row, "user:x", now, POLICY)
        waits.append(row.blocked_until - now if row.blocked_until else 0.0)
    return waits


def test_free_failures_then_doubling_waits_capped_then_the_lockout() -> None:
    assert _run(8) == [0, 0, 0, 2, 4, 8, 10, 900]


def test_a_count_idle_for_the_window_starts_again() -> None:
    row = None
    for i in range(5):
        row = after_failure(row, "user:x", 1000.0 + i, POLICY)
    assert row is not None and row.failures == 5
    later = after_failure(row, "user:x", 1004.0 + 601, POLICY)
    assert later.failures == 1 and later.blocked_until == 0


def test_a_locked_key_keeps_counting_while_locked() -> None:
    row = None
    for i in range(8):
        row = after_failure(row, "user:x", 1000.0 + i, POLICY)
    assert row is not None
    assert after_failure(row, "user:x", 1000.0 + 700, POLICY).failures == 9  # past the window, still locked


def test_wait_seconds_rounds_up_and_takes_the_longest_key() -> None:
    a = after_failure(None, "user:x", 0.0, ThrottlePolicy(0, 3, 3, 99, 1, 60))
    b = after_failure(None, "addr:y", 0.0, ThrottlePolicy(0, 1, 1, 99, 1, 60))
    assert wait_seconds([a, b], 0.5) == 3
    assert wait_seconds([a, b], 3.0) == 0
    assert wait_seconds([], 0.0) == 0


def test_account_keys_ignore_case_and_surrounding_space() -> None:
    assert account_key("  Admin ") == account_key("admin") == "user:admin"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short", "password_too_short"),
        ("qwertyuiop", "password_too_common"),
        ("BISMILLAH123", "password_too_common"),
        ("my-budi.santoso-pw", "password_too_common"),
        ("x" * 201, "password_too_long"),
    ],
)
def test_the_policy_refuses_with_a_stable_code(password: str, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_password(password, min_length=10, username="budi.santoso")
    assert refused.value.code == code and refused.value.message


def test_the_shipped_lists_are_large_and_a_good_password_passes() -> None:
    assert len(common_passwords()) > 19_000 and "rahasia123" in common_passwords()
    check_password("Sawah-Hijau-2026", min_length=10, username="budi")
