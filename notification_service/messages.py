"""What the customer is told for each order outcome. Plain Python, no I/O."""

CONFIRMED = "confirmed"
REJECTED = "rejected"
CANCELLED = "cancelled"
SHIPPED = "shipped"

_HEADLINES = {
    CONFIRMED: "Thank you: your order is confirmed.",
    REJECTED: "Sorry: we could not take your order.",
    CANCELLED: "Your order has been cancelled.",
    SHIPPED: "Good news: your order is on its way.",
}


def compose(kind, order):
    """Subject and body of the email for ``order`` (as the orders service dumps it)."""
    subject = f"Order {order['id']} {kind}"
    lines = [_HEADLINES[kind], ""]
    for item in order["items"]:
        price = f" at {item['unit_price']}" if item.get("unit_price") else ""
        lines.append(f"  {item['quantity']} x {item['sku']}{price}")
    if order.get("total"):
        lines += ["", f"Total: {order['total']}"]
    if order.get("rejection_reason"):
        lines += ["", f"Reason: {order['rejection_reason']}"]
    return subject, "\n".join(lines) + "\n"
