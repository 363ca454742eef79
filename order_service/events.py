"""The orders service's events: the contract other services import.

Published on the ``orders`` events exchange. Every payload is
``{"event_id", "occurred_at", "order": <OrderOutput>}``; ``order`` is the order
right after the transition, so consumers never need to call back.
"""

from shop_common.events import new_event

SOURCE = "orders"

ORDER_CREATED = "order_created"
ORDER_CONFIRMED = "order_confirmed"
ORDER_REJECTED = "order_rejected"
ORDER_CANCELLED = "order_cancelled"
ORDER_SHIPPED = "order_shipped"


def order_event(order_data):
    """The event for a transition; ``order_data`` is the order as ``OrderOutput`` dumps it."""
    return new_event(order=order_data)
