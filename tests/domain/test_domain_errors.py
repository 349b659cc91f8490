"""The error tree of server/errors.py: every deliberate error carries a stable code and a human message."""

from __future__ import annotations

import pytest

from server import errors
from server.errors import (
    AccessDenied,
    AuthError,
    DomainError,
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

DOMAIN_ERRORS = [InvalidInput, NotFound, Forbidden, InvalidState]
OTHER_ERRORS = [
    AuthError,
    AccessDenied,
    RequestError,
    InvalidRequest,
    ProtocolError,
    VersionUnsupported,
    TooLarge,
    UnsupportedType,
    TooManyAttempts,
    Retryable,
]


@pytest.mark.parametrize("cls", DOMAIN_ERRORS)
def test_business_rule_errors_are_domain_errors_and_lumbung_errors(cls):
    assert issubclass(cls, DomainError)
    assert issubclass(cls, LumbungError)
    assert issubclass(cls, Exception)


@pytest.mark.parametrize("cls", OTHER_ERRORS)
def test_transport_and_auth_errors_are_lumbung_errors_but_not_domain_errors(cls):
    assert issubclass(cls, LumbungError)
    assert not issubclass(cls, DomainError)


def test_domain_error_is_a_direct_child_of_lumbung_error():
    assert DomainError.__bases__ == (LumbungError,)


def test_every_leaf_error_has_exactly_the_parent_drawn_in_the_tree():
    for cls in DOMAIN_ERRORS:
        assert cls.__bases__ == (DomainError,), cls
    for cls in OTHER_ERRORS:
        assert cls.__bases__ == (LumbungError,), cls


def test_error_carries_code_message_and_detail_and_prints_its_message():
    err = InvalidState("insufficient_balance", "Saldo tidak mencukupi.", {"available": 5_000})

    assert err.code == "insufficient_balance"
    assert err.message == "Saldo tidak mencukupi."
    assert err.detail == {"available": 5_000}
    assert str(err) == "Saldo tidak mencukupi."
    assert err.args == ("Saldo tidak mencukupi.",)


def test_error_detail_defaults_to_none():
    err = NotFound("member_not_found", "Anggota tidak ditemukan.")

    assert err.detail is None


def test_instance_code_overrides_the_class_default_without_changing_it():
    err = Forbidden("own_transaction", "Tidak boleh.")

    assert err.code == "own_transaction"
    assert LumbungError.code == "error"
    assert Forbidden.code == "error"


def test_a_domain_error_can_be_caught_as_its_base_classes():
    with pytest.raises(DomainError) as caught:
        raise InvalidInput("amount_not_positive", "Jumlah harus lebih dari nol.")
    assert caught.value.code == "amount_not_positive"

    with pytest.raises(LumbungError):
        raise Retryable("busy", "Coba lagi nanti.")


def test_module_exports_exactly_the_documented_error_classes():
    expected = {"LumbungError", "DomainError", *(c.__name__ for c in DOMAIN_ERRORS + OTHER_ERRORS)}

    assert set(errors.__all__) == expected
    for name in errors.__all__:
        assert issubclass(getattr(errors, name), LumbungError)
