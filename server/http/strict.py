"""Strict decoding of request bodies: the protocol's types, ``application/json``, no duplicate keys.

Litestar converts request data leniently (``"10000"`` would become 10000). Money and ids must arrive
as the protocol types or not at all. Two further ambiguities are refused (issue 7.7): a JSON body
that does not say it is JSON (415 ``unsupported_media_type``), and an object that names a key twice
(400 ``duplicate_key``: parsers disagree on which value wins, so a proxy or a log and the server could
read two different requests from one body).

* ``StrictJSON[T]`` is a Litestar DTO for ``data: T``: Litestar hands it the raw body and it decodes
  that body once, strictly (the push endpoint: no lenient pre-conversion, no second decode).
* ``strict_body(request, T)`` does the same from a handler that already took ``data`` leniently.
* ``require_json`` is the app's ``before_request`` hook: the 415 comes before any decoding.

The duplicate-key check costs less than the decode itself (see ``has_duplicate_keys``).
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.dto import AbstractDTO, DTOFieldDefinition
from litestar.enums import RequestEncodingType
from litestar.params import BodyKwarg
from litestar.typing import FieldDefinition

from server.errors import InvalidRequest, RequestError, UnsupportedType

__all__ = ["StrictJSON", "decode_strict", "has_duplicate_keys", "is_json", "require_json", "strict_body"]

T = TypeVar("T")

_generic = msgspec.json.Decoder()
_encode = msgspec.json.Encoder().encode
_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


def is_json(content_type: str | None) -> bool:
    """``application/json``, with or without parameters (``; charset=utf-8``)."""
    return (content_type or "").split(";", 1)[0].strip().lower() == "application/json"


def _not_json() -> UnsupportedType:
    return UnsupportedType(
        "unsupported_media_type",
        "Isi permintaan harus dikirim sebagai JSON (Content-Type: application/json).",
        {"expected": "application/json"},
    )


def _reject_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return obj


class _Duplicate(Exception):
    pass


def has_duplicate_keys(body: bytes) -> str | None:
    """The first key some object of ``body`` (valid JSON) names twice, or None; ``"?"`` if not known which.

    Fast path, in C: decode to builtins (a repeated key collapses), encode again and compare the number
    of ``"`` bytes. Every string, key or value, keeps its delimiters and its escaped quotes through the
    round trip, so the counts differ exactly when a key/value pair was dropped, i.e. a key repeated.
    The one exception is a quote written as ``\\u0022`` (no ``"`` byte in, one out): a body with a
    ``\\u`` escape takes the exact path, the stdlib parser with a hook that sees every pair.
    """
    if body.find(b"\\") != -1 and b"\\u" in body:
        return _exact_duplicate(body)
    if _encode(_generic.decode(body)).count(b'"') != body.count(b'"'):
        return _exact_duplicate(body) or "?"  # the refusal names the key (a rare, slower path)
    return None


def _exact_duplicate(body: bytes) -> str | None:
    try:
        json.loads(body, object_pairs_hook=_reject_pairs)
    except _Duplicate as dup:
        return str(dup.args[0])
    except (ValueError, RecursionError):
        return None  # not ours to judge: the typed decode already accepted or refused the body
    return None


def decode_strict(body: bytes, kind: Any, content_type: str | None = "application/json") -> Any:
    """``body`` as ``kind``: JSON, declared as such, the protocol's exact types, every key once."""
    if not is_json(content_type):
        raise _not_json()
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    try:
        value = decoder.decode(body)
    except msgspec.ValidationError as exc:
        _refuse_duplicates(body)  # a repeated key explains the body better than its first value does
        raise InvalidRequest("invalid_request", "Data yang dikirim tidak sesuai format.", {"error": str(exc)}) from None
    except msgspec.DecodeError as exc:
        raise RequestError("malformed_json", "Isi permintaan bukan JSON yang sah.", {"error": str(exc)}) from None
    except RecursionError:
        raise RequestError("malformed_json", "Isi permintaan bersarang terlalu dalam.") from None
    _refuse_duplicates(body)
    return value


def _refuse_duplicates(body: bytes) -> None:
    try:
        key = has_duplicate_keys(body)
    except (msgspec.DecodeError, RecursionError):
        return
    if key is not None:
        detail = {} if key == "?" else {"key": key}
        raise RequestError("duplicate_key", "Isi permintaan memuat nama kolom yang sama dua kali.", detail)


async def strict_body(request: Request, kind: type[T]) -> T:
    """The request body decoded strictly (for handlers that still take ``data`` from Litestar)."""
    return decode_strict(await request.body(), kind, request.headers.get("content-type"))


async def require_json(request: Request) -> None:
    """``before_request`` hook: a handler that takes a JSON ``data`` body refuses any other media type."""
    field = request.route_handler.parsed_data_field
    if field is None:
        return
    kwarg = field.kwarg_definition
    media = kwarg.media_type if isinstance(kwarg, BodyKwarg) and kwarg.media_type else RequestEncodingType.JSON
    if media == RequestEncodingType.JSON and not is_json(request.headers.get("content-type")):
        raise _not_json()


class StrictJSON(AbstractDTO[T]):
    """A DTO that only decodes: ``@post(..., dto=StrictJSON[Kind], return_dto=None)``.

    Litestar passes a DTO the raw body, so the body is decoded exactly once, by ``decode_strict``; the
    OpenAPI request body is the schema of ``Kind`` itself.
    """

    @classmethod
    def generate_field_definitions(cls, model_type: type[Any]) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()  # no transfer model: the protocol struct is decoded as it is

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        return False

    @classmethod
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        return None

    @classmethod
    def create_openapi_schema(cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any) -> Any:
        return schema_creator.for_field_definition(
            FieldDefinition.from_annotation(cls.model_type, kwarg_definition=field_definition.kwarg_definition)
        )

    def decode_bytes(self, value: bytes) -> Any:
        return decode_strict(value, self.model_type, self.asgi_connection.headers.get("content-type"))

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        raise RequestError("malformed_json", "Isi permintaan bukan JSON yang sah.")
