"""The wire protocol: every message exchanged between clients and the server.

This module is the single definition of the protocol. The server and ``client_sync`` both import it;
the PWA follows ``docs/PROTOCOL.md``, which describes these structs. It depends on msgspec only, so a
client can import it without pulling in the server.

Mutations are a tagged union (the ``name`` field is the tag), decoded in one pass and dispatched with
``match`` on the struct type, the way msgspec's own examples model a protocol.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, get_args

import msgspec
from msgspec import Meta, Struct

__all__ = [
    "PROTOCOL_VERSION",
    "PROTOCOL_HEADER",
    "Amount",
    "Uuid",
    "Sha256",
    "DepositCreate",
    "DepositCancel",
    "DepositVerify",
    "DepositReject",
    "WithdrawalCreate",
    "WithdrawalCancel",
    "WithdrawalVerify",
    "WithdrawalReject",
    "LoanApply",
    "LoanCancel",
    "LoanApprove",
    "LoanReject",
    "LoanDisburse",
    "LoanRepay",
    "DeductionChangeCreate",
    "DeductionChangeCancel",
    "DeviceSyncState",
    "ReportCreate",
    "MutationOp",
    "MUTATION_NAMES",
    "op_name",
    "Mutation",
    "PushRequest",
    "MutationResult",
    "ResultStatus",
    "PushResponse",
    "Change",
    "Reset",
    "ResetReason",
    "PullResponse",
    "LoginRequest",
    "RefreshRequest",
    "UserInfo",
    "TokenResponse",
    "AttachmentInfo",
    "ErrorBody",
    "encode",
    "decode_mutation_op",
]

PROTOCOL_VERSION = 1
"""Sent by every client in the ``X-Lumbung-Protocol`` header; the server refuses other versions."""
PROTOCOL_HEADER = "X-Lumbung-Protocol"

MAX_AMOUNT = 1_000_000_000_000
"""Structural upper bound (Rp1 trillion); the cooperative's configured limits are checked by the domain."""

