"""Shared outbox vectors (tests/vectors/protocol_outbox.json), run on client_sync's real SQLite outbox.

Each scenario is a list of steps (enqueue, a push answer, a 409 mutation_gap, a pulled page, the
"server lost what it answered" check) with the outbox's state after each. This test drives
``client_sync.Store`` through its public methods on a real file, exactly as ``client_sync.sync.Round``
does, and compares every state; the PWA's pure rules (pwa/js/domain/outbox_rules.js) run the same
file in tests/js/outbox_rules.test.js. So both clients renumber, settle and drop items the same way.

The file is generated from ``SCENARIOS`` by ``python tests/client_sync/test_vectors_outbox.py --write``.
Error-reaction cases (HTTP status + code -> retryable or not) are checked against client_sync's
``error_from_response`` with real ``httpx.Response`` objects, and the backoff ceilings against
``client_sync.loop.backoff_ceiling``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from client_sync import Store
from client_sync.loop import backoff_ceiling
from client_sync.transport import error_from_response
from server.protocol import PullResponse, PushResponse, decode_mutation_op

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "protocol_outbox.json"
CLIENT = "vector-client-1"


def U(n: int) -> str:  # noqa: N802 - short, like the vectors' own notation for uuids
    return f"00000000-0000-4000-8000-{n:012d}"


def enq(n: int) -> dict[str, Any]:
    return {
        "step": "enqueue",
        "uuid": U(n),
        "user_id": 7,
        "op": {"name": "deposit.cancel", "deposit_id": f"10000000-0000-4000-8000-{n:012d}"},
    }


def res(
    id_: int, n: int, status: str, visible_at: int | None = None, code: str | None = None, message: str | None = None
) -> dict[str, Any]:
    r: dict[str, Any] = {"id": id_, "uuid": U(n), "status": status}
    if code:
        r["code"], r["message"] = code, message or f"Pesan {code}."
    if visible_at is not None:
        r["visible_at"] = visible_at
    return r


def push(sent: list[int], results: list[dict[str, Any]], last: int) -> dict[str, Any]:
    return {"step": "push_answer", "sent": sent, "response": {"results": results, "last_mutation_id": last}}


def row(seq: int, n: int, status: str, code: str | None = None, message: str | None = None, number: int = 1) -> dict:
    return {
        "seq": seq,
        "entity": "mutation",
        "id": U(n),
        "op": "put",
        "data": {
            "client_id": CLIENT,
            "id": number,
            "uuid": U(n),
            "name": "deposit.cancel",
            "status": status,
            "code": code,
            "message": message,
        },
    }


def page(position: int, changes: list[dict[str, Any]] | None = None, last: int = 0) -> dict[str, Any]:
    return {
        "step": "pull_page",
        "page": {
            "cursor": f"e-0-0-{position}",
            "position": position,
            "has_more": False,
            "last_mutation_id": last,
            "changes": changes or [],
        },
    }


def other(seq: int) -> dict[str, Any]:
    return {"seq": seq, "entity": "deposit", "id": "d1", "op": "put", "data": {"id": "d1", "status": "unverified"}}


SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "enqueue_numbers_from_one",
        "description": "Items are numbered 1, 2, 3 in the order the user acted.",
        "steps": [enq(1), enq(2), enq(3)],
    },
    {
        "name": "applied_items_stay_until_pulled_past_visible_at",
        "description": "An applied item is drawn until a pull reaches its visible_at, never dropped earlier.",
        "steps": [
            enq(1),
            enq(2),
            enq(3),
            push([1, 2, 3], [res(1, 1, "applied", 10), res(2, 2, "applied", 11), res(3, 3, "applied", 12)], 3),
            page(11, [other(9), other(10), other(11)], 3),
            page(12, [other(12)], 3),
        ],
    },
    {
        "name": "rejection_does_not_block_the_queue",
        "description": "A rejected item keeps its code and message; the items behind it are applied.",
        "steps": [
            enq(1),
            enq(2),
            enq(3),
            push(
                [1, 2, 3],
                [
                    res(1, 1, "applied", 5),
                    res(2, 2, "rejected", 6, "insufficient_balance", "Saldo tersedia tidak mencukupi."),
                    res(3, 3, "applied", 8),
                ],
                3,
            ),
            page(8, [], 3),
        ],
    },
    {
        "name": "retry_stops_the_batch_there",
        "description": "attachment_missing is retry: nothing after it was processed; it and the rest stay pending.",
        "steps": [
            enq(1),
            enq(2),
            enq(3),
            push(
                [1, 2, 3],
                [res(1, 1, "applied", 4), res(2, 2, "retry", None, "attachment_missing", "Lampiran belum diunggah.")],
                1,
            ),
        ],
    },
    {
        "name": "gap_renumbers_from_expected_keeping_uuids",
        "description": "The server was restored to before mutation 2: 409 mutation_gap expected 2; 2 and 3 are "
        "sent again under the same uuids, 4 and 5 follow.",
        "steps": [
            enq(1),
            enq(2),
            enq(3),
            push([1, 2, 3], [res(1, 1, "applied", 4), res(2, 2, "applied", 5), res(3, 3, "applied", 6)], 3),
            page(6, [], 3),
            enq(4),
            enq(5),
            {"step": "push_gap", "expected": 2},
        ],
    },
    {
        "name": "collision_renumbers_past_the_servers_counter",
        "description": "This device's counter went backwards (restored from a backup): mutation_id_reused is not a "
        "verdict; the items move to last_mutation_id + 1 and keep their uuids.",
        "steps": [
            enq(1),
            enq(2),
            push([1, 2], [res(1, 1, "rejected", None, "mutation_id_reused", "Nomor transaksi sudah dipakai.")], 4),
        ],
    },
    {
        "name": "collision_after_history",
        "description": "Settled history keeps its numbers; only the pending items move past the server's counter.",
        "steps": [
            enq(1),
            enq(2),
            push([1, 2], [res(1, 1, "applied", 3), res(2, 2, "applied", 4)], 2),
            page(4, [], 2),
            enq(3),
            enq(4),
            push([3, 4], [res(3, 3, "rejected", None, "mutation_id_reused", "Dipakai.")], 6),
        ],
    },
    {
        "name": "verdict_from_the_feed_when_the_push_answer_was_lost",
        "description": "The push answer never arrived; the feed's mutation row records the result and settles it.",
        "steps": [enq(1), enq(2), page(25, [row(20, 1, "applied")], 1)],
    },
    {
        "name": "rejection_from_the_feed",
        "description": "A rejection learnt from the feed keeps its code and message.",
        "steps": [enq(1), page(30, [row(30, 1, "rejected", "not_unverified", "Transaksi sudah diverifikasi.")], 1)],
    },
    {
        "name": "feed_moves_visible_at",
        "description": "After a restore the feed's position is the truth: visible_at moves, and the item settles "
        "only once the pull passes the new position.",
        "steps": [
            enq(1),
            push([1], [res(1, 1, "applied", 10)], 1),
            page(30, [row(50, 1, "applied")], 1),
            page(60, [], 1),
        ],
    },
    {
        "name": "mismatched_results_are_ignored",
        "description": "A result whose uuid does not match the item sent under that id changes nothing.",
        "steps": [enq(1), enq(2), push([1, 2], [res(1, 9, "applied", 3), res(2, 2, "applied", 4)], 2)],
    },
    {
        "name": "same_answer_twice_is_harmless",
        "description": "Recording an answer again does not change a final verdict.",
        "steps": [
            enq(1),
            push([1], [res(1, 1, "applied", 3)], 1),
            push([1], [res(1, 1, "rejected", 3, "internal_error", "Galat.")], 1),
        ],
    },
    {
        "name": "empty_answer_stops",
        "description": "An answer with no results stops the round (no spinning).",
        "steps": [enq(1), push([1], [], 0)],
    },
    {
        "name": "server_lost_acknowledged_mutations",
        "description": "A pull says last_mutation_id 1 but 3 were answered: 2 and 3 are pending again.",
        "steps": [
            enq(1),
            enq(2),
            enq(3),
            push(
                [1, 2, 3],
                [
                    res(1, 1, "applied", 4),
                    res(2, 2, "applied", 5),
                    res(3, 3, "rejected", 6, "not_owner", "Bukan milik Anda."),
                ],
                3,
            ),
            page(6, [], 1),
            {"step": "lost_check", "last_mutation_id": 1},
        ],
    },
    {
        "name": "nothing_lost",
        "description": "The server's counter covers everything answered: nothing moves.",
        "steps": [enq(1), push([1], [res(1, 1, "applied", 2)], 1), {"step": "lost_check", "last_mutation_id": 1}],
    },
    {
        "name": "gap_to_one_after_full_restore",
        "description": "A server restored to empty answers mutation_gap with expected 1: everything is renumbered "
        "from 1 in order.",
        "steps": [
            enq(1),
            enq(2),
            push([1, 2], [res(1, 1, "applied", 2), res(2, 2, "applied", 3)], 2),
            page(3, [], 2),
            enq(3),
            {"step": "push_gap", "expected": 1},
        ],
    },
]

ERRORS: list[dict[str, Any]] = [
    {"status": 426, "code": "protocol_version_unsupported"},
    {"status": 401, "code": "invalid_credentials"},
    {"status": 401, "code": "token_expired"},
    {"status": 401, "code": "token_invalid"},
    {"status": 401, "code": "session_revoked"},
    {"status": 401, "code": "refresh_invalid"},
    {"status": 401, "code": "token_missing"},
    {"status": 409, "code": "mutation_gap"},
    {"status": 503, "code": "busy"},
    {"status": 500, "code": "internal_error"},
    {"status": 502, "code": None},
    {"status": 429, "code": None},
    {"status": 413, "code": "attachment_too_large"},
    {"status": 415, "code": "attachment_type_unsupported"},
    {"status": 422, "code": "attachment_hash_mismatch"},
    {"status": 413, "code": "request_too_large"},
    {"status": 422, "code": "invalid_request"},
    {"status": 400, "code": "batch_too_large"},
    {"status": 403, "code": "client_not_owned"},
    {"status": 403, "code": "mutation_user_mismatch"},
    {"status": 404, "code": "not_found"},
]
KINDS = {
    "ProtocolMismatch": "update",
    "InvalidCredentials": "credentials",
    "LoginRequired": "login",
    "AuthExpired": "refresh",
    "GapError": "resync",
    "ServerBusy": "retry",
    "AttachmentRejected": "attachment",
    "Rejected": "rejected",
}


def snapshot(store: Store) -> dict[str, Any]:
    items = store.items(CLIENT)
    profile = store.profile(CLIENT)
    assert profile is not None
    return {
        "items": [
            {
                "id": i.id,
                "uuid": i.uuid,
                "state": i.state,
                "code": i.code,
                "message": i.message,
                "visible_at": i.visible_at,
                "settled": i.settled,
            }
            for i in items
        ],
        "next_mutation_id": profile.next_mutation_id,
        "overlay": [i.uuid for i in store.overlay_items(CLIENT)],
        "to_send": [i.id for i in store.items(CLIENT, states=["pending"], limit=200)],
        "counts": store.count_items(CLIENT),
    }


def run_step(store: Store, step: dict[str, Any]) -> dict[str, Any]:
    """One step, the way client_sync.sync.Round does it; returns the step's outcome."""
    kind = step["step"]
    if kind == "enqueue":
        item = store.enqueue(
            CLIENT,
            uuid=step["uuid"],
            user_id=step["user_id"],
            op=decode_mutation_op(json.dumps(step["op"])),
            device_time=None,
        )
        return {"id": item.id}
    if kind == "push_answer":
        sent = [i for i in store.items(CLIENT) if i.id in step["sent"]]
        response = msgspec.convert(step["response"], PushResponse)
        outcome = store.record_results(CLIENT, sent, response)
        out: dict[str, Any] = {
            "applied": [i.uuid for i in outcome.applied],
            "rejected": [i.uuid for i in outcome.rejected],
            "retry": outcome.retry.uuid if outcome.retry else None,
            "retry_code": outcome.retry_code,
            "collision_at": outcome.collision_at,
            "answered": outcome.answered,
        }
        if outcome.collision_at is not None:
            start = max(response.last_mutation_id + 1, 1)
            out.update(action="resequence", start=start, count=store.resequence(CLIENT, start))
        elif outcome.retry is not None or outcome.answered == 0:
            out["action"] = "stop"
        else:
            out["action"] = "continue"
        return out
    if kind == "push_gap":
        start = step["expected"] or 1
        return {"start": start, "count": store.resequence(CLIENT, start)}
    if kind == "pull_page":
        pulled = msgspec.json.decode(json.dumps(step["page"]), type=PullResponse)
        outcome = store.apply_page(CLIENT, pulled)
        return {
            "settled_by_feed": [i.uuid for i in outcome.settled_by_feed],
            "rejected_by_feed": [i.uuid for i in outcome.rejected_by_feed],
        }
    if kind == "lost_check":
        last = step["last_mutation_id"]
        if store.highest_answered_id(CLIENT) > last:
            return {"start": last + 1, "count": store.resequence(CLIENT, last + 1)}
        return {"start": None, "count": 0}
    raise AssertionError(kind)


