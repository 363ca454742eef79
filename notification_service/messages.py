"""What the customer is told for each order event. Plain Python, no I/O.

Messages are keyed by the event that reports the outcome; the outcome's word
(``confirmed``, ...) is the event's name without its ``order_`` prefix.
"""

from order_service.events import ORDER_CANCELLED, ORDER_CONFIRMED, ORDER_REJECTED, ORDER_SHIPPED

HEADLINES = {
    ORDER_CONFIRMED: "Thank you: your order is confirmed.",
    ORDER_REJECTED: "Sorry: we could not take your order.",
    ORDER_CANCELLED: "Your order has been cancelled.",
    ORDER_SHIPPED: "Good news: your order is on its way.",
}


def outcome_of(event_type):
    """``order_confirmed`` -> ``confirmed``: what an email reports, one per order and outcome."""
    return event_type.removeprefix("order_")


def compose(event_type, order):
    """Subject and body of the email for ``order`` (as the event carries it)."""
    subject = f"Order {order['id']} {outcome_of(event_type)}"
    lines = [HEADLINES[event_type], ""]
    for item in order["items"]:
        price = f" at {item['unit_price']}" if item.get("unit_price") else ""
        lines.append(f"  {item['quantity']} x {item['sku']}{price}")
    if order.get("total"):
        lines += ["", f"Total: {order['total']}"]
    if order.get("rejection_reason"):
        lines += ["", f"Reason: {order['rejection_reason']}"]
    return subject, "\n".join(lines) + "\n"
