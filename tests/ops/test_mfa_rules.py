"""The pure TOTP rules: drift of one step either way, never a step already used, recovery codes."""

from __future__ import annotations

from server.auth import mfa

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = 1_800_000_015.0  # inside step 60_000_000
STEP = int(NOW // 30)


def test_a_code_of_this_step_or_a_neighbour_is_accepted_with_its_step() -> None:
    for offset in (-1, 0, 1):
        assert mfa.accepted_step(SECRET, mfa.code_at(SECRET, STEP + offset), 0, NOW) == STEP + offset
    assert mfa.accepted_step(SECRET, mfa.code_at(SECRET, STEP + 2), 0, NOW) is None
    assert mfa.accepted_step(SECRET, mfa.code_at(SECRET, STEP - 2), 0, NOW) is None


def test_a_step_already_used_or_older_is_refused() -> None:
    code = mfa.code_at(SECRET, STEP)
    assert mfa.accepted_step(SECRET, code, STEP, NOW) is None
    assert mfa.accepted_step(SECRET, mfa.code_at(SECRET, STEP - 1), STEP - 1, NOW) is None
    assert mfa.accepted_step(SECRET, mfa.code_at(SECRET, STEP + 1), STEP, NOW) == STEP + 1


def test_malformed_codes_are_never_accepted() -> None:
    for code in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        assert mfa.accepted_step(SECRET, code, 0, NOW) is None
    spaced = mfa.code_at(SECRET, STEP)
    assert mfa.accepted_step(SECRET, f"{spaced[:3]} {spaced[3:]}", 0, NOW) == STEP


def test_recovery_codes_are_random_and_hash_the_same_however_typed() -> None:
    codes = mfa.new_recovery_codes()
    assert len(set(codes)) == 10 and all(len(c) == 12 and c.count("-") == 2 for c in codes)
    assert mfa.hash_recovery_code(codes[0]) == mfa.hash_recovery_code(codes[0].lower().replace("-", " "))
    assert mfa.hash_recovery_code(codes[0]) != mfa.hash_recovery_code(codes[1])


def test_the_enrolment_uri_and_qr() -> None:
    uri = mfa.otpauth_uri(SECRET, "pengurus1", "Koperasi Sejahtera")
    assert uri.startswith("otpauth://totp/Koperasi%20Sejahtera:pengurus1?") and f"secret={SECRET}" in uri
    svg = mfa.qr_svg(uri)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
