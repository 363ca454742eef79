"""The payments service's operations against a real PostgreSQL database and a real payment provider API (localstripe).

What the provider holds is read over its own HTTP API, never from the shop: each test counts the intents of
its order that were ever authorised.
"""

import uuid
from decimal import Decimal

import pytest

from harness.payment_provider import APPROVED, DECLINED, ever_authorised
from payment_service import payments
from payment_service.exceptions import NothingToRefund, ProviderDisagrees
from payment_service.models import Payment
from payment_service.provider import ProviderUnavailable, Stripe
from shop_common.vocabulary.clock import utc_now
from tests.conftest import WEBHOOK_SECRET

TOTAL = Decimal("34.60")


@pytest.fixture
def provider(payment_provider):
    return Stripe(payment_provider.environment["STRIPE_API_KEY"], payment_provider.url, 5, WEBHOOK_SECRET, 300)


@pytest.fixture
def order_id():
    return uuid.uuid4().hex


def intents_of(payment_provider, order_id):
    return [intent for intent in payment_provider.payment_intents() if intent["metadata"].get("order_id") == order_id]


def authorise(session, provider, order_id, payment_method=APPROVED, amount=TOTAL, deadline=5):
    change = payments.authorise(session, provider, order_id, amount, "EUR", payment_method, deadline)
    session.commit()
    return change


def test_an_authorisation_holds_the_total_in_minor_units_on_one_intent_that_names_the_order(
    payments_db, provider, payment_provider, order_id
):
    payment, happened = authorise(payments_db, provider, order_id)
    assert (happened, payment.status, payment.amount, payment.currency) == (True, "authorised", TOTAL, "EUR")
    [intent] = intents_of(payment_provider, order_id)
    assert (intent["id"], intent["status"], intent["amount"], intent["currency"], intent["capture_method"]) == (
        payment.reference,
        "requires_capture",
        3460,
        "eur",
        "manual",
    )


def test_an_authorisation_asked_again_asks_the_provider_nothing_more(payments_db, provider, payment_provider, order_id):
    authorise(payments_db, provider, order_id)
    payment, happened = authorise(payments_db, provider, order_id)
    assert (happened, payment.status) == (False, "authorised")
    assert len(intents_of(payment_provider, order_id)) == 1


def test_an_authorisation_confirmed_at_the_provider_whose_answer_was_lost_is_not_confirmed_twice(
    payments_db, provider, payment_provider, order_id
):
    """The service died between the provider's answer and its own commit: the intent it recorded is authorised
    at the provider, and the shop still says authorising. The next attempt asks what became of it."""
    intent = provider.create_intent(order_id, 3460, "EUR", APPROVED)
    payments_db.add(
        Payment(
            order_id=order_id,
            status="authorising",
            amount=TOTAL,
            currency="EUR",
            payment_method=APPROVED,
            reference=intent.id,
            refunded=0,
            requested_at=utc_now(),
            updated_at=utc_now(),
        )
    )
    payments_db.commit()
    payment_provider.post(f"/v1/payment_intents/{intent.id}/confirm")
    payment, happened = authorise(payments_db, provider, order_id)
    assert (happened, payment.status, payment.reference) == (True, "authorised", intent.id)
    assert [ever_authorised(held) for held in intents_of(payment_provider, order_id)] == [True]


def test_a_declined_card_declines_the_payment_with_the_providers_code_and_holds_nothing(
    payments_db, provider, payment_provider, order_id
):
    payment, happened = authorise(payments_db, provider, order_id, DECLINED)
    assert (happened, payment.status, payment.decline_code) == (True, "declined", "card_declined")
    assert not any(ever_authorised(intent) for intent in intents_of(payment_provider, order_id))


def test_a_payment_method_the_provider_does_not_know_is_declined(payments_db, provider, order_id):
    payment, _ = authorise(payments_db, provider, order_id, "pm_no_such_method")
    assert (payment.status, payment.decline_code) == ("declined", "payment_method_refused")


