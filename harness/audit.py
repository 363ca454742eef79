"""After a fault: is every order final, is stock exactly right, did each outcome mail once, is nothing left unsent?"""

import collections
import re
import time
from dataclasses import dataclass, field

from sqlalchemy import text

from harness.payment_provider import captured_charges, ever_authorised

FINAL = ("confirmed", "rejected", "cancelled", "shipped", "delivered", "refunded")
PAID_FOR = (
    "confirmed",
    "shipped",
    "delivered",
    "refunded",
)  # an order in these holds (or took) exactly one authorisation
FIGURES = []  # one line per audited fault, printed at the end of the test run
_SUBJECT = re.compile(r"^Order (\w+) (\w+)$")


@dataclass
class Audit:
    accepted: int = 0
    orders: int = 0
    not_final: list = field(default_factory=list)
    missing: list = field(default_factory=list)  # accepted by the gateway, not in the orders database
    stock_errors: dict = field(default_factory=dict)
    emails_missing: list = field(default_factory=list)
    emails_duplicated: int = 0
    unpublished: int = 0
    dead_letters: int = 0
    refused: dict = field(default_factory=dict)
    slowest_answer: float = 0.0  # seconds, the longest any request waited for its answer
    authorised_per_order: dict = field(default_factory=dict)  # intents ever authorised per order -> orders
    payment_errors: dict = field(default_factory=dict)  # order -> what the provider holds that is wrong
    shipment_errors: dict = field(default_factory=dict)  # order -> its shipment, where it does not fit

    @property
    def lost(self):
        return len(self.missing) + len(self.not_final)

    def figures(self, name):
        return (
            f"[{name}] accepted={self.accepted} orders={self.orders} lost={self.lost} "
            f"duplicated_emails={self.emails_duplicated} missing_emails={len(self.emails_missing)} "
            f"stock_errors={len(self.stock_errors)} unpublished={self.unpublished} "
            f"dead_letters={self.dead_letters} refused_by_gateway={dict(self.refused)} "
            f"slowest_answer={self.slowest_answer:.2f}s "
            f"authorised_intents_per_order={dict(sorted(self.authorised_per_order.items()))} "
            f"payment_errors={len(self.payment_errors)} shipment_errors={len(self.shipment_errors)}"
        )

    def assert_clean(self):
        assert self.missing == [], f"accepted orders missing: {self.missing[:5]}"
        assert self.not_final == [], f"orders not final: {self.not_final[:5]}"
        assert self.stock_errors == {}, f"stock invariant broken: {self.stock_errors}"
        assert self.emails_missing == [], f"final orders without their email: {self.emails_missing[:5]}"
        assert self.emails_duplicated == 0
        assert self.unpublished == 0
        assert self.dead_letters == 0
        assert self.payment_errors == {}, f"payments that do not match their orders: {self.payment_errors}"
        assert self.shipment_errors == {}, f"shipments that do not match their orders: {self.shipment_errors}"


def _rows(databases, service, sql):
    with databases.engine(service).connect() as connection:
        return connection.execute(text(sql)).all()


def _statuses(databases, skus):
    """Status of every order for these products, the gateway's answer to it whatever it was."""
    with databases.engine("orders").connect() as connection:
        return dict(
            connection.execute(
                text(
                    "SELECT DISTINCT o.id, o.status FROM orders o JOIN order_lines l ON l.order_id = o.id "
                    "WHERE l.sku = ANY(:skus)"
                ),
                {"skus": list(skus)},
            ).all()
        )


