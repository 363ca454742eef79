"""What the orders service does, as functions over a database session.

Each function that changes an order returns a ``Change`` and leaves
committing to its caller, so that the change and its event leave together.
"""

from datetime import timedelta
from logging import getLogger

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from order_service import domain, statuses
from order_service.exceptions import IdempotencyKeyReused, OrderNotFound, TransitionNotAllowed
from order_service.models import Order, OrderLine
from shop_common.identity.caller import OPERATOR
from shop_common.persistence.database import lost_connection
from shop_common.vocabulary.change import Change
from shop_common.vocabulary.clock import utc_now

_log = getLogger(__name__)

PENDING_LIST_LIMIT = 100


def place_order(
    session,
    caller,
    customer_id,
    customer_email,
    items,
    payment_method,
    currency,
    shipping_address,
    shipping_cost,
    order_id=None,
    fingerprint=None,
):
    """A new pending order of the account ``customer_id``, to be paid with ``payment_method`` in ``currency`` and
    sent to ``shipping_address`` (normalised) for ``shipping_cost`` (both as the customer accepted them).
    ``order_id`` lets a caller make the call safe to repeat.

    ``caller`` must act for that account (``Forbidden`` otherwise).

    With an ``order_id`` that exists already (placed before, or by a delivery
    of the same call at this very moment), the existing order, not placed now;
    ``IdempotencyKeyReused`` when it was placed by a request with another
    ``fingerprint``.
    """
    caller.require(caller.may_act_for(customer_id), "place an order for another account")
    now = utc_now()
    order_id = order_id or domain.new_order_id()
    placed = session.scalars(
        insert(Order)
        .values(
            id=order_id,
            customer_id=customer_id,
            customer_email=customer_email,
            status=statuses.PENDING,
            created_at=now,
            updated_at=now,
            request_fingerprint=fingerprint,
            payment_method=payment_method,
            currency=currency,
            shipping_address=shipping_address,
            shipping_cost=shipping_cost,
        )
        .on_conflict_do_nothing()
        .returning(Order)
        .options(lazyload(Order.lines))  # not its eager loader's SELECT: a new order has no lines yet
    ).first()
    if placed is None:
        existing = find_order(session, order_id, caller)
        if fingerprint is not None and existing.request_fingerprint not in (None, fingerprint):
            raise IdempotencyKeyReused(order_id)
        return Change(existing, False)
    set_committed_value(placed, "lines", [])
    placed.lines.extend(
        OrderLine(order_id=order_id, position=position, sku=line["sku"], quantity=line["quantity"])
        for position, line in enumerate(domain.merge_lines(items))
    )
    session.flush()
    return Change(placed, True)


def find_order(session, order_id, caller, for_update=False):
    """The order, if ``caller`` may see it: ``OrderNotFound`` alike when it does not exist and when it is another's."""
    query = select(Order).where(Order.id == order_id).options(joinedload(Order.lines))
    if for_update:
        query = query.with_for_update(of=Order)
    order = session.scalars(query).unique().first()
    if order is None or not caller.may_act_for(order.customer_id):
        raise OrderNotFound(order_id)
    return order


def list_orders(session, caller, limit, customer_id=None, customer_email=None, status=None, after=None):
    """Up to ``limit`` orders, newest first, after the position ``after``; a customer's own alone."""
    if not caller.is_staff:
        caller.require(caller.is_signed_in, "list orders")
        customer_id = caller.account_id
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    if customer_id:
        query = query.where(Order.customer_id == customer_id)
    if customer_email:
        query = query.where(Order.customer_email == customer_email)
    if status:
        query = query.where(Order.status == status)
    if after:
        query = query.where(tuple_(Order.created_at, Order.id) < (after["created_at"], after["id"]))
    return list(session.scalars(query))


def pending_orders(session, caller, older_than_seconds=0):
    """Orders still pending after ``older_than_seconds``, oldest first (for staff)."""
    caller.require(caller.is_staff, "list pending orders")
    cutoff = utc_now() - timedelta(seconds=older_than_seconds)
    query = (
        select(Order)
        .where(Order.status == statuses.PENDING, Order.created_at <= cutoff)
        .order_by(Order.created_at)
        .limit(PENDING_LIST_LIMIT)
    )
    return list(session.scalars(query))


def backlog(session):
    """How many orders are pending, and how long the oldest has waited in seconds (0 with none)."""
    count, oldest = session.execute(
        select(func.count(), func.min(Order.created_at)).where(Order.status == statuses.PENDING)
    ).one()
    return {"pending_orders": count, "oldest_pending_seconds": (utc_now() - oldest).total_seconds() if oldest else 0.0}


def pending_backlog(session):
    """``backlog`` as the metrics name it."""
    figures = backlog(session)
    return {
        "shop_pending_orders": {(): figures["pending_orders"]},
        "shop_pending_orders_oldest_age_seconds": {(): figures["oldest_pending_seconds"]},
    }


def _move(order, action):
    try:
        order.status = domain.next_status(order.status, action)
    except domain.TransitionRefused:
        raise TransitionNotAllowed(order.id, order.status, action) from None
    order.updated_at = utc_now()
    return Change(order, True)


def cancel_order(session, caller, order_id):
    return _move(find_order(session, order_id, caller, for_update=True), domain.CANCEL)


def _order_that_may(session, caller, order_id, action, may, for_update=False):
    """The order, if staff may take ``action`` on it now (``may``: by its status); ``TransitionNotAllowed``
    otherwise."""
    caller.require(caller.is_staff, f"{action} an order")
    order = find_order(session, order_id, caller, for_update=for_update)
    if not may(order.status):
        raise TransitionNotAllowed(order.id, order.status, action)
    return order


