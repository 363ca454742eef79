"""What the inventory service does, as functions over a database session.

Every change to stock locks the product rows it touches (in sku order, so two
transactions never wait on each other in a circle) and leaves committing to
its caller. ``reservations.order_id`` is the primary key, so an order is
decided once, also when two instances see it at the same moment.
"""

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from inventory_service import domain, statuses
from inventory_service.exceptions import ProductAlreadyExists, ProductNotFound
from inventory_service.models import Product, Reservation, ReservationLine
from shop_common.vocabulary.change import Change
from shop_common.vocabulary.clock import utc_now


def create_product(session, sku, name, price, stock, weight_grams):
    now = utc_now()
    created = session.execute(
        insert(Product)
        .values(sku=sku, name=name, price=price, stock=stock, weight_grams=weight_grams, created_at=now, updated_at=now)
        .on_conflict_do_nothing()
        .returning(Product.sku)
    ).first()
    if created is None:
        raise ProductAlreadyExists(sku)
    return session.get(Product, sku)


def weigh_product(session, sku, weight_grams):
    """The product's weight (of one unit), as staff weighed it."""
    product = find_product(session, sku, for_update=True)
    product.weight_grams = weight_grams
    product.updated_at = utc_now()
    return product


def find_product(session, sku, for_update=False):
    query = select(Product).where(Product.sku == sku)
    if for_update:
        query = query.with_for_update()
    product = session.scalars(query).first()
    if product is None:
        raise ProductNotFound(sku)
    return product


def products_with_skus(session, skus):
    return list(session.scalars(select(Product).where(Product.sku.in_(skus)).order_by(Product.sku)))


def list_products(session, limit, after=None):
    """Up to ``limit`` products by sku, from the one after ``after``."""
    query = select(Product).order_by(Product.sku).limit(limit)
    if after is not None:
        query = query.where(Product.sku > after)
    return list(session.scalars(query))


def restock(session, sku, quantity):
    product = find_product(session, sku, for_update=True)
    held = session.scalar(
        select(func.coalesce(func.sum(ReservationLine.quantity), 0))
        .join(Reservation)
        .where(ReservationLine.sku == sku, Reservation.status == statuses.RESERVED)
    )
    domain.check_restock(sku, product.stock, held, quantity)
    product.stock += quantity
    product.updated_at = utc_now()
    return product


def _lock_products(session, skus):
    if not skus:
        return {}
    query = select(Product).where(Product.sku.in_(sorted(skus))).order_by(Product.sku).with_for_update()
    return {product.sku: product for product in session.scalars(query)}


def _claim_reservations(session, order_ids, status):
    """Insert a reservation row for each order of ``order_ids``, in one statement: ``{order_id: reservation}`` of
    those claimed now; an order decided before has none."""
    now = utc_now()
    claimed = session.scalars(
        insert(Reservation)
        .values(
            [{"order_id": order_id, "status": status, "created_at": now, "updated_at": now} for order_id in order_ids]
        )
        .on_conflict_do_nothing()
        .returning(Reservation)
        .options(lazyload(Reservation.lines))  # not the SELECT of its eager loader: a new reservation holds nothing
    ).all()
    for reservation in claimed:
        set_committed_value(reservation, "lines", [])
    return {reservation.order_id: reservation for reservation in claimed}


def _claim_reservation(session, order_id, status):
    """Insert the order's reservation row; None when the order was decided before."""
    return _claim_reservations(session, [order_id], status).get(order_id)


def _locked_reservations(session, order_ids):
    if not order_ids:
        return {}
    query = select(Reservation).where(Reservation.order_id.in_(sorted(order_ids))).order_by(Reservation.order_id)
    return {reservation.order_id: reservation for reservation in session.scalars(query.with_for_update())}


def _locked_reservation(session, order_id):
    return _locked_reservations(session, [order_id]).get(order_id)


def reserve(session, order_id, items):
    """Hold stock for every line, or for none (``reservation.shortages`` then says what was short).

    Nothing happens when the order had been decided before (reserved, refused or cancelled).
    """
    return reserve_all(session, [(order_id, items)])[0]


def reserve_all(session, orders):
    """``reserve`` for each ``(order_id, items)`` of ``orders``, in that order (an order takes the stock those
    before it left), with set-based statements: the reservations claimed in one, the products of them all locked
    in one, the lines inserted in one. The changes, in the same order."""
    order_ids = list(dict.fromkeys(order_id for order_id, _ in orders))
    claimed = _claim_reservations(session, order_ids, statuses.RESERVED)
    decided = _locked_reservations(session, [order_id for order_id in order_ids if order_id not in claimed])
    requested = {order_id: domain.requested_by_sku(items) for order_id, items in orders if order_id in claimed}
    products = _lock_products(session, {sku for wanted in requested.values() for sku in wanted})
    changes = []
    for order_id, _ in orders:
        reservation = claimed.pop(order_id, None)
        if reservation is None:  # decided before, or by this batch's first event of the same order
            changes.append(Change(decided.get(order_id) or _reservation_of(changes, order_id), False))
        else:
            changes.append(Change(_hold(reservation, requested[order_id], products), True))
    session.flush()
    return changes


def _reservation_of(changes, order_id):
    return next(change.subject for change in changes if change.subject.order_id == order_id)


def _hold(reservation, requested, products):
    """Hold ``requested`` (sku -> units) of the locked ``products`` for ``reservation``, or refuse it."""
    shortages = domain.find_shortages({sku: products[sku].stock for sku in requested if sku in products}, requested)
    if shortages:
        reservation.status = statuses.REFUSED
        reservation.reason = domain.describe_shortages(shortages, products.keys())
        reservation.shortages = shortages
        return reservation
    for sku, units in requested.items():
        product = products[sku]
        product.stock -= units
        product.updated_at = reservation.updated_at
        reservation.lines.append(ReservationLine(sku=sku, quantity=units, unit_price=product.price))
    return reservation


def release(session, order_id):
    """Give an order's held stock back; nothing happens unless it holds some.

    An order cancelled before it was reserved leaves a ``released`` row, so a
    reservation that arrives late holds nothing.
    """
    reservation = _claim_reservation(session, order_id, statuses.RELEASED)
    if reservation is not None:
        return Change(reservation, False)
    reservation = _locked_reservation(session, order_id)
    if reservation.status != statuses.RESERVED:
        return Change(reservation, False)
    products = _lock_products(session, [line.sku for line in reservation.lines])
    now = utc_now()
    for line in reservation.lines:
        products[line.sku].stock += line.quantity
        products[line.sku].updated_at = now
    reservation.status = statuses.RELEASED
    reservation.updated_at = now
    return Change(reservation, True)


def complete_sale(session, order_id):
    """The order shipped: its held stock is sold; nothing happens unless it holds some."""
    reservation = _locked_reservation(session, order_id)
    if reservation is None or reservation.status != statuses.RESERVED:
        return Change(reservation, False)
    reservation.status = statuses.SOLD
    reservation.updated_at = utc_now()
    return Change(reservation, True)
