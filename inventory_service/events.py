"""The inventory service's events: the contract other services import.

Published on the ``inventory`` events exchange, every payload with
``event_id``, ``occurred_at`` and ``order_id``:

- ``stock_reserved``: ``items`` ``[{sku, quantity, unit_price}]``, prices from the catalogue;
- ``stock_reservation_failed``: ``reason`` and ``shortages`` ``[{sku, requested, available}]``;
- ``stock_released``: the order's held stock is available again;
- ``sale_completed``: the order shipped and its stock left for good.
"""

from shop_common.events import new_event
from shop_common.money import money_str

SOURCE = "inventory"

STOCK_RESERVED = "stock_reserved"
STOCK_RESERVATION_FAILED = "stock_reservation_failed"
STOCK_RELEASED = "stock_released"
SALE_COMPLETED = "sale_completed"


def reserved_items(reservation):
    return [
        {"sku": line.sku, "quantity": line.quantity, "unit_price": money_str(line.unit_price)}
        for line in reservation.lines
    ]


def stock_reserved(reservation):
    return new_event(order_id=reservation.order_id, items=reserved_items(reservation))


def stock_reservation_failed(reservation, shortages):
    return new_event(order_id=reservation.order_id, reason=reservation.reason, shortages=shortages)


def stock_changed(reservation):
    return new_event(order_id=reservation.order_id)
