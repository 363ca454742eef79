"""The shapes of orders on the wire: what a client sends, what the service returns."""

from marshmallow import Schema, fields, validate

from order_service.domain import waiting_for
from order_service.statuses import STATUSES
from shipping_service.events import AddressCopy
from shop_common.vocabulary.clock import utc_now
from shop_common.vocabulary.validation import (
    EmailAddress,
    PostalAddress,
    id_field,
    lines_field,
    page_size_field,
    payment_method_field,
)


class NewOrder(Schema):
    customer_id = id_field()
    customer_email = EmailAddress(required=True)
    items = lines_field()
    payment_method = payment_method_field()
    shipping_address = fields.Nested(PostalAddress, required=True)


class OrderPosition(Schema):
    """Where a page of orders ends: the last order's ``created_at`` and ``id``."""

    created_at = fields.AwareDateTime(required=True)
    id = id_field()


class OrderQuery(Schema):
    customer_id = id_field(required=False, load_default=None)
    customer_email = EmailAddress(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    limit = page_size_field()
    after = fields.Nested(OrderPosition, load_default=None)


class PendingQuery(Schema):
    older_than_seconds = fields.Float(load_default=0, allow_nan=False, validate=validate.Range(min=0))


class OrderLineOutput(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Decimal(as_string=True, allow_none=True)


class PaymentOutput(Schema):
    status = fields.String()
    amount = fields.Decimal(as_string=True, allow_none=True)
    currency = fields.String()
    reference = fields.String(allow_none=True)
    refunded = fields.Decimal(as_string=True, allow_none=True)


class ShipmentOutput(Schema):
    status = fields.String()
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    dispatched_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)


class OrderOutput(Schema):
    id = fields.String()
    customer_id = fields.String(allow_none=True)
    customer_email = fields.String()
    status = fields.String()
    rejection_reason = fields.String(allow_none=True)
    items = fields.List(fields.Nested(OrderLineOutput), attribute="lines")
    items_total = fields.Decimal(as_string=True, allow_none=True)
    shipping_cost = fields.Decimal(as_string=True, allow_none=True)
    total = fields.Decimal(as_string=True, allow_none=True)
    currency = fields.String()
    shipping_address = fields.Nested(AddressCopy, allow_none=True)
    payment = fields.Nested(PaymentOutput, allow_none=True)
    shipment = fields.Nested(ShipmentOutput, allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


order_output = OrderOutput()


class PendingOrderOutput(Schema):
    id = fields.String()
    customer_email = fields.String()
    created_at = fields.DateTime()
    age_seconds = fields.Method("_age")
    waiting_for = fields.Method("_waiting_for", metadata={"description": "stock, then payment"})

    def _waiting_for(self, order):
        return waiting_for(order.total)

    def _age(self, order):
        return round((utc_now() - order.created_at).total_seconds(), 3)


pending_order_output = PendingOrderOutput()