def shippable_order(session, caller, order_id):
    """The order, locked until the transaction ends, if staff may ship it now: so no cancel slips in between
    its dispatch and its shipping."""
    return _order_that_may(session, caller, order_id, domain.SHIP, domain.may_ship, for_update=True)


def deliverable_order(session, caller, order_id):
    return _order_that_may(session, caller, order_id, domain.DELIVER, domain.may_deliver, for_update=True)


def refundable_order(session, caller, order_id):
    """The order, if staff may refund it now: shipped or delivered."""
    return _order_that_may(session, caller, order_id, domain.REFUND, domain.may_refund)


def locked_orders(session, order_ids):
    """``{order_id: order}`` of every order of ``order_ids``, with its lines, locked until the transaction ends (in
    id order: two transactions locking some of the same orders never wait on each other in a circle);
    ``OrderNotFound`` for the first that does not exist."""
    wanted = sorted(set(order_ids))
    query = (
        select(Order)
        .where(Order.id.in_(wanted))
        .order_by(Order.id)
        .options(joinedload(Order.lines))
        .with_for_update(of=Order)
    )
    found = {order.id: order for order in session.scalars(query).unique()}
    for order_id in wanted:
        if order_id not in found:
            raise OrderNotFound(order_id)
    return found


def price_order(session, order_id, reserved_items):
    """Price the order at the reserved prices, so that its payment can be asked for; nothing happens when the
    order no longer awaits stock.

    An order the reservation cannot price, for a reason the rules foresee
    (``domain.Unconfirmable``) or any other that is not a lost connection, is
    rejected with a reason instead: it never stays pending.
    """
    return price_orders(session, [(order_id, reserved_items)])[0]


def price_orders(session, reservations):
    """``price_order`` for each ``(order_id, reserved_items)``, the orders read and locked in one statement; the
    changes in the same order."""
    orders = locked_orders(session, [order_id for order_id, _ in reservations])
    return [_price(session, orders[order_id], reserved_items) for order_id, reserved_items in reservations]


def _price(session, order, reserved_items):
    if not domain.awaits_stock(order.status, order.total):
        return Change(order, False)
    lines = [{"sku": line.sku, "quantity": line.quantity} for line in order.lines]
    try:
        with session.begin_nested():
            priced = domain.priced_lines(lines, reserved_items, order.shipping_cost)
            for line, priced_line in zip(order.lines, priced, strict=True):
                line.unit_price = priced_line["unit_price"]
            order.total = domain.order_total(priced, order.shipping_cost)
            order.updated_at = utc_now()
            session.flush()
        return Change(order, True)
    except domain.Unconfirmable as refused:
        reason = refused.reason
    except Exception as error:
        if lost_connection(error):
            raise
        _log.exception("order %s could not be priced; it is rejected", order.id)
        reason = "the order could not be confirmed"
    order.total = None
    return _reject(order, reason)


def reject_order(session, order_id, reason):
    """Reject with a reason; nothing happens when the order no longer awaits stock."""
    return reject_orders(session, [(order_id, reason)])[0]


def reject_orders(session, refusals):
    """``reject_order`` for each ``(order_id, reason)``, the orders read and locked in one statement."""
    orders = locked_orders(session, [order_id for order_id, _ in refusals])
    return [_reject_unless_decided(orders[order_id], reason) for order_id, reason in refusals]


def _reject_unless_decided(order, reason):
    if not domain.awaits_stock(order.status, order.total):
        return Change(order, False)
    return _reject(order, reason)


def _reject(order, reason):
    order.rejection_reason = reason
    return _move(order, domain.REJECT)


def follow_payment(session, payment):
    """The order's copy of its payment (``payment``, as the payments service tells it), and what the payment's
    new status does to the order (``domain.payment_action``): confirmed once authorised, rejected when declined or
    unavailable, cancelled when the provider let the authorisation go, refunded once given back in full."""
    return follow_payments(session, [payment])[0]


def follow_payments(session, payments):
    """``follow_payment`` for each of ``payments``, the orders read and locked in one statement."""
    orders = locked_orders(session, [payment["order_id"] for payment in payments])
    return [_follow_payment(orders[payment["order_id"]], payment) for payment in payments]


def _follow_payment(order, payment):
    told_at = payment.get("updated_at")
    if told_at and order.payment_updated_at and told_at < order.payment_updated_at:
        return Change(order, False)  # an older word of the payment than the one the order holds (events overtake)
    order.payment_status = payment["status"]
    order.payment_reference = payment["reference"]
    order.payment_refunded = payment["refunded"]
    order.payment_updated_at = told_at
    order.updated_at = utc_now()
    action = domain.payment_action(payment["status"], order.status)
    if action is None:
        return Change(order, False)
    action, reason = action
    if reason is not None:
        return _reject(order, reason)
    return _move(order, action)


def follow_shipment(session, shipment):
    """The order's copy of its shipment (``shipment``, as the shipping service tells it), and what the shipment's
    new status does to the order (``domain.shipment_action``): shipped once dispatched, delivered once arrived."""
    order = find_order(session, shipment["order_id"], OPERATOR, for_update=True)
    told_at = shipment.get("updated_at")
    if told_at and order.shipment_updated_at and told_at <= order.shipment_updated_at:
        return Change(order, False)  # this word of the shipment, or an older one, is held already
    action = domain.shipment_action(shipment["status"], order.status)
    order.shipment_status = shipment["status"]
    order.carrier = shipment["carrier"]
    order.tracking_number = shipment["tracking_number"]
    order.dispatched_at = shipment["dispatched_at"]
    order.delivered_at = shipment["delivered_at"]
    order.shipment_updated_at = told_at
    order.updated_at = utc_now()
    return Change(order, False) if action is None else _move(order, action)
