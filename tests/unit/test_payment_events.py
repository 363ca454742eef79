"""The payment contracts between orders and payments: what a message from the broker must be before it is used."""

import pytest

from order_service.events import PaymentRequest
from payment_service.events import PaymentEvent
from shop_common.vocabulary.events import new_event, payload_problems

PAYMENT = {
    "order_id": "o1",
    "status": "captured",
    "amount": "25.00",
    "currency": "EUR",
    "reference": "pi_1",
    "decline_code": None,
    "refunded": "5.00",
    "updated_at": "2026-12-06T10:00:00+00:00",
}
REQUEST = {"order_id": "o1", "amount": "25.00", "currency": "EUR", "payment_method": "pm_card_visa"}


def test_well_formed_payment_messages_pass():
    assert payload_problems(PaymentEvent(), new_event(payment=PAYMENT)) is None
    assert payload_problems(PaymentRequest(), new_event(**REQUEST)) is None


@pytest.mark.parametrize(
    "field, value",
    [
        ("amount", "1000000000000.00"),
        ("refunded", "1000000000000.00"),
        ("refunded", "-1.00"),
        ("amount", "1.001"),
        ("status", "stolen"),
        ("reference", "pi_" + "x" * 300),
        ("order_id", "o 1"),
        ("updated_at", "yesterday"),
    ],
)
def test_a_payment_event_that_would_not_fit_the_orders_copy_is_refused(field, value):
    assert field in payload_problems(PaymentEvent(), new_event(payment={**PAYMENT, field: value}))["payment"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("amount", "1000000000000.00"),
        ("amount", "0"),
        ("currency", "euro"),
        ("payment_method", "4242424242424242"),
        ("payment_method", None),
    ],
)
def test_a_payment_request_that_would_not_fit_a_payment_is_refused(field, value):
    assert field in payload_problems(PaymentRequest(), new_event(**{**REQUEST, field: value}))
