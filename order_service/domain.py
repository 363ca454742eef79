"""Order rules: statuses, the transitions between them, lines and pricing. Plain Python, no I/O."""

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal

from order_service.statuses import CANCELLED, CONFIRMED, DELIVERED, PENDING, REFUNDED, REJECTED, SHIPPED
from shop_common.vocabulary.lines import Line

FINAL_STATUSES = frozenset({REJECTED, CANCELLED, SHIPPED, DELIVERED, REFUNDED})  # what the shop does is done

CONFIRM = "confirm"
REJECT = "reject"
CANCEL = "cancel"
SHIP = "ship"
DELIVER = "deliver"
REFUND = "refund"

_ALLOWED_FROM = {
    CONFIRM: ({PENDING}, CONFIRMED),
    REJECT: ({PENDING}, REJECTED),
    CANCEL: ({PENDING, CONFIRMED}, CANCELLED),
    SHIP: ({CONFIRMED}, SHIPPED),
    DELIVER: ({SHIPPED}, DELIVERED),
    REFUND: ({SHIPPED, DELIVERED}, REFUNDED),
}

# Why an order was rejected for its payment (as ``rejection_reason``).
PAYMENT_DECLINED = "payment_declined"
PAYMENT_UNAVAILABLE = "payment_unavailable"

# What a payment's new status does to its order, by the order's status: (action, rejection reason).
_PAYMENT_ACTIONS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("authorised", PENDING): (CONFIRM, None),
    ("declined", PENDING): (REJECT, PAYMENT_DECLINED),
    ("failed", PENDING): (REJECT, PAYMENT_UNAVAILABLE),
    ("voided", CONFIRMED): (CANCEL, None),  # the provider let the authorisation go: nothing is held for it
    ("refunded", SHIPPED): (REFUND, None),  # given back in full
    ("refunded", DELIVERED): (REFUND, None),
}

# What a shipment's new status does to its order, by the order's status.
_SHIPMENT_ACTIONS = {
    ("dispatched", CONFIRMED): SHIP,
    ("delivered", SHIPPED): DELIVER,
}


MAX_TOTAL = Decimal("999999999999.99")  # what the orders database holds; the order limits stay below it


class ReservedLine(Line):
    """A line as inventory reserved it, at its ``unit_price`` (a decimal string, as the event carries it)."""

    unit_price: Decimal | str


class PricedLine(Line):
    """A line of the order at the unit price it was reserved at."""

    unit_price: Decimal


class TransitionRefused(Exception):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"cannot {action} an order that is {status}")
        self.status = status
        self.action = action


def new_order_id() -> str:
    """An opaque order id: 32 hex characters."""
    return uuid.uuid4().hex


def next_status(status: str, action: str) -> str:
    """The status an order in ``status`` moves to on ``action``, or TransitionRefused."""
    allowed_from, target = _ALLOWED_FROM[action]
    if status not in allowed_from:
        raise TransitionRefused(status, action)
    return target


class Unconfirmable(Exception):
    """The reservation cannot confirm the order; ``reason`` says why, for the customer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def merge_lines(items: Iterable[Line]) -> list[Line]:
    """One line per sku, quantities of repeated skus added up, first-seen order kept."""
    quantities: dict[str, int] = {}
    for item in items:
        quantities[item["sku"]] = quantities.get(item["sku"], 0) + item["quantity"]
    return [{"sku": sku, "quantity": quantity} for sku, quantity in quantities.items()]


def awaits_stock(order_status: str, total: Decimal | None) -> bool:
    """Does the order still wait for inventory's answer? A late answer to one that does not is ignored."""
    return order_status == PENDING and total is None


def waiting_for(total: Decimal | None) -> str:
    """What a pending order waits for: its stock (not priced yet), then its payment."""
    return "stock" if total is None else "payment"


def payment_action(payment_status: str, order_status: str) -> tuple[str, str | None] | None:
    """``(action, rejection reason)`` a payment reaching ``payment_status`` takes on an order in
    ``order_status``; None when it leaves the order as it is (a late or repeated answer, a partial refund)."""
    return _PAYMENT_ACTIONS.get((payment_status, order_status))


def shipment_action(shipment_status: str, order_status: str) -> str | None:
    """The action a shipment reaching ``shipment_status`` takes on an order in ``order_status``; None when it
    leaves the order as it is (a late or repeated word).

    ``ShipmentAhead`` when the shipment is further along than the order can follow yet (a delivery told before
    the dispatch): the word is to be retried once the order has caught up."""
    if (shipment_status, order_status) == ("delivered", CONFIRMED):
        raise ShipmentAhead(shipment_status, order_status)
    return _SHIPMENT_ACTIONS.get((shipment_status, order_status))


class ShipmentAhead(Exception):
    def __init__(self, shipment_status: str, order_status: str) -> None:
        super().__init__(f"a shipment {shipment_status} for an order that is {order_status}: not yet")


def may_refund(status: str) -> bool:
    return status in _ALLOWED_FROM[REFUND][0]


def may_ship(status: str) -> bool:
    return status in _ALLOWED_FROM[SHIP][0]


def may_deliver(status: str) -> bool:
    return status in _ALLOWED_FROM[DELIVER][0]


def priced_lines(
    lines: Sequence[Line], reserved_items: Iterable[ReservedLine], shipping_cost: Decimal | None
) -> list[PricedLine]:
    """The order's lines with the unit prices inventory reserved them at.

    The reservation must cover the order line for line (same skus, same
    quantities) and, with ``shipping_cost``, come to a total the shop can hold;
    ``Unconfirmable`` otherwise.
    """
    reserved = {item["sku"]: item for item in reserved_items}
    if set(reserved) != {line["sku"] for line in lines} or any(
        reserved[line["sku"]]["quantity"] != line["quantity"] for line in lines
    ):
        raise Unconfirmable("the stock reserved does not match the order")
    priced: list[PricedLine] = [{**line, "unit_price": Decimal(reserved[line["sku"]]["unit_price"])} for line in lines]
    if order_total(priced, shipping_cost) > MAX_TOTAL:
        raise Unconfirmable(f"the total is over {MAX_TOTAL}")
    return priced


def items_total(lines: Iterable[PricedLine | ReservedLine]) -> Decimal:
    """Sum of quantity x unit price over priced lines."""
    return sum((line["quantity"] * Decimal(line["unit_price"]) for line in lines), Decimal("0.00"))


def order_total(lines: Iterable[PricedLine | ReservedLine], shipping_cost: Decimal | None) -> Decimal:
    """What the customer pays: the priced lines and their shipping (what the payment authorises)."""
    return items_total(lines) + (shipping_cost or Decimal("0.00"))
