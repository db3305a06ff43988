"""Tax codes (mã số thuế): the check digit, branches, and the token's organisation claim.

Test vectors: ``0100233488`` and ``0314409058-002`` valid, ``0100233480``
with a wrong check digit — from koblas/stdnum-js ``src/vn/mst.spec.ts``,
whose ``src/vn/mst.ts`` states the rule. ``0100109106`` and ``0300588569``
are, from memory, the codes of Viettel and Vinamilk; that attribution could
not be confirmed with the sources at hand here, so they stand only as codes
whose weighted sums are worked out by hand in the comments below.
"""

from __future__ import annotations

import time

import jwt
import pytest

from ihanoi_core.domain import tax_code
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import ValidationError
from ihanoi_server.auth.tokens import AuthenticationError, TokenRules, issue_token, verify_token

SECRET = "unit-test-secret-key-that-is-long-enough-for-hs256"


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("0100233488", "0100233488"),  # 0·31+1·29+0+0+2·17+3·13+3·7+4·5+8·3 = 167 ≡ 2 (mod 11): 10-2 = 8
        ("0100109106", "0100109106"),  # 29+17+63+5 = 114 ≡ 4: 6
        ("0300588569", "0300588569"),  # 87+85+104+56+25+18 = 375 ≡ 1: 9
        ("0314409058-002", "0314409058-002"),
        ("0314409058002", "0314409058-002"),
        (" 0100.109.106 ", "0100109106"),
    ],
)
def test_published_tax_codes_are_valid_and_normalised(given: str, canonical: str) -> None:
    assert tax_code.normalise(given) == canonical


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("0100233480", "check digit"),
        ("0100109107", "check digit"),
        ("12345678", "10 digits"),
        ("01001091061", "10 digits"),
        ("0100109106-000", "000"),
        ("0000000000", "province"),
        ("01A0109106", "10 digits"),
        ("０１００１０９１０６", "10 digits"),  # full-width digits are not ASCII digits
    ],
)
def test_invalid_tax_codes_are_a_field_error(given: str, why: str) -> None:
    with pytest.raises(ValidationError) as refused:
        tax_code.normalise(given)
    assert set(refused.value.errors) == {"tax_code"}
    assert why in refused.value.errors["tax_code"]


def test_no_code_is_issued_whose_weighted_sum_is_a_multiple_of_eleven() -> None:
    # The first nine digits "01…" whose weighted sum is ≡ 0 (mod 11): no tenth digit makes them valid.
    nine = next(f"01{n:07d}" for n in range(1, 10_000) if tax_code.check_digit(f"01{n:07d}") is None)
    assert all(not tax_code.is_valid(nine + str(digit)) for digit in range(10))


def rules() -> TokenRules:
    return TokenRules(secret=SECRET, max_lifetime=3600, agencies={"STC"})


def test_a_business_token_carries_the_tax_code_it_acts_for() -> None:
    token = issue_token(SECRET, Principal("vneid:001", Role.BUSINESS, "0100109106"))
    principal, _, kind = verify_token(rules(), token)
    assert principal == Principal("vneid:001", Role.BUSINESS, "0100109106")
    assert kind is None  # the token does not say the business's kind
    assert principal.organisation == "0100109106"
    assert not principal.is_staff


@pytest.mark.parametrize("organisation", [None, "0100109107", "not a code"])
def test_a_business_token_without_a_valid_tax_code_is_refused(organisation: str | None) -> None:
    claims = {"sub": "vneid:001", "role": "business", "exp": int(time.time()) + 600}
    if organisation is not None:
        claims["organisation"] = organisation
    with pytest.raises(AuthenticationError, match="tax code"):
        verify_token(rules(), jwt.encode(claims, SECRET, algorithm="HS256"))


@pytest.mark.parametrize("kind", list(BusinessKind))
def test_a_business_token_may_carry_the_business_kind(kind: BusinessKind) -> None:
    token = issue_token(SECRET, Principal("vneid:001", Role.BUSINESS, "0100109106"), organisation_kind=kind)
    assert jwt.decode(token, SECRET, algorithms=["HS256"])["organisation_kind"] == kind.value
    verified = verify_token(rules(), token)
    assert (verified.principal.organisation, verified.organisation_kind) == ("0100109106", kind)


@pytest.mark.parametrize("kind", ["corporation", "", 3, ["household"]])
def test_a_business_token_with_an_unknown_kind_is_refused(kind: object) -> None:
    claims = {"sub": "vneid:001", "role": "business", "exp": int(time.time()) + 600, "organisation": "0100109106",
              "organisation_kind": kind}  # fmt: skip
    with pytest.raises(AuthenticationError, match="organisation kind"):
        verify_token(rules(), jwt.encode(claims, SECRET, algorithm="HS256"))


def test_another_role_s_kind_claim_is_not_read() -> None:
    claims = {"sub": "vneid:001", "role": "citizen", "exp": int(time.time()) + 600, "organisation_kind": "x"}
    assert verify_token(rules(), jwt.encode(claims, SECRET, algorithm="HS256")).organisation_kind is None
