"""A shipment's statuses, and the most a parcel may cost: words of the shipping service's contract (``events``) and its
rules (``domain``)."""

from decimal import Decimal

AWAITING_DISPATCH = "awaiting_dispatch"
DISPATCHED = "dispatched"
DELIVERED = "delivered"
CANCELLED = "cancelled"

STATUSES = (AWAITING_DISPATCH, DISPATCHED, DELIVERED, CANCELLED)
MAX_RATE = Decimal("100000")  # the most one parcel may cost
