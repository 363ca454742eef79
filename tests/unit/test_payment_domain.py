from decimal import Decimal

import pytest

from payment_service import domain, statuses


@pytest.mark.parametrize(
    "amount, currency, units",
    [
        (Decimal("12.50"), "EUR", 1250),
        (Decimal("0.01"), "EUR", 1),
        (Decimal("100000000000.00"), "USD", 10**13),
        (Decimal("1500"), "JPY", 1500),
        (Decimal("1.234"), "KWD", 1234),
        (Decimal("34.6"), "eur", 3460),
    ],
)
def test_an_amount_becomes_whole_minor_units_of_its_currency_exactly(amount, currency, units):
    assert domain.minor_units(amount, currency) == units
    assert domain.from_minor_units(units, currency) == amount


@pytest.mark.parametrize("amount, currency", [(Decimal("12.505"), "EUR"), (Decimal("1.5"), "JPY")])
def test_an_amount_finer_than_the_currency_is_refused_not_rounded(amount, currency):
    with pytest.raises(domain.AmountNotExact):
        domain.minor_units(amount, currency)


def test_minor_units_are_never_reached_through_a_float():
    assert domain.minor_units(Decimal("0.29"), "EUR") == 29  # int(0.29 * 100) would be 28


@pytest.mark.parametrize(
    "provider_status, outcome",
    [
        ("requires_capture", "authorised"),
        ("succeeded", "captured"),
        ("canceled", "voided"),
        ("requires_payment_method", None),
        ("requires_confirmation", None),
    ],
)
def test_what_the_provider_holds_is_read_as_the_shops_status(provider_status, outcome):
    assert domain.authorisation_outcome(provider_status) == outcome


def test_only_what_holds_or_might_hold_money_is_voided_and_only_an_authorisation_is_captured():
    assert [status for status in statuses.STATUSES if domain.may_void(status)] == [
        "authorising",
        "authorised",
        "failed",
    ]
    assert [status for status in statuses.STATUSES if domain.may_capture(status)] == ["authorised"]


def test_a_refund_is_at_most_what_is_left_of_a_captured_payment():
    total = Decimal("34.60")
    assert domain.refundable("captured", total, Decimal("0")) == total
    assert domain.refundable("captured", total, Decimal("10.00"), Decimal("24.60")) == Decimal("24.60")
    with pytest.raises(domain.NotAllowed, match="at most 24.60"):
        domain.refundable("captured", total, Decimal("10.00"), Decimal("24.61"))
    with pytest.raises(domain.NotAllowed, match="in full"):
        domain.refundable("refunded", total, total)
    for status in ("authorised", "voided", "declined", "failed", "authorising"):
        with pytest.raises(domain.NotAllowed, match="only a captured one"):
            domain.refundable(status, total, Decimal("0"))


def test_a_payment_is_refunded_once_all_of_it_is_given_back():
    assert domain.status_after_refunds(Decimal("34.60"), Decimal("34.59")) == "captured"
    assert domain.status_after_refunds(Decimal("34.60"), Decimal("34.60")) == "refunded"
