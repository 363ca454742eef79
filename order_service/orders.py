"""What the orders service does, as functions over a database session.

Each function leaves committing to its caller, so that the change and its
event leave together.
"""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from order_service import domain
from shop_common.lines import merge_lines
from order_service.exceptions import OrderNotFound, TransitionNotAllowed
from order_service.models import Order, OrderLine
from shop_common.clock import utc_now

LIST_LIMIT = 100


def place_order(session, customer_email, items, order_id=None):
    """A new pending order. ``order_id`` lets a caller make the call safe to repeat.

    Returns ``(order, placed_now)``; with an ``order_id`` that exists already,
    the existing order and False.
    """
    if order_id is not None:
        existing = session.get(Order, order_id)
        if existing is not None:
            return existing, False
    now = utc_now()
    order = Order(
        id=order_id or domain.new_order_id(),
        customer_email=customer_email.lower(),
        status=domain.PENDING,
        created_at=now,
        updated_at=now,
    )
    order.lines = [
        OrderLine(position=position, sku=line["sku"], quantity=line["quantity"])
        for position, line in enumerate(merge_lines(items))
    ]
    session.add(order)
    session.flush()
    return order, True


def find_order(session, order_id, for_update=False):
    query = select(Order).where(Order.id == order_id).options(joinedload(Order.lines))
    if for_update:
        query = query.with_for_update(of=Order)
    order = session.scalars(query).unique().first()
    if order is None:
        raise OrderNotFound(order_id)
    return order


def list_orders(session, customer_email=None, status=None):
    query = select(Order).order_by(Order.created_at.desc()).limit(LIST_LIMIT)
    if customer_email:
        query = query.where(Order.customer_email == customer_email.lower())
    if status:
        query = query.where(Order.status == status)
    return list(session.scalars(query))


def pending_orders(session, older_than_seconds=0):
    """Orders still pending after ``older_than_seconds``, oldest first."""
    cutoff = utc_now() - timedelta(seconds=older_than_seconds)
    query = (select(Order).where(Order.status == domain.PENDING, Order.created_at <= cutoff)
             .order_by(Order.created_at).limit(LIST_LIMIT))
    return list(session.scalars(query))


def _move(order, action):
    try:
        order.status = domain.next_status(order.status, action)
    except domain.TransitionRefused:
        raise TransitionNotAllowed(order.id, order.status, action) from None
    order.updated_at = utc_now()
    return order


def cancel_order(session, order_id):
    return _move(find_order(session, order_id, for_update=True), domain.CANCEL)


def ship_order(session, order_id):
    return _move(find_order(session, order_id, for_update=True), domain.SHIP)


def confirm_order(session, order_id, priced_items):
    """Confirm with the catalogue's prices; None if the order is no longer pending."""
    order = find_order(session, order_id, for_update=True)
    if order.status != domain.PENDING:
        return None
    prices = {item["sku"]: item["unit_price"] for item in priced_items}
    for line in order.lines:
        line.unit_price = prices[line.sku]
    order.total = domain.order_total(
        [{"quantity": line.quantity, "unit_price": line.unit_price} for line in order.lines]
    )
    return _move(order, domain.CONFIRM)


def reject_order(session, order_id, reason):
    """Reject with a reason; None if the order is no longer pending."""
    order = find_order(session, order_id, for_update=True)
    if order.status != domain.PENDING:
        return None
    order.rejection_reason = reason
    return _move(order, domain.REJECT)