def run_scenario(scenario: dict[str, Any], directory: Path) -> list[dict[str, Any]]:
    store = Store(directory / f"{scenario['name']}.sqlite3")
    try:
        store.create_profile(CLIENT, "petugas1")
        return [{**step, "outcome": run_step(store, step), "state": snapshot(store)} for step in scenario["steps"]]
    finally:
        store.close()


def error_case(case: dict[str, Any]) -> dict[str, Any]:
    body = {"code": case["code"], "message": "Pesan."} if case["code"] else None
    response = httpx.Response(case["status"], json=body) if body else httpx.Response(case["status"], text="Bad Gateway")
    exc = error_from_response(response)
    return {**case, "python": type(exc).__name__, "kind": KINDS[type(exc).__name__], "retryable": exc.retryable}


def build(directory: Path) -> dict[str, Any]:
    return {
        "description": "Outbox rules shared by client_sync (tests/client_sync/test_vectors_outbox.py, real SQLite) and "
        "the PWA (pwa/js/domain/outbox_rules.js, tests/js/outbox_rules.test.js). Generated: "
        "python tests/client_sync/test_vectors_outbox.py --write",
        "client_id": CLIENT,
        "scenarios": [{**s, "steps": run_scenario(s, directory)} for s in SCENARIOS],
        "errors": [error_case(c) for c in ERRORS],
        "backoff": [
            {"failures": f, "base": 1.0, "cap": 60.0, "ceiling": backoff_ceiling(f, base=1.0, cap=60.0)}
            for f in (0, 1, 2, 3, 6, 7, 8, 100)
        ],
    }


