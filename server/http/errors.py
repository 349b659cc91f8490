"""The one place where exceptions become HTTP answers: a stable ``code`` and a ``message``."""

from __future__ import annotations

import csv
import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.types import ExceptionHandlersMap

from server.errors import (
    AccessDenied,
    AuthError,
    Forbidden,
    InvalidInput,
    InvalidRequest,
    InvalidState,
    LumbungError,
    NotFound,
    ProtocolError,
    RequestError,
    Retryable,
    TooLarge,
    TooManyAttempts,
    UnsupportedType,
    VersionUnsupported,
)
from server.protocol import ErrorBody

__all__ = ["STATUS_BY_ERROR", "exception_handlers"]

log = logging.getLogger(__name__)

STATUS_BY_ERROR: list[tuple[type[LumbungError], int]] = [
    (InvalidInput, 422),
    (NotFound, 404),
    (Forbidden, 403),
    (InvalidState, 409),
    (AuthError, 401),
    (AccessDenied, 403),
    (RequestError, 400),
    (InvalidRequest, 422),
    (ProtocolError, 409),
    (VersionUnsupported, 426),
    (TooLarge, 413),
    (UnsupportedType, 415),
    (TooManyAttempts, 429),
    (Retryable, 503),
]


def _body(
    status: int, code: str, message: str, detail: dict | None = None, retry_after: int | None = None
) -> Response[ErrorBody]:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return Response(ErrorBody(code=code, message=message, detail=detail), status_code=status, headers=headers)


def _lumbung(_: Request, exc: LumbungError) -> Response[ErrorBody]:
    status = next((s for cls, s in STATUS_BY_ERROR if isinstance(exc, cls)), 400)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is None and status in (429, 503):
        retry_after = 1  # every "try again later" says when
    return _body(status, exc.code, exc.message, exc.detail, retry_after)


def _validation(_: Request, exc: ValidationException) -> Response[ErrorBody]:
    text = str(exc.detail or "")
    detail = {"errors": exc.extra} if exc.extra else {"error": text}
    return _body(422, "invalid_request", "Data yang dikirim tidak sesuai format.", detail)


def _http(_: Request, exc: HTTPException) -> Response[ErrorBody]:
    if isinstance(exc, NotFoundException):
        return _body(404, "not_found", "Alamat tidak ditemukan.")
    if exc.status_code == 400:  # the body could not be decoded at all
        return _body(400, "malformed_json", "Isi permintaan bukan JSON yang sah.", {"error": str(exc.detail)})
    code = {401: "unauthorized", 403: "forbidden", 405: "method_not_allowed", 413: "request_too_large"}.get(
        exc.status_code, "http_error"
    )
    return _body(exc.status_code, code, str(exc.detail))


def _overflow(_: Request, exc: OverflowError) -> Response[ErrorBody]:
    return _body(422, "number_out_of_range", "Angka terlalu besar.")


def _too_deep(_: Request, exc: RecursionError) -> Response[ErrorBody]:
    """JSON nested about a thousand levels deep exhausts the decoder's recursion: refuse the body."""
    return _body(400, "body_too_deep", "Isi permintaan bersarang terlalu dalam.")


def _csv(_: Request, exc: csv.Error) -> Response[ErrorBody]:
    """A CSV upload the csv module cannot read (a field over its size limit, a stray NUL …)."""
    return _body(422, "csv_malformed", "Berkas CSV tidak dapat dibaca.", {"error": str(exc)[:200]})


def _unexpected(_: Request, exc: Exception) -> Response[ErrorBody]:
    log.exception("unexpected error", exc_info=exc)
    return _body(500, "internal_error", "Terjadi kesalahan di server; tidak ada perubahan yang tersimpan.")


exception_handlers: ExceptionHandlersMap = {
    LumbungError: _lumbung,
    ValidationException: _validation,
    HTTPException: _http,
    OverflowError: _overflow,
    RecursionError: _too_deep,
    csv.Error: _csv,
    Exception: _unexpected,
}
