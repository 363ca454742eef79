"""Order rules: statuses, the transitions between them, lines and pricing. Plain Python, no I/O."""

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


def awaits_stock(status):
    """Does an order in ``status`` still wait for inventory's answer? A late answer to one that does not is ignored."""
    return status == PENDING


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
