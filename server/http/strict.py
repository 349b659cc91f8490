"""Strict decoding of request bodies.

Litestar converts request data leniently (``"10000"`` would become 10000). Money and ids must arrive
as the protocol types or not at all, so protocol bodies are decoded again, strictly, from the raw
bytes Litestar already read.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec
from litestar import Request

from server.errors import InvalidRequest, RequestError

__all__ = ["strict_body"]

T = TypeVar("T")


async def strict_body(request: Request, kind: type[T]) -> T:
    body = await request.body()
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise InvalidRequest("invalid_request", "Data yang dikirim tidak sesuai format.", {"error": str(exc)}) from None
    except msgspec.DecodeError as exc:
        raise RequestError("malformed_json", "Isi permintaan bukan JSON yang sah.", {"error": str(exc)}) from None