def test_a_provider_that_does_not_answer_fails_the_payment_once_the_deadline_has_passed(payments_db, order_id):
    nobody_there = Stripe("sk_test_x", "http://127.0.0.1:9", 1, WEBHOOK_SECRET, 300)
    payment, happened = authorise(payments_db, nobody_there, order_id, deadline=0.5)
    assert (happened, payment.status, payment.reference) == (True, "failed", None)


def test_a_payment_requested_after_its_order_ended_is_never_authorised(
    payments_db, provider, payment_provider, order_id
):
    assert payments.void(payments_db, provider, order_id).happened is False  # nothing asked, nothing to tell
    payments_db.commit()
    payment, happened = authorise(payments_db, provider, order_id)
    assert (happened, payment.status) == (False, "voided")
    assert intents_of(payment_provider, order_id) == []


def test_voiding_gives_back_what_the_authorisation_holds_once(payments_db, provider, payment_provider, order_id):
    authorise(payments_db, provider, order_id)
    payment, happened = payments.void(payments_db, provider, order_id)
    payments_db.commit()
    assert (happened, payment.status) == (True, "voided")
    assert payments.void(payments_db, provider, order_id).happened is False
    [intent] = intents_of(payment_provider, order_id)
    assert intent["status"] == "canceled"


def test_voiding_a_failed_payment_cancels_an_intent_that_was_authorised_after_all(
    payments_db, provider, payment_provider, order_id
):
    authorise(payments_db, provider, order_id)
    payment = payments.find_payment(payments_db, order_id)
    payment.status = "failed"  # the answer never came in time: the shop gave up on it
    payments_db.commit()
    payment, happened = payments.void(payments_db, provider, order_id)
    payments_db.commit()
    assert (happened, payment.status) == (True, "voided")
    assert [intent["status"] for intent in intents_of(payment_provider, order_id)] == ["canceled"]


def test_capturing_takes_the_money_once(payments_db, provider, payment_provider, order_id):
    authorise(payments_db, provider, order_id)
    payment, happened = payments.capture(payments_db, provider, order_id)
    payments_db.commit()
    assert (happened, payment.status) == (True, "captured")
    assert payments.capture(payments_db, provider, order_id).happened is False
    [intent] = intents_of(payment_provider, order_id)
    assert (intent["status"], intent["charges"]["data"][0]["amount"]) == ("succeeded", 3460)


def test_a_capture_made_before_its_answer_was_lost_is_recorded_not_refused(
    payments_db, provider, payment_provider, order_id
):
    payment, _ = authorise(payments_db, provider, order_id)
    payment_provider.post(f"/v1/payment_intents/{payment.reference}/capture")
    payment, happened = payments.capture(payments_db, provider, order_id)
    assert (happened, payment.status) == (True, "captured")


def test_a_capture_of_an_authorisation_the_provider_let_go_is_refused_with_the_reason(
    payments_db, provider, payment_provider, order_id
):
    payment, _ = authorise(payments_db, provider, order_id)
    payment_provider.post(f"/v1/payment_intents/{payment.reference}/cancel")
    with pytest.raises(ProviderDisagrees, match="canceled"):
        payments.capture(payments_db, provider, order_id)


def captured(session, provider, order_id):
    authorise(session, provider, order_id)
    payments.capture(session, provider, order_id)
    session.commit()


def test_a_refund_in_part_then_of_the_rest_gives_back_the_total_and_no_more(
    payments_db, provider, payment_provider, order_id
):
    captured(payments_db, provider, order_id)
    payment, _ = payments.refund(payments_db, provider, order_id, Decimal("10.00"))
    payments_db.commit()
    assert (payment.status, payment.refunded) == ("captured", Decimal("10.00"))
    payment, _ = payments.refund(payments_db, provider, order_id)
    payments_db.commit()
    assert (payment.status, payment.refunded) == ("refunded", TOTAL)
    with pytest.raises(NothingToRefund):
        payments.refund(payments_db, provider, order_id, Decimal("0.01"))
    assert sorted(refund["amount"] for refund in payment_provider.refunds(payment.reference)) == [1000, 2460]


