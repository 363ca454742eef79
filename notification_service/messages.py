"""What a customer is told, for each event that reports something to them. Plain Python, no I/O.

Each email is about one thing and of one kind, at most one of each: an
order's outcome (``confirmed``..., the event's name without its ``order_``
prefix), or the welcome of a new account.
"""

from dataclasses import dataclass

from order_service.events import (
    ORDER_CANCELLED,
    ORDER_CONFIRMED,
    ORDER_DELIVERED,
    ORDER_REFUNDED,
    ORDER_REJECTED,
    ORDER_SHIPPED,
)

HEADLINES = {
    ORDER_CONFIRMED: "Thank you: your order is confirmed, and its payment authorised.",
    ORDER_REJECTED: "Sorry: we could not take your order.",
    ORDER_CANCELLED: "Your order has been cancelled: nothing is charged for it.",
    ORDER_SHIPPED: "Good news: your order is on its way, and its payment taken.",
    ORDER_DELIVERED: "Your order has arrived. Enjoy it!",
    ORDER_REFUNDED: "Your order has been refunded.",
}

# What a rejection reason means to the customer (any other is told as it is).
REASONS = {
    "payment_declined": "your payment method was declined; nothing is charged",
    "payment_unavailable": "we could not reach the payment provider; nothing is charged, please try again later",
}

WELCOME = "welcome"


@dataclass(frozen=True)
class Email:
    regarding_id: str  # the order or account it is about
    kind: str
    to: str
    subject: str
    body: str


def outcome_of(event_type):
    """``order_confirmed`` -> ``confirmed``: what an email reports, one per order and outcome."""
    return event_type.removeprefix("order_")


def order_email(event_type, order):
    """The email for ``order`` (as the event carries it) reaching the outcome of ``event_type``."""
    lines = [HEADLINES[event_type], ""]
    for item in order["items"]:
        price = f" at {item['unit_price']}" if item.get("unit_price") else ""
        lines.append(f"  {item['quantity']} x {item['sku']}{price}")
    if order.get("total"):
        currency = f" {order['currency']}" if order.get("currency") else ""
        lines.append("")
        if order.get("shipping_cost") is not None:
            lines += [f"Items: {order['items_total']}{currency}", f"Shipping: {order['shipping_cost']}{currency}"]
        lines.append(f"Total: {order['total']}{currency}")
    shipment = order.get("shipment") or {}
    if event_type == ORDER_SHIPPED and shipment.get("tracking_number"):
        lines += ["", f"Carrier: {shipment['carrier']}", f"Tracking number: {shipment['tracking_number']}"]
    payment = order.get("payment") or {}
    if event_type == ORDER_REFUNDED and payment.get("refunded"):
        lines += [f"Refunded: {payment['refunded']} {payment.get('currency') or ''}".rstrip()]
    if order.get("rejection_reason"):
        reason = order["rejection_reason"]
        lines += ["", f"Reason: {REASONS.get(reason, reason)}"]
    outcome = outcome_of(event_type)
    return Email(
        order["id"], outcome, order["customer_email"], f"Order {order['id']} {outcome}", "\n".join(lines) + "\n"
    )


def welcome_email(account):
    """The one email a new account gets (on ``account_registered``)."""
    body = (
        f"Welcome to the shop.\n\nYour account {account['email']} is ready: sign in to place orders.\n"
        "If you did not create it, ignore this email.\n"
    )
    return Email(account["id"], WELCOME, account["email"], "Welcome to the shop", body)