def wait_until_settled(databases, accepted, skus, timeout=120.0):
    """Wait until every order for ``skus`` is final (and every accepted one exists); returns their statuses."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = _statuses(databases, skus)
        settled = all(status in FINAL for status in statuses.values()) and set(accepted) <= set(statuses)
        if settled or time.monotonic() > deadline:
            return statuses
        time.sleep(0.25)


def stock_errors(databases, initial_stock):
    """For every product: initial + restocks = available + held by confirmed orders + shipped.

    ``initial_stock`` counts every unit ever added (the loads do not restock).
    Inventory's own reservations must agree with the orders too.
    """
    available = dict(_rows(databases, "inventory", "SELECT sku, stock FROM products"))
    held_or_sold = collections.Counter(
        dict(
            _rows(
                databases,
                "orders",
                """
        SELECT l.sku, sum(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id
        WHERE o.status IN ('confirmed', 'shipped', 'delivered', 'refunded') GROUP BY l.sku""",
            )
        )
    )
    reserved = collections.Counter(
        dict(
            _rows(
                databases,
                "inventory",
                """
        SELECT l.sku, sum(l.quantity) FROM reservation_lines l JOIN reservations r ON r.order_id = l.order_id
        WHERE r.status IN ('reserved', 'sold') GROUP BY l.sku""",
            )
        )
    )
    errors = {}
    for sku, initial in initial_stock.items():
        if initial != available[sku] + held_or_sold[sku] or reserved[sku] != held_or_sold[sku]:
            errors[sku] = {
                "initial": initial,
                "available": available[sku],
                "held_or_sold": held_or_sold[sku],
                "reserved_in_inventory": reserved[sku],
            }
    return errors


def email_problems(smtp_sink, statuses, timeout=60.0):
    """Final orders with no mail for their outcome, and the number of extra mails."""
    deadline = time.monotonic() + timeout
    while True:
        sent = collections.Counter(
            match.groups() for match in (_SUBJECT.match(m["Subject"] or "") for m in smtp_sink.messages()) if match
        )
        missing = [order_id for order_id, status in statuses.items() if sent[(order_id, status)] == 0]
        if not missing or time.monotonic() > deadline:
            return missing, sum(
                count - 1 for (order_id, _), count in sent.items() if count > 1 and order_id in statuses
            )
        time.sleep(0.25)


def payment_problems(provider, statuses, timeout=30.0):
    """What the provider holds for each order against its outcome, read from the provider itself: an order paid
    for has exactly one intent that was ever authorised, any other at most one, and none still holding money once
    it ended; only a shipped order's money was taken, once. Returns ``({intents ever authorised: orders},
    {order: problem})``, once the problems are gone or ``timeout`` has passed (voids come after the order ends)."""
    deadline = time.monotonic() + timeout
    while True:
        intents = provider.intents_by_order()
        per_order, problems = collections.Counter(), {}
        for order_id, status in statuses.items():
            held = [intent for intent in intents.get(order_id, ()) if ever_authorised(intent)]
            per_order[len(held)] += 1
            taken = sum(len(captured_charges(intent)) for intent in held)
            if (status in PAID_FOR and len(held) != 1) or len(held) > 1:
                problems[order_id] = f"{status} with {len(held)} intents ever authorised"
            elif status not in PAID_FOR and any(intent["status"] == "requires_capture" for intent in held):
                problems[order_id] = f"{status}, and its authorisation still holds the money"
            elif taken > (1 if status in ("shipped", "delivered", "refunded") else 0):
                problems[order_id] = f"{status}, captured {taken} times"
        if not problems or time.monotonic() > deadline:
            return dict(per_order), problems
        time.sleep(0.5)


# The shipment an order in each status has in the shipping database (None: none at all).
SHIPMENT_OF = {
    "confirmed": {"awaiting_dispatch"},
    "rejected": {None},
    "cancelled": {None, "cancelled"},
    "shipped": {"dispatched"},
    "delivered": {"delivered"},
    "refunded": {"dispatched", "delivered"},
}


def shipment_problems(databases, statuses, timeout=30.0):
    """``{order: problem}`` for every order whose shipment does not fit its status: one awaiting dispatch for each
    confirmed order, none left awaiting for one that ended; once the problems are gone or ``timeout`` has passed."""
    deadline = time.monotonic() + timeout
    while True:
        shipments = dict(_rows(databases, "shipping", "SELECT order_id, status FROM shipments"))
        problems = {
            order_id: f"{status}, its shipment {shipments.get(order_id)}"
            for order_id, status in statuses.items()
            if shipments.get(order_id) not in SHIPMENT_OF[status]
        }
        if not problems or time.monotonic() > deadline:
            return problems
        time.sleep(0.5)


def _with_outbox(databases):
    return [
        service
        for service in databases.uris
        if _rows(databases, service, "SELECT to_regclass('outbox') IS NOT NULL")[0][0]
    ]


def unpublished_events(databases, timeout=30.0):
    deadline = time.monotonic() + timeout
    services = _with_outbox(databases)
    while True:
        count = sum(
            _rows(databases, service, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]
            for service in services
        )
        if count == 0 or time.monotonic() > deadline:
            return count
        time.sleep(0.25)


def audit(databases, smtp_sink, load, initial_stock, dead_letter_count, provider):
    statuses = wait_until_settled(databases, load.accepted, initial_stock)
    result = Audit(
        accepted=len(load.accepted), orders=len(statuses), refused=load.refused, slowest_answer=load.slowest_answer
    )
    result.missing = [order_id for order_id in load.accepted if order_id not in statuses]
    result.not_final = [order_id for order_id, status in statuses.items() if status not in FINAL]
    result.stock_errors = stock_errors(databases, initial_stock)
    result.emails_missing, result.emails_duplicated = email_problems(smtp_sink, statuses)
    result.unpublished = unpublished_events(databases)
    result.dead_letters = dead_letter_count()
    result.authorised_per_order, result.payment_errors = payment_problems(provider, statuses)
    result.shipment_errors = shipment_problems(databases, statuses)
    return result
