"""Benchmark 1c, push body decoding (in process, no server): what one push of 1,000 deposits costs to
decode before and after "decode once, strictly, and refuse duplicate keys" (issues 6.6, 7.7).

* before: what the push handler did until now: Litestar's lenient path (``request.json()``, a decode
  to builtins, then ``msgspec.convert(strict=False)`` into ``PushRequest``) and then ``strict_body``
  decoding the same bytes again, strictly;
* after: ``server.http.strict.decode_strict``, called once by the ``StrictJSON`` DTO: one strict typed
  decode plus the duplicate-key check;
* reference: the strict typed decode alone (the floor: what decoding costs without any check).

The figure is the duplicate-key check's cost as a share of the typed decode (goal: below 1, i.e. the
check does not double the decode), next to the old path.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import msgspec

from bench.common import Report


def _body(n: int) -> bytes:
    from server.protocol import DepositCreate, Mutation, PushRequest, encode

    now = dt.datetime.now(dt.UTC)
    mutations = [
        Mutation(
            id=i + 1,
            uuid=str(uuid.uuid4()),
            user_id=101,
            device_time=now,
            op=DepositCreate(
                deposit_id=str(uuid.uuid4()),
                member_id=1 + i % 12,
                savings_type="sukarela",
                kind="offline",
                amount=10_000 + i,
                location_id=1,
                note=f"setoran {i}",
            ),
        )
        for i in range(n)
    ]
    return encode(PushRequest(client_id="bench-device-0001", mutations=mutations))


def _best(fn: Callable[[], Any], repeat: int = 7, number: int = 20) -> float:
    """Best-of-``repeat`` mean seconds per call (the least disturbed by other work on the machine)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def main(n: int = 1000) -> dict[str, Any]:
    from server.http.strict import decode_strict, has_duplicate_keys
    from server.protocol import PushRequest

    report = Report("decode", f"decoding one push body of {n:,} deposit.create, in process")
    body = _body(n)
    typed = msgspec.json.Decoder(PushRequest)
    generic = msgspec.json.Decoder()

    def before() -> None:
        msgspec.convert(generic.decode(body), PushRequest, strict=False)
        typed.decode(body)

    floor = _best(lambda: typed.decode(body))
    old = _best(before)
    new = _best(lambda: decode_strict(body, PushRequest))
    check = _best(lambda: has_duplicate_keys(body))
    report.note("body bytes", len(body))
    report.figure("after: decode_strict (typed + duplicate check), us", new * 1e6, old * 1e6, "us")
    report.figure("duplicate-key check alone vs the typed decode", check * 1e6, floor * 1e6, "us", goal_ratio=None)
    report.note("check / typed decode (below 1: the check does not double the decode)", round(check / floor, 3))
    report.note("after / before (the whole decode of a push)", round(new / old, 3))
    report.note(
        "milliseconds: typed decode / before / after", [round(floor * 1e3, 3), round(old * 1e3, 3), round(new * 1e3, 3)]
    )
    return report.save()


if __name__ == "__main__":
    from bench.common import write_results

    write_results("decode", main())