def test_client_sync_reproduces_every_scenario(tmp_path: Path) -> None:
    stored = json.loads(VECTORS.read_text(encoding="utf-8"))
    built = build(tmp_path)
    assert [s["name"] for s in stored["scenarios"]] == [s["name"] for s in SCENARIOS]
    for old, new in zip(stored["scenarios"], built["scenarios"], strict=True):
        assert old == new, old["name"]
    assert stored["errors"] == built["errors"]
    assert stored["backoff"] == built["backoff"]


def test_renumbering_never_changes_a_uuid(tmp_path: Path) -> None:
    for scenario in build(tmp_path)["scenarios"]:
        enqueued = [s["uuid"] for s in scenario["steps"] if s["step"] == "enqueue"]
        final = scenario["steps"][-1]["state"]["items"]
        assert sorted(i["uuid"] for i in final) == sorted(enqueued), scenario["name"]
        ids = [i["id"] for i in final]
        assert len(set(ids)) == len(ids), scenario["name"]


@pytest.mark.parametrize(
    "name", ["collision_renumbers_past_the_servers_counter", "gap_renumbers_from_expected_keeping_uuids"]
)
def test_renumbered_items_are_contiguous_from_the_servers_next_number(name: str, tmp_path: Path) -> None:
    scenario = next(s for s in build(tmp_path)["scenarios"] if s["name"] == name)
    last = scenario["steps"][-1]
    start = last["outcome"]["start"]
    assert last["state"]["to_send"] == list(range(start, start + len(last["state"]["to_send"])))


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        with tempfile.TemporaryDirectory() as tmp:
            VECTORS.write_text(json.dumps(build(Path(tmp)), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {len(SCENARIOS)} scenarios to {VECTORS}")
    else:
        print(__doc__)
