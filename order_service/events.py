"""The orders service's events: the contract other services import.

Published on the ``orders`` events exchange. Every payload is
``{"event_id", "occurred_at", "order": <OrderSnapshot>}``: ``order`` is the
order right after the transition, so consumers never need to call back.
``OrderEvent`` is the schema consumers check each payload against; fields may
be added, never taken away.

``order_delivered`` follows ``order_shipped`` once the parcel arrived.

One more asks the payments service for the order's money once its stock is
held and its total known: ``payment_requested``, ``{"event_id",
"occurred_at", "order_id", "amount", "currency", "payment_method"}``
(``PaymentRequest``).
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from order_service.statuses import CANCELLED, CONFIRMED, DELIVERED, PENDING, REFUNDED, REJECTED, SHIPPED, STATUSES
from shipping_service.events import AddressCopy
from shop_common.vocabulary.events import EventEnvelope, new_event
from shop_common.vocabulary.validation import (
    MAX_AMOUNT,
    MAX_LINES,
    MAX_QUANTITY,
    EmailAddress,
    id_field,
    money_field,
    payment_method_field,
    quantity_field,
    sku_field,
)

SOURCE = "orders"

ORDER_CREATED = "order_created"
ORDER_CONFIRMED = "order_confirmed"
ORDER_REJECTED = "order_rejected"
ORDER_CANCELLED = "order_cancelled"
ORDER_SHIPPED = "order_shipped"
ORDER_DELIVERED = "order_delivered"
ORDER_REFUNDED = "order_refunded"
PAYMENT_REQUESTED = "payment_requested"

# The event that tells of an order reaching each status.
EVENT_OF_STATUS = {
    PENDING: ORDER_CREATED,
    CONFIRMED: ORDER_CONFIRMED,
    REJECTED: ORDER_REJECTED,
    CANCELLED: ORDER_CANCELLED,
    SHIPPED: ORDER_SHIPPED,
    DELIVERED: ORDER_DELIVERED,
    REFUNDED: ORDER_REFUNDED,
}


class OrderLineSnapshot(Schema):
    class Meta:
        unknown = EXCLUDE

    sku = sku_field()
    quantity = quantity_field(MAX_LINES * MAX_QUANTITY)  # repeated skus are merged into one line
    unit_price = money_field(allow_none=True, load_default=None)


class PaymentCopy(Schema):
    """The order's payment as the payments service last told it."""

    class Meta:
        unknown = EXCLUDE

    status = fields.String(required=True, validate=validate.Length(min=1, max=16))
    amount = money_field(maximum=None, allow_none=True, load_default=None)
    currency = fields.String(allow_none=True, load_default=None, validate=validate.Length(equal=3))
    reference = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=255))
    refunded = money_field(minimum=0, maximum=None, allow_none=True, load_default=None)


class ShipmentCopy(Schema):
    """The order's shipment as the shipping service last told it."""

    class Meta:
        unknown = EXCLUDE

    status = fields.String(required=True, validate=validate.Length(min=1, max=20))
    carrier = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    tracking_number = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    dispatched_at = fields.AwareDateTime(allow_none=True, load_default=None)
    delivered_at = fields.AwareDateTime(allow_none=True, load_default=None)


class OrderSnapshot(Schema):
    class Meta:
        unknown = EXCLUDE

    id = id_field()
    customer_id = id_field(required=False, allow_none=True, load_default=None)
    customer_email = EmailAddress(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    rejection_reason = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=20000))
    items = fields.List(
        fields.Nested(OrderLineSnapshot),
        attribute="lines",
        data_key="items",
        required=True,
        validate=validate.Length(min=1, max=MAX_LINES),
    )
    items_total = money_field(minimum=0, maximum=None, allow_none=True, load_default=None)
    shipping_cost = money_field(minimum=0, maximum=None, allow_none=True, load_default=None)
    total = money_field(maximum=None, allow_none=True, load_default=None)
    currency = fields.String(allow_none=True, load_default=None, validate=validate.Length(equal=3))
    shipping_address = fields.Nested(AddressCopy, allow_none=True, load_default=None)
    payment = fields.Nested(PaymentCopy, allow_none=True, load_default=None)
    shipment = fields.Nested(ShipmentCopy, allow_none=True, load_default=None)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class OrderEvent(EventEnvelope):
    order = fields.Nested(OrderSnapshot, required=True)


class PaymentRequest(EventEnvelope):
    order_id = id_field()
    amount = money_field(maximum=MAX_AMOUNT, required=True)
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))
    payment_method = payment_method_field()


_snapshot = OrderSnapshot()


def order_event(order):
    """The event type and payload for a change of ``order`` (the stored order, just changed): its status's, or, for
    a pending order just priced, the request for its payment."""
    if order.status == PENDING and order.total is not None:
        return PAYMENT_REQUESTED, new_event(
            order_id=order.id, amount=f"{order.total:.2f}", currency=order.currency, payment_method=order.payment_method
        )
    return EVENT_OF_STATUS[order.status], new_event(order=_snapshot.dump(order))
