"""The inventory service's events: the contract other services import.

Published on the ``inventory`` events exchange, every payload with
``event_id``, ``occurred_at`` and ``order_id``:

- ``stock_reserved``: ``items`` ``[{sku, quantity, unit_price}]``, prices from the catalogue;
- ``stock_reservation_failed``: ``reason`` and ``shortages`` ``[{sku, requested, available}]``;
- ``stock_released``: the order's held stock is available again;
- ``sale_completed``: the order shipped and its stock left for good.

And, with ``event_id``, ``occurred_at`` and ``sku``:

- ``product_weighed``: ``weight_grams`` of one unit, as of ``weighed_at`` (a product made, or weighed again).

Consumers check each payload against its schema below; fields may be added,
never taken away.
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from inventory_service.statuses import REFUSED, RELEASED, RESERVED, SOLD
from shop_common.vocabulary.events import EventEnvelope, new_event
from shop_common.vocabulary.validation import (
    MAX_LINES,
    MAX_QUANTITY,
    id_field,
    money_field,
    quantity_field,
    sku_field,
    weight_field,
)

SOURCE = "inventory"

STOCK_RESERVED = "stock_reserved"
STOCK_RESERVATION_FAILED = "stock_reservation_failed"
STOCK_RELEASED = "stock_released"
SALE_COMPLETED = "sale_completed"
PRODUCT_WEIGHED = "product_weighed"


class ReservedLine(Schema):
    class Meta:
        unknown = EXCLUDE

    sku = sku_field()
    quantity = quantity_field(MAX_LINES * MAX_QUANTITY)  # repeated skus are merged into one line
    unit_price = money_field(required=True)


class StockEvent(EventEnvelope):
    order_id = id_field()


class StockReserved(StockEvent):
    items = fields.List(fields.Nested(ReservedLine), required=True, validate=validate.Length(min=1, max=MAX_LINES))


class StockReservationFailed(StockEvent):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    shortages = fields.List(fields.Dict(), load_default=list, validate=validate.Length(max=MAX_LINES))


class ProductWeighed(EventEnvelope):
    sku = sku_field()
    weight_grams = weight_field(required=True)
    weighed_at = fields.AwareDateTime(required=True)


def product_weighed(product):
    return PRODUCT_WEIGHED, new_event(
        sku=product.sku, weight_grams=product.weight_grams, weighed_at=product.updated_at.isoformat()
    )


def reserved_items(reservation):
    return [
        {"sku": line.sku, "quantity": line.quantity, "unit_price": f"{line.unit_price:.2f}"}
        for line in reservation.lines
    ]


def stock_event(reservation):
    """The event type and payload that tell of ``reservation`` reaching its status."""
    if reservation.status == RESERVED:
        return STOCK_RESERVED, new_event(order_id=reservation.order_id, items=reserved_items(reservation))
    if reservation.status == REFUSED:
        return STOCK_RESERVATION_FAILED, new_event(
            order_id=reservation.order_id, reason=reservation.reason, shortages=list(reservation.shortages)
        )
    return {RELEASED: STOCK_RELEASED, SOLD: SALE_COMPLETED}[reservation.status], new_event(
        order_id=reservation.order_id
    )