Amount = Annotated[int, Meta(gt=0, le=MAX_AMOUNT, description="Whole rupiah, positive")]
Uuid = Annotated[str, Meta(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
ShortText = Annotated[str, Meta(max_length=200)]
Note = Annotated[str, Meta(max_length=1000)]
Id = Annotated[int, Meta(gt=0, le=2**53)]


class _Op(Struct, tag_field="name", forbid_unknown_fields=True, frozen=True):
    """Base of every mutation: the ``name`` tag selects the struct.

    Each subclass repeats ``frozen=True``: msgspec inherits it, but type checkers do not.
    """


# --- deposits (setoran) -----------------------------------------------------------------------


class DepositCreate(_Op, tag="deposit.create", frozen=True):
    """Record a deposit: cash through an officer (``offline``) or a member's own transfer (``mandiri``)."""

    deposit_id: Uuid
    member_id: Id
    savings_type: ShortText
    kind: Literal["offline", "mandiri"]
    amount: Amount
    location_id: Id
    bank_account_id: Id | None = None
    transfer_date: dt.date | None = None
    sender_bank: ShortText | None = None
    account_holder: ShortText | None = None
    note: Note = ""
    attachment: Sha256 | None = None


class DepositCancel(_Op, tag="deposit.cancel", frozen=True):
    deposit_id: Uuid


class DepositVerify(_Op, tag="deposit.verify", frozen=True):
    deposit_id: Uuid


class DepositReject(_Op, tag="deposit.reject", frozen=True):
    deposit_id: Uuid
    reason: Annotated[str, Meta(min_length=1, max_length=500)]


# --- withdrawals (penarikan) ------------------------------------------------------------------


class WithdrawalCreate(_Op, tag="withdrawal.create", frozen=True):
    """Request a withdrawal; the amount is held until the request is verified, rejected or cancelled."""

    withdrawal_id: Uuid
    member_id: Id
    savings_type: ShortText
    amount: Amount
    method: Literal["transfer", "tunai"]
    location_id: Id
    bank_name: ShortText | None = None
    account_number: Annotated[str, Meta(max_length=40)] | None = None
    account_holder: ShortText | None = None
    note: Note = ""


class WithdrawalCancel(_Op, tag="withdrawal.cancel", frozen=True):
    withdrawal_id: Uuid


class WithdrawalVerify(_Op, tag="withdrawal.verify", frozen=True):
    withdrawal_id: Uuid


class WithdrawalReject(_Op, tag="withdrawal.reject", frozen=True):
    withdrawal_id: Uuid
    reason: Annotated[str, Meta(min_length=1, max_length=500)]


# --- loans (pinjaman) and payroll deductions -------------------------------------------------------


class LoanApply(_Op, tag="loan.apply", frozen=True):
    """Langkah 1-3 of Pengajuan Pinjaman: product and purpose; amount and tenor; disbursement request."""

    loan_id: Uuid
    member_id: Id
    product_id: Id
    purpose: Annotated[str, Meta(min_length=1, max_length=200)]
    amount: Amount
    tenor: Annotated[int, Meta(ge=1, le=600)]
    requested_disbursement_date: dt.date
    location_id: Id
    disbursement_method: Literal["transfer", "tunai"]
    bank_name: ShortText | None = None
    account_number: Annotated[str, Meta(max_length=40)] | None = None
    account_holder: ShortText | None = None


class LoanCancel(_Op, tag="loan.cancel", frozen=True):
    loan_id: Uuid


class LoanApprove(_Op, tag="loan.approve", frozen=True):
    loan_id: Uuid


class LoanReject(_Op, tag="loan.reject", frozen=True):
    loan_id: Uuid
    reason: Annotated[str, Meta(min_length=1, max_length=500)]


class LoanDisburse(_Op, tag="loan.disburse", frozen=True):
    """An officer records the payout; the schedule is fixed from ``disbursement_date``."""

    loan_id: Uuid
    disbursement_date: dt.date


class LoanRepay(_Op, tag="loan.repay", frozen=True):
    """Cash an officer received for a loan, allocated to the oldest unpaid installments."""

    repayment_id: Uuid
    loan_id: Uuid
    amount: Amount


class DeductionChangeCreate(_Op, tag="deduction_change.create", frozen=True):
    """Pengajuan Perubahan Setoran: a new voluntary payroll deduction from next month's payroll."""

    change_id: Uuid
    member_id: Id
    savings_type: ShortText
    new_amount: Annotated[int, Meta(ge=0, le=MAX_AMOUNT)]


class DeductionChangeCancel(_Op, tag="deduction_change.cancel", frozen=True):
    change_id: Uuid


# --- bug reports (Laporkan Masalah) ----------------------------------------------------------------

ErrorCode = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


class DeviceSyncState(Struct, forbid_unknown_fields=True, frozen=True):
    """What the device knows about its own sync: counts, times and error codes only (no messages,
    no rows, no tokens), so a report cannot carry another member's data or a secret."""

    pending: Annotated[int, Meta(ge=0, le=1_000_000)]
    rejected: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    last_sync_at: dt.datetime | None = None
    error_codes: Annotated[list[ErrorCode], Meta(max_length=10)] = []
    """The codes of the last errors (newest first), e.g. ``insufficient_balance``, ``busy``."""


class ReportCreate(_Op, tag="report.create", frozen=True):
    """A user's problem report from the app, queued offline like any mutation; lands in the admin list."""

    report_id: Uuid
    description: Annotated[str, Meta(min_length=1, max_length=2000)]
    app_version: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._+-]+$")]
    sync_state: DeviceSyncState


MutationOp = (
    DepositCreate
    | DepositCancel
    | DepositVerify
    | DepositReject
    | WithdrawalCreate
    | WithdrawalCancel
    | WithdrawalVerify
    | WithdrawalReject
    | LoanApply
    | LoanCancel
    | LoanApprove
    | LoanReject
    | LoanDisburse
    | LoanRepay
    | DeductionChangeCreate
    | DeductionChangeCancel
    | ReportCreate
)
MUTATION_NAMES: tuple[str, ...] = tuple(t.__struct_config__.tag for t in get_args(MutationOp))


def op_name(op: Struct | type[Struct]) -> str:
    """A mutation's wire name (its ``name`` tag, e.g. ``deposit.create``), from the op or its class."""
    cls = op if isinstance(op, type) else type(op)
    return str(cls.__struct_config__.tag)


# --- push -------------------------------------------------------------------------------------


class Mutation(Struct, forbid_unknown_fields=True, frozen=True):
    """One queued intent. ``id`` numbers the client's mutations 1, 2, 3, … without gaps."""

    id: Id
    uuid: Uuid
    user_id: Id
    op: MutationOp
    device_time: dt.datetime | None = None
    """When the user acted, by the device's clock: kept as information, never used for ordering."""


class PushRequest(Struct, forbid_unknown_fields=True):
    client_id: Annotated[str, Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    mutations: Annotated[list[Mutation], Meta(max_length=10000)]


ResultStatus = Literal["applied", "rejected", "retry"]


class MutationResult(Struct, omit_defaults=True):
    """How the server ended a mutation.

    ``applied`` and ``rejected`` are final; ``retry`` means nothing was done and the client must send it
    again later (for example after uploading a missing attachment). ``visible_at`` is the change-feed
    position at which the mutation's effects (and this result) can be pulled.
    """

    id: int
    uuid: str
    status: ResultStatus
    code: str | None = None
    message: str | None = None
    visible_at: int | None = None


class PushResponse(Struct):
    results: list[MutationResult]
    last_mutation_id: int


# --- pull -------------------------------------------------------------------------------------


class Change(Struct, array_like=False):
    """A row as it now is (``put``) or its removal (``delete``). ``data`` is the row's JSON."""

    seq: int
    entity: str
    id: str
    op: Literal["put", "delete"]
    data: msgspec.Raw
    """The row as JSON (``null`` for a delete)."""


ResetReason = Literal["cursor_expired", "epoch_changed", "scope_changed", "cursor_ahead", "cursor_invalid"]


class Reset(Struct):
    """The client must drop its replica (never its outbox) and pull again from an empty cursor."""

    reason: ResetReason
    message: str


class PullResponse(Struct):
    cursor: str
    position: int
    has_more: bool
    last_mutation_id: int
    changes: list[Change]
    reset: Reset | None = None


# --- auth -------------------------------------------------------------------------------------


class LoginRequest(Struct, forbid_unknown_fields=True, omit_defaults=True):
    username: Annotated[str, Meta(min_length=1, max_length=100)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]
    client_id: Annotated[str, Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    otp: Annotated[str, Meta(min_length=1, max_length=40)] | None = None
    """The second factor, for a user who enrolled one: a 6-digit TOTP code or a recovery code."""


class RefreshRequest(Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=200)]
    client_id: Annotated[str, Meta(min_length=8, max_length=64)]


class UserInfo(Struct):
    id: int
    username: str
    name: str
    role: Literal["anggota", "petugas", "pengurus", "admin"]
    member_id: int | None
    location_ids: list[int]


class TokenResponse(Struct):
    access_token: str
    refresh_token: str
    expires_in: int
    user: UserInfo
    mfa_enrolment_required: bool = False
    """The second factor is enforced for this role and not enrolled yet: until it is
    (``/api/auth/mfa/enrol``), every other request is answered 403 ``mfa_enrolment_required``."""


class AttachmentInfo(Struct):
    sha256: str
    size: int
    content_type: str


class ErrorBody(Struct, omit_defaults=True):
    """Every 4xx answer: a stable machine ``code`` and a human ``message`` (Bahasa Indonesia)."""

    code: str
    message: str
    detail: dict[str, Any] | None = None


_encoder = msgspec.json.Encoder()
_op_decoder = msgspec.json.Decoder(MutationOp)


def encode(obj: object) -> bytes:
    return _encoder.encode(obj)


def decode_mutation_op(raw: bytes | str) -> MutationOp:
    return _op_decoder.decode(raw)
