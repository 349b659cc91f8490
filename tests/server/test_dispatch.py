"""One exhaustive dispatch (issue 6.3): every mutation of the protocol has exactly one handler, and a
mutation type without one is refused, never recorded ``applied`` with no effect."""

from __future__ import annotations

import datetime as dt
import inspect
import sqlite3
import uuid
from pathlib import Path
from typing import get_args, get_type_hints

import pytest

from server.domain.models import Actor, Limits
from server.errors import DomainError
from server.protocol import MUTATION_NAMES, LoanRepay, Mutation, MutationOp, _Op
from server.storage.database import Database
from server.sync import handlers
from server.sync.context import Context
from server.sync.push import process_push
from tests.support.servers import copy_template


class BogusOp(_Op, tag="bogus.op"):
    """A mutation the protocol does not have (as if added to a client before the server)."""

    note: str = ""


def test_the_table_covers_every_member_of_the_mutation_union_exactly_once() -> None:
    union = get_args(MutationOp)
    assert set(handlers.HANDLERS) == set(union)
    assert len(handlers.HANDLERS) == len(union) == len(MUTATION_NAMES)


def test_each_handler_takes_the_op_type_it_is_registered_for() -> None:
    for op_type, handler in handlers.HANDLERS.items():
        op_param = list(inspect.signature(handler).parameters)[1]
        assert get_type_hints(handler)[op_param] is op_type, (op_type.__name__, handler.__name__)


def test_a_protocol_op_without_a_handler_stops_the_server_from_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    partial = {t: h for t, h in handlers.HANDLERS.items() if t is not LoanRepay}
    monkeypatch.setattr(handlers, "HANDLERS", partial)
    with pytest.raises(RuntimeError, match="LoanRepay"):
        handlers._check_exhaustive()


def test_apply_refuses_a_type_it_has_no_handler_for() -> None:
    ctx = Context(Actor(3, "anggota", 3), Limits(), dt.datetime.now(dt.UTC))
    with pytest.raises(DomainError) as refused:
        handlers.apply(None, BogusOp(), ctx)  # type: ignore[arg-type]
    assert refused.value.code == "mutation_unsupported"


def test_an_unknown_op_is_recorded_rejected_and_the_queue_moves_on(demo_template: Path, tmp_path: Path) -> None:
    data = copy_template(demo_template, tmp_path / "data")
    db = Database(data / "lumbung.sqlite3")
    try:
        mutation = Mutation(id=1, uuid=str(uuid.uuid4()), user_id=3, op=BogusOp())  # type: ignore[arg-type]
        actor, now = Actor(3, "anggota", 3), dt.datetime.now(dt.UTC)
        response = db.write_sync(lambda c: process_push(c, actor, "device-bogus-1", [mutation], Limits(), now))
    finally:
        db.close()
    result = response.results[0]
    assert (result.status, result.code) == ("rejected", "mutation_unsupported") and response.last_mutation_id == 1
    with sqlite3.connect(data / "lumbung.sqlite3") as conn:
        stored = conn.execute("SELECT name, status, code FROM mutations WHERE uuid = ?", (mutation.uuid,)).fetchone()
    assert stored == ("bogus.op", "rejected", "mutation_unsupported")