def test_a_refund_of_more_than_is_left_is_refused_and_gives_nothing(payments_db, provider, payment_provider, order_id):
    captured(payments_db, provider, order_id)
    with pytest.raises(NothingToRefund, match="at most 34.60"):
        payments.refund(payments_db, provider, order_id, Decimal("34.61"))
    payment = payments.find_payment(payments_db, order_id)
    assert payment_provider.refunds(payment.reference) == []


def test_a_payment_not_captured_cannot_be_refunded(payments_db, provider, order_id):
    authorise(payments_db, provider, order_id)
    with pytest.raises(NothingToRefund, match="authorised"):
        payments.refund(payments_db, provider, order_id)


def test_a_refund_made_at_the_provider_is_recorded_before_another_so_none_is_made_twice(
    payments_db, provider, payment_provider, order_id
):
    """Refunded at the provider and then lost (a crash before the commit, or a refund in its dashboard): the next
    refund counts it, so a refund in full asks only for what is really left."""
    captured(payments_db, provider, order_id)
    reference = payments.find_payment(payments_db, order_id).reference
    payment_provider.post("/v1/refunds", payment_intent=reference, amount=3000)
    payment, _ = payments.refund(payments_db, provider, order_id)
    payments_db.commit()
    assert (payment.status, payment.refunded, len(payment.refunds)) == ("refunded", TOTAL, 2)
    assert sorted(refund["amount"] for refund in payment_provider.refunds(reference)) == [460, 3000]


def event(intent_id, event_id=None):
    return {"id": event_id or f"evt_{uuid.uuid4().hex}", "type": "payment_intent.canceled", "intent_id": intent_id}


def test_a_provider_event_makes_the_payment_follow_what_the_provider_holds_once(
    payments_db, provider, payment_provider, order_id
):
    payment, _ = authorise(payments_db, provider, order_id)
    payment_provider.post(f"/v1/payment_intents/{payment.reference}/cancel")
    told = event(payment.reference)
    payment, happened = payments.follow_provider(payments_db, provider, told)
    payments_db.commit()
    assert (happened, payment.status) == (True, "voided")
    assert payments.follow_provider(payments_db, provider, told).happened is False


def test_a_provider_event_that_comes_late_or_out_of_order_changes_nothing_the_provider_did_not(
    payments_db, provider, payment_provider, order_id
):
    captured(payments_db, provider, order_id)
    reference = payments.find_payment(payments_db, order_id).reference
    payment, happened = payments.follow_provider(
        payments_db, provider, {**event(reference), "type": "payment_intent.amount_capturable_updated"}
    )
    assert (happened, payment.status) == (False, "captured")


def test_a_provider_event_of_a_refund_made_in_its_dashboard_is_recorded(
    payments_db, provider, payment_provider, order_id
):
    captured(payments_db, provider, order_id)
    reference = payments.find_payment(payments_db, order_id).reference
    payment_provider.post("/v1/refunds", payment_intent=reference, amount=460)
    payment, happened = payments.follow_provider(payments_db, provider, {**event(reference), "type": "charge.refunded"})
    assert (happened, payment.status, payment.refunded) == (True, "captured", Decimal("4.60"))


def test_a_provider_event_of_an_intent_the_shop_does_not_hold_changes_nothing(payments_db, provider):
    assert payments.follow_provider(payments_db, provider, event("pi_unknown")) == (None, False)


def test_an_unreachable_provider_is_told_apart_from_a_refusal(payment_provider):
    with pytest.raises(ProviderUnavailable):
        Stripe("sk_test_x", "http://127.0.0.1:9", 1, WEBHOOK_SECRET, 300).retrieve("pi_x")
