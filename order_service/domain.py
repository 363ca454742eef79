"""Order rules: statuses, the transitions between them, lines and pricing. Plain Python, no I/O."""

import uuid
from decimal import Decimal

PENDING = "pending"
CONFIRMED = "confirmed"
REJECTED = "rejected"
CANCELLED = "cancelled"
SHIPPED = "shipped"
REFUNDED = "refunded"

STATUSES = (PENDING, CONFIRMED, REJECTED, CANCELLED, SHIPPED, REFUNDED)
FINAL_STATUSES = frozenset({REJECTED, CANCELLED, SHIPPED, REFUNDED})

CONFIRM = "confirm"
REJECT = "reject"
CANCEL = "cancel"
SHIP = "ship"
REFUND = "refund"

_ALLOWED_FROM = {
    CONFIRM: ({PENDING}, CONFIRMED),
    REJECT: ({PENDING}, REJECTED),
    CANCEL: ({PENDING, CONFIRMED}, CANCELLED),
    SHIP: ({CONFIRMED}, SHIPPED),
    REFUND: ({SHIPPED}, REFUNDED),
}

# Why an order was rejected for its payment (as ``rejection_reason``).
PAYMENT_DECLINED = "payment_declined"
PAYMENT_UNAVAILABLE = "payment_unavailable"

# What a payment's new status does to its order, by the order's status: (action, rejection reason).
_PAYMENT_ACTIONS = {
    ("authorised", PENDING): (CONFIRM, None),
    ("declined", PENDING): (REJECT, PAYMENT_DECLINED),
    ("failed", PENDING): (REJECT, PAYMENT_UNAVAILABLE),
    ("voided", CONFIRMED): (CANCEL, None),     # the provider let the authorisation go: nothing is held for it
    ("refunded", SHIPPED): (REFUND, None),     # given back in full
}


MAX_TOTAL = Decimal("999999999999.99")   # what the orders database holds; the order limits stay below it


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

class Unconfirmable(Exception):
    """The reservation cannot confirm the order; ``reason`` says why, for the customer."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def merge_lines(items):
    """One line per sku, quantities of repeated skus added up, first-seen order kept."""
    quantities = {}
    for item in items:
        quantities[item["sku"]] = quantities.get(item["sku"], 0) + item["quantity"]
    return [{"sku": sku, "quantity": quantity} for sku, quantity in quantities.items()]


def awaits_stock(order_status, total):
    """Does the order still wait for inventory's answer? A late answer to one that does not is ignored."""
    return order_status == PENDING and total is None


def waiting_for(total):
    """What a pending order waits for: its stock (not priced yet), then its payment."""
    return "stock" if total is None else "payment"


def payment_action(payment_status, order_status):
    """``(action, rejection reason)`` a payment reaching ``payment_status`` takes on an order in
    ``order_status``; None when it leaves the order as it is (a late or repeated answer, a partial refund)."""
    return _PAYMENT_ACTIONS.get((payment_status, order_status))


def may_refund(status):
    return status == SHIPPED


def priced_lines(lines, reserved_items):
    """The order's lines with the unit prices inventory reserved them at.

    The reservation must cover the order line for line (same skus, same
    quantities) and come to a total the shop can hold; ``Unconfirmable`` otherwise.
    """
    reserved = {item["sku"]: item for item in reserved_items}
    if set(reserved) != {line["sku"] for line in lines} or any(
            reserved[line["sku"]]["quantity"] != line["quantity"] for line in lines):
        raise Unconfirmable("the stock reserved does not match the order")
    priced = [{**line, "unit_price": Decimal(reserved[line["sku"]]["unit_price"])} for line in lines]
    if order_total(priced) > MAX_TOTAL:
        raise Unconfirmable(f"the total is over {MAX_TOTAL}")
    return priced


def order_total(lines):
    """Sum of quantity x unit price over priced lines."""
    return sum((line["quantity"] * Decimal(line["unit_price"]) for line in lines), Decimal("0.00"))
