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
    query = select(Product).where(Product.sku.in_(sorted(skus))).order_by(Product.sku).with_for_update()
    return {product.sku: product for product in session.scalars(query)}


def _claim_reservation(session, order_id, status):
    """Insert the order's reservation row; None when the order was decided before."""
    now = utc_now()
    reservation = session.scalars(
        insert(Reservation)
        .values(order_id=order_id, status=status, created_at=now, updated_at=now)
        .on_conflict_do_nothing()
        .returning(Reservation)
        .options(lazyload(Reservation.lines))  # not the SELECT of its eager loader: a new reservation holds nothing
    ).first()
    if reservation is not None:
        set_committed_value(reservation, "lines", [])
    return reservation


def _locked_reservation(session, order_id):
    return session.scalars(select(Reservation).where(Reservation.order_id == order_id).with_for_update()).first()


def reserve(session, order_id, items):
    """Hold stock for every line, or for none (``reservation.shortages`` then says what was short).

    Nothing happens when the order had been decided before (reserved, refused or cancelled).
    """
    reservation = _claim_reservation(session, order_id, statuses.RESERVED)
    if reservation is None:
        return Change(_locked_reservation(session, order_id), False)
    requested = domain.requested_by_sku(items)
    products = _lock_products(session, requested)
    shortages = domain.find_shortages({sku: p.stock for sku, p in products.items()}, requested)
    if shortages:
        reservation.status = statuses.REFUSED
        reservation.reason = domain.describe_shortages(shortages, products.keys())
        reservation.shortages = shortages
        return Change(reservation, True)
    for sku, units in requested.items():
        product = products[sku]
        product.stock -= units
        product.updated_at = reservation.updated_at
        reservation.lines.append(ReservationLine(sku=sku, quantity=units, unit_price=product.price))
    session.flush()
    return Change(reservation, True)


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
