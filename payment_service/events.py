"""The payments service's events: the contract other services import.

Published on the ``payments`` events exchange. Every payload is
``{"event_id", "occurred_at", "payment": <PaymentSnapshot>}``, the order's
payment right after it changed:

- ``payment_authorised``: the amount is held on the customer's card;
- ``payment_declined``: the card (or the payment method) was refused; ``decline_code`` says how;
- ``payment_failed``: the provider did not answer in time; nothing is held (or what was is given back);
- ``payment_captured``: the money is taken (the order shipped);
- ``payment_voided``: what was held is given back (the order ended, or the provider let it go);
- ``payment_refunded``: money was given back after capture; ``refunded`` says how much in all.

Fields may be added, never taken away.
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from payment_service.statuses import AUTHORISED, CAPTURED, DECLINED, FAILED, REFUNDED, STATUSES, VOIDED
from shop_common.vocabulary.events import EventEnvelope, new_event
from shop_common.vocabulary.validation import MAX_AMOUNT, id_field, money_field

SOURCE = "payments"

PAYMENT_AUTHORISED = "payment_authorised"
PAYMENT_DECLINED = "payment_declined"
PAYMENT_FAILED = "payment_failed"
PAYMENT_CAPTURED = "payment_captured"
PAYMENT_VOIDED = "payment_voided"
PAYMENT_REFUNDED = "payment_refunded"

_EVENT_OF_STATUS = {
    AUTHORISED: PAYMENT_AUTHORISED,
    DECLINED: PAYMENT_DECLINED,
    FAILED: PAYMENT_FAILED,
    CAPTURED: PAYMENT_CAPTURED,
    VOIDED: PAYMENT_VOIDED,
    REFUNDED: PAYMENT_REFUNDED,
}


class PaymentSnapshot(Schema):
    class Meta:
        unknown = EXCLUDE

    order_id = id_field()
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    amount = money_field(maximum=MAX_AMOUNT, allow_none=True, load_default=None)
    currency = fields.String(allow_none=True, load_default=None, validate=validate.Length(equal=3))
    reference = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=255))
    decline_code = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64))
    refunded = money_field(minimum=0, maximum=MAX_AMOUNT, allow_none=True, load_default=None)
    updated_at = fields.AwareDateTime(allow_none=True, load_default=None)  # orders keep the latest word alone


class PaymentEvent(EventEnvelope):
    payment = fields.Nested(PaymentSnapshot, required=True)


_snapshot = PaymentSnapshot()


def snapshot(payment):
    return _snapshot.dump(payment)


def payment_event(payment):
    """The event type and payload that tell of ``payment``'s change: its status's, or ``payment_refunded`` for a
    captured payment given back in part."""
    event_type = (
        PAYMENT_REFUNDED if payment.status == CAPTURED and payment.refunded else _EVENT_OF_STATUS[payment.status]
    )
    return event_type, new_event(payment=snapshot(payment))
