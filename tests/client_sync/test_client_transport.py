"""Mapping the server's answers onto our exception tree, and decoding pull pages."""

from __future__ import annotations

import httpx
import msgspec
import pytest
from cs_support import closed_url

from client_sync import (
    AttachmentRejected,
    AuthExpired,
    GapError,
    InvalidCredentials,
    LoginRequired,
    ProtocolMismatch,
    Rejected,
    ServerBusy,
    SyncClient,
    TransportError,
)
from client_sync.transport import Transport, decode_pull, error_from_response
from server.protocol import Change, PullResponse


def _error(status: int, code: str, detail: dict | None = None) -> httpx.Response:
    body = {"code": code, "message": "pesan"} | ({"detail": detail} if detail else {})
    return httpx.Response(status, json=body)


@pytest.mark.parametrize(
    ("status", "code", "kind", "retryable"),
    [
        (426, "protocol_version_unsupported", ProtocolMismatch, False),
        (401, "invalid_credentials", InvalidCredentials, False),
        (401, "token_expired", AuthExpired, False),
        (401, "token_invalid", AuthExpired, False),
        (401, "refresh_invalid", LoginRequired, False),
        (401, "session_revoked", LoginRequired, False),
        (503, "busy", ServerBusy, True),
        (500, "internal", ServerBusy, True),
        (413, "attachment_too_large", AttachmentRejected, False),
        (415, "attachment_type_unsupported", AttachmentRejected, False),
        (422, "attachment_hash_mismatch", AttachmentRejected, False),
        (403, "client_not_owned", Rejected, False),
        (409, "client_owned_by_other_user", Rejected, False),
    ],
)
def test_status_and_code_pick_the_exception(status: int, code: str, kind: type, retryable: bool) -> None:
    error = error_from_response(_error(status, code))
    assert type(error) is kind and error.retryable is retryable and error.status == status


def test_gap_carries_the_expected_id() -> None:
    error = error_from_response(_error(409, "mutation_gap", {"expected": 7}))
    assert isinstance(error, GapError) and error.expected == 7


def test_update_required_is_said_in_indonesian() -> None:
    error = error_from_response(httpx.Response(426, text="upgrade"))
    assert isinstance(error, ProtocolMismatch) and "perlu diperbarui" in error.message


def test_unreadable_error_body_still_maps() -> None:
    error = error_from_response(httpx.Response(502, text="<html>bad gateway</html>"))
    assert isinstance(error, ServerBusy) and error.code == "http_502"


def test_unreachable_server_is_a_retryable_transport_error() -> None:
    transport = Transport(closed_url(), timeout=2)
    with pytest.raises(TransportError) as caught:
        transport.pull("t", "c" * 16, "", 10)
    assert caught.value.retryable


def test_pull_pages_decode_rows_and_deletions() -> None:
    body = (
        b'{"cursor":"e-0-3","position":3,"has_more":false,"last_mutation_id":2,"changes":['
        b'{"seq":2,"entity":"member","id":"1","op":"put","data":{"id":1,"name":"Budi"}},'
        b'{"seq":3,"entity":"member","id":"2","op":"delete","data":null}],"reset":null}'
    )
    pulled = decode_pull(body)
    assert isinstance(pulled, PullResponse) and pulled.position == 3 and pulled.last_mutation_id == 2
    put, deleted = pulled.changes
    assert isinstance(put, Change) and msgspec.json.decode(put.data) == {"id": 1, "name": "Budi"}
    assert deleted.op == "delete" and msgspec.json.decode(deleted.data) is None


def test_offline_sync_reports_instead_of_raising(offline_client: SyncClient) -> None:
    summary = offline_client.sync_once()
    assert not summary.ok and summary.retryable
    assert summary.errors[0].code == "network"
