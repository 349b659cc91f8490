"""Each mutation's wire name comes from one place, and every mutation is immutable once built."""

from __future__ import annotations

from typing import get_args

import msgspec
import pytest

from server.protocol import MUTATION_NAMES, DepositCancel, MutationOp, decode_mutation_op, encode, op_name

OP_TYPES = get_args(MutationOp)


def test_op_name_is_the_name_on_the_wire_for_the_class_and_its_instances() -> None:
    op = DepositCancel(deposit_id="0b6f3c52-8f4e-4f8e-9a51-2d5e8c1f7a10")

    assert op_name(DepositCancel) == op_name(op) == "deposit.cancel"
    assert msgspec.json.decode(encode(op))["name"] == op_name(op)
    assert decode_mutation_op(encode(op)) == op


def test_every_mutation_type_has_its_own_name() -> None:
    names = [op_name(t) for t in OP_TYPES]

    assert len(OP_TYPES) >= 16
    assert names == list(MUTATION_NAMES)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("op_type", OP_TYPES, ids=op_name)
def test_every_mutation_type_is_frozen(op_type: type[msgspec.Struct]) -> None:
    assert op_type.__struct_config__.frozen
