"""Shared mutation vectors (tests/vectors/protocol_mutations.json), decoded with server.protocol.

The PWA validates every mutation with pwa/js/domain/mutations.js before it enters the outbox
(tests/js/mutations.test.js runs the same file). Here each case goes through the server's strict
msgspec decoding, the one a push uses: the verdict must be the same, and the field msgspec names
first must be one the device reports, so the device never queues what the server would refuse with
422 and never refuses what the server would take.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

from server.protocol import MUTATION_NAMES, Mutation, MutationOp, decode_mutation_op

DATA = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "protocol_mutations.json").read_text("utf-8"))
CASES: list[dict[str, Any]] = DATA["cases"]

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_NAMED = re.compile(r"(?:missing required field|unknown field) `(?P<field>[^`]+)`")


def field_of(error: msgspec.ValidationError) -> str:
    """The field msgspec's message names: ``$.op.amount`` -> ``op.amount``; a missing or unknown field
    is named in the text and located at its object."""
    text = str(error)
    at = _AT.search(text)
    path = at.group("path").lstrip(".") if at else ""
    path = re.sub(r"\[\d+\]", "", path)
    named = _NAMED.search(text)
    if named:
        path = f"{path}.{named.group('field')}" if path else named.group("field")
    return path


def decode(case: dict[str, Any]) -> msgspec.ValidationError | None:
    raw = json.dumps(case["value"])
    try:
        if case["kind"] == "op":
            decode_mutation_op(raw)
        else:
            msgspec.json.decode(raw, type=Mutation)
    except msgspec.ValidationError as exc:
        return exc
    return None


def test_every_mutation_name_has_a_valid_case() -> None:
    names = {c["value"]["name"] for c in CASES if c["kind"] == "op" and c["valid"]}
    assert names == set(MUTATION_NAMES)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_strict_decoder_gives_the_same_verdict(case: dict[str, Any]) -> None:
    error = decode(case)
    if case["valid"]:
        assert error is None, f"{case['name']}: server refuses it: {error}"
        return
    assert error is not None, f"{case['name']}: the server would accept it"
    reported = field_of(error)
    if case["name"] == "not_an_object":
        return  # msgspec reports the whole value ($), the device calls it "op"
    assert reported in case["fields"], (str(error), case["fields"])


# --- the device's table of structs against server.protocol ------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _js_schemas() -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "Node.js is required (tests/test_js.py needs it too)"
    script = "import { SCHEMAS } from './pwa/js/domain/mutations.js'; console.log(JSON.stringify(SCHEMAS));"
    out = subprocess.run(
        [node, "--input-type=module", "-e", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)


def _spec_of(field: mi.Field) -> dict[str, Any]:
    """The msgspec field as the JS table writes it: type, bounds, required, nullable."""
    kind = field.type
    nullable = False
    if isinstance(kind, mi.UnionType):
        (kind,) = [t for t in kind.types if not isinstance(t, mi.NoneType)]
        nullable = True
    return {"required": field.required, "nullable": nullable, **_type_spec(kind, field.name)}


def _type_spec(kind: mi.Type, name: str) -> dict[str, Any]:
    """A msgspec type as mutations.js writes it (without required/nullable); nested structs and lists recurse."""
    if isinstance(kind, mi.Metadata):
        kind = kind.type
    if isinstance(kind, mi.IntType):
        low = kind.ge if kind.ge is not None else (kind.gt + 1 if kind.gt is not None else None)
        return {"type": "int", "min": low, "max": kind.le}
    if isinstance(kind, mi.StrType) and kind.pattern in _NAMED_PATTERNS:
        return {"type": _NAMED_PATTERNS[kind.pattern]}
    if isinstance(kind, mi.StrType):
        spec: dict[str, Any] = {"type": "str", "min": kind.min_length or None, "max": kind.max_length}
        if kind.pattern:
            spec["pattern"] = kind.pattern
        return spec
    if isinstance(kind, mi.LiteralType):
        return {"type": "choice", "choices": sorted(kind.values)}
    if isinstance(kind, mi.DateType):
        return {"type": "date"}
    if isinstance(kind, mi.DateTimeType):
        return {"type": "datetime"}
    if isinstance(kind, mi.StructType):
        return {"type": "struct", "fields": {f.name: _spec_of(f) for f in kind.fields}}
    if isinstance(kind, mi.ListType):
        return {"type": "list", "max": kind.max_length, "items": _type_spec(kind.item_type, name)}
    raise AssertionError(f"{name}: {kind!r} has no counterpart in mutations.js")


UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
SHA_PATTERN = r"^[0-9a-f]{64}$"
_NAMED_PATTERNS = {UUID_PATTERN: "uuid", SHA_PATTERN: "sha256"}


def _js_spec(spec: dict[str, Any], *, top: bool = True) -> dict[str, Any]:
    """A mutations.js spec normalised like ``_spec_of`` (``top``: a field, which has required/nullable)."""
    out: dict[str, Any] = {"type": spec["type"]}
    if top:
        out.update(required=bool(spec.get("required")), nullable=bool(spec.get("nullable")))
    if spec["type"] in ("int", "str"):
        out.update(min=spec.get("min") or None, max=spec.get("max"))
        if spec["type"] == "int":
            out["min"] = spec.get("min")
        if spec.get("pattern"):
            out["pattern"] = spec["pattern"]
    if spec["type"] == "choice":
        out["choices"] = sorted(spec["choices"])
    if spec["type"] == "struct":
        out["fields"] = {name: _js_spec(sub) for name, sub in spec["fields"].items()}
    if spec["type"] == "list":
        out.update(max=spec.get("max"), items=_js_spec(spec["items"], top=False))
    return out


def test_the_devices_struct_table_is_server_protocol() -> None:
    """Every mutation, field, requiredness, null, type and bound of mutations.js = server.protocol's structs."""
    js = _js_schemas()
    python = {t.__struct_config__.tag: t for t in MutationOp.__args__}  # type: ignore[union-attr]
    assert list(js) == list(python)
    for name, struct in python.items():
        fields = {f.name: _spec_of(f) for f in mi.type_info(struct).fields}
        device = {field: _js_spec(spec) for field, spec in js[name].items()}
        assert device == fields, name
