"""The duplicate-key check of ``server/http/strict.py``: never a false alarm, never a miss."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from server.http.strict import has_duplicate_keys

keys = st.text(alphabet=st.sampled_from('ab"\\\u00e9\n'), min_size=0, max_size=3)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.text(max_size=5)
    | st.floats(allow_nan=False, allow_infinity=False)
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=12
)


def _dump(value: object, *, ascii_only: bool, duplicate_in: int | None = None, counter: list[int] | None = None) -> str:
    """JSON text; with ``duplicate_in=n`` the n-th non-empty object (depth first) repeats its first key."""
    counter = counter if counter is not None else [0]
    if isinstance(value, dict):
        pairs = [
            (k, _dump(v, ascii_only=ascii_only, duplicate_in=duplicate_in, counter=counter)) for k, v in value.items()
        ]
        if pairs:
            if counter[0] == duplicate_in:
                pairs.append((pairs[0][0], "0"))
            counter[0] += 1
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=ascii_only)}: {v}" for k, v in pairs) + "}"
    if isinstance(value, list):
        return (
            "["
            + ",".join(_dump(v, ascii_only=ascii_only, duplicate_in=duplicate_in, counter=counter) for v in value)
            + "]"
        )
    return json.dumps(value, ensure_ascii=ascii_only)


def _objects(value: object) -> int:
    if isinstance(value, dict):
        return (1 if value else 0) + sum(_objects(v) for v in value.values())
    if isinstance(value, list):
        return sum(_objects(v) for v in value)
    return 0


@given(values, st.booleans())
def test_json_without_repeated_keys_is_never_flagged(value: object, ascii_only: bool) -> None:
    assert has_duplicate_keys(_dump(value, ascii_only=ascii_only).encode()) is None


@given(values, st.booleans(), st.data())
def test_a_key_repeated_in_any_object_is_always_found(value: object, ascii_only: bool, data: st.DataObject) -> None:
    count = _objects(value)
    if count == 0:
        value, count = {"k": value}, 1 + _objects(value)
    which = data.draw(st.integers(0, count - 1))
    assert has_duplicate_keys(_dump(value, ascii_only=ascii_only, duplicate_in=which).encode()) is not None


def test_the_same_key_spelled_with_an_escape_is_a_duplicate() -> None:
    assert has_duplicate_keys(b'{"amount": 1, "\\u0061mount": 2}') == "amount"
    assert has_duplicate_keys(b'{"a": "\\u0022", "b": 1}') is None
    assert has_duplicate_keys(b'{"a": {"x": 1}, "b": {"x": 1}}') is None
    assert has_duplicate_keys(b'[{"x": 1, "x": 1}]') == "x"
