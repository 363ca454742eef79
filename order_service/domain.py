"""Order rules: statuses, the transitions between them, pricing. Plain Python, no I/O."""

import uuid
from decimal import Decimal

PENDING = "pending"
CONFIRMED = "confirmed"
REJECTED = "rejected"
CANCELLED = "cancelled"
SHIPPED = "shipped"

STATUSES = (PENDING, CONFIRMED, REJECTED, CANCELLED, SHIPPED)
FINAL_STATUSES = frozenset({REJECTED, CANCELLED, SHIPPED})

CONFIRM = "confirm"
REJECT = "reject"
CANCEL = "cancel"
SHIP = "ship"

_ALLOWED_FROM = {
    CONFIRM: ({PENDING}, CONFIRMED),
    REJECT: ({PENDING}, REJECTED),
    CANCEL: ({PENDING, CONFIRMED}, CANCELLED),
    SHIP: ({CONFIRMED}, SHIPPED),
}


class TransitionRefused(Exception):
    def __init__(self, status, action):
        super().__init__(f"cannot {action} an order that is {status}")
        self.status = status
        self.action = action


def new_order_id():
    """An opaque order id: 32 hex characters."""
    return uuid.uuid4().hex


def next_status(status, action):
    """The status an order in ``status`` moves to on ``action``, or TransitionRefused."""
    allowed_from, target = _ALLOWED_FROM[action]
    if status not in allowed_from:
        raise TransitionRefused(status, action)
    return target



def order_total(lines):
    """Sum of quantity x unit price over priced lines."""
    return sum((line["quantity"] * Decimal(line["unit_price"]) for line in lines), Decimal("0.00"))
