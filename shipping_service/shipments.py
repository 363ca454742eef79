"""What the shipping service does, as functions over a database session.

Each function that changes a shipment returns a ``Change`` and leaves committing to its caller, so that the change
and its event leave together. ``shipments.order_id`` is the primary key: an order has one shipment, ever.
"""

from logging import getLogger

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError

from shipping_service import addresses, domain
from shipping_service.exceptions import ShipmentNotFound, TrackingNumberInUse, TransitionNotAllowed
from shipping_service.models import ProcessedEvent, ProductWeight, RateBand, Shipment, ZoneCountry
from shop_common.persistence.models import first_delivery
from shop_common.vocabulary.change import Change
from shop_common.vocabulary.clock import utc_now
from shop_common.vocabulary.errors import InvalidInput

_log = getLogger(__name__)

CARRIER_EVENT_PREFIX = "carrier:"


def quote(session, address, lines, weights, countries, currency):
    """What shipping ``lines`` (``{sku, quantity}``, weighed by ``weights``: sku -> grams) to ``address`` costs:
    ``{shipping_address (normalised), weight_grams, shipping_cost, currency}``."""
    address = addresses.normalised(address, countries)
    grams = domain.parcel_weight(lines, weights)
    bands = session.execute(
        select(RateBand.up_to_grams, RateBand.cost)
        .join(ZoneCountry, ZoneCountry.zone == RateBand.zone)
        .where(ZoneCountry.country_code == address["country_code"])
    ).all()
    if not bands:
        raise InvalidInput(
            "the shipping address does not hold",
            {addresses.FIELD: {"country_code": [f"the shop has no rate for {address['country_code']} yet"]}},
        )
    return {
        "shipping_address": address,
        "weight_grams": grams,
        "shipping_cost": domain.shipping_cost(bands, grams),
        "currency": currency,
    }


def record_weight(session, sku, weight_grams, weighed_at):
    """The catalogue's weight of ``sku``, unless the one held is as new or newer (events overtake each other)."""
    statement = insert(ProductWeight).values(sku=sku, weight_grams=weight_grams, weighed_at=weighed_at)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[ProductWeight.sku],
            set_={"weight_grams": weight_grams, "weighed_at": weighed_at},
            where=ProductWeight.weighed_at < statement.excluded.weighed_at,
        )
    )


def known_weights(session, skus):
    """sku -> grams of those of ``skus`` whose weight the catalogue told."""
    return dict(
        session.execute(select(ProductWeight.sku, ProductWeight.weight_grams).where(ProductWeight.sku.in_(skus))).all()
    )


def open_shipment(session, order_id, shipping_address):
    """The order's shipment, awaiting dispatch to ``shipping_address``; nothing happens when it has one already
    (opened, or cancelled before it was opened)."""
    return open_shipments(session, [(order_id, shipping_address)])[0]


def open_shipments(session, orders):
    """``open_shipment`` for each ``(order_id, shipping_address)`` of ``orders``: the shipments inserted in one
    statement, then read and locked in one. The changes, in the same order (an order there twice opens once)."""
    addresses_by_order = dict(reversed(orders))  # each order's first address
    now = utc_now()
    opened = set(
        session.scalars(
            insert(Shipment)
            .values(
                [
                    {
                        "order_id": order_id,
                        "status": domain.AWAITING_DISPATCH,
                        "shipping_address": address,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for order_id, address in addresses_by_order.items()
                ]
            )
            .on_conflict_do_nothing()
            .returning(Shipment.order_id)
        )
    )
    shipments = _locked_shipments(session, addresses_by_order)
    changes = []
    for order_id, _ in orders:
        changes.append(Change(shipments[order_id], order_id in opened))
        opened.discard(order_id)
    return changes


def dispatch(session, order_id, shipping_address, carrier, tracking_number):
    """The order's parcel handed to ``carrier`` under ``tracking_number`` (opened now if the order's confirmation
    has not arrived yet). Asked again with the same carrier and number, the shipment as it is."""
    shipment = open_shipment(session, order_id, shipping_address).subject
    if shipment.status != domain.AWAITING_DISPATCH and (shipment.carrier, shipment.tracking_number) == (
        carrier,
        tracking_number,
    ):
        return Change(shipment, False)
    _check_tracking_number_free(session, order_id, tracking_number)
    change = _move(shipment, domain.DISPATCH)
    shipment.carrier, shipment.tracking_number, shipment.dispatched_at = carrier, tracking_number, shipment.updated_at
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # another shipment took the number at this very moment
        raise TrackingNumberInUse(tracking_number) from None
    return change


def _check_tracking_number_free(session, order_id, tracking_number):
    holder = session.scalar(select(Shipment.order_id).where(Shipment.tracking_number == tracking_number))
    if holder not in (None, order_id):
        raise TrackingNumberInUse(tracking_number)


def deliver(session, order_id, delivered_at=None):
    """The order's parcel arrived (at ``delivered_at``: now when not told); nothing happens when it was said so."""
    return _deliver(find_shipment(session, order_id, for_update=True), delivered_at)


def _deliver(shipment, delivered_at):
    if shipment.status == domain.DELIVERED:
        return Change(shipment, False)
    change = _move(shipment, domain.DELIVER)
    shipment.delivered_at = delivered_at or shipment.updated_at
    return change


def follow_carrier(session, update):
    """A carrier's ``update`` (``CarrierUpdate``), applied once per event id: a delivery of a parcel the shop sent
    delivers its shipment. ``(Change, outcome)``: applied, repeated, or ignored (another status, a tracking number
    the shop does not know, a parcel not on its way)."""
    if not first_delivery(session, ProcessedEvent, CARRIER_EVENT_PREFIX + update["event_id"]):
        return Change(None, False), "repeated"
    shipment = session.scalars(
        select(Shipment).where(Shipment.tracking_number == update["tracking_number"]).with_for_update()
    ).first()
    if (
        update["status"] != domain.DELIVERED
        or shipment is None
        or shipment.status not in (domain.DISPATCHED, domain.DELIVERED)
    ):
        _log.warning(
            "carrier update %s (%s of %s) changes nothing",
            update["event_id"],
            update["status"],
            update["tracking_number"],
        )
        return Change(shipment, False), "ignored"
    return _deliver(shipment, update["occurred_at"]), "applied"


def cancel(session, order_id):
    """The order ended before its parcel left: its shipment is cancelled (a tombstone stands in for one not opened
    yet, so a late confirmation opens none). A parcel already on its way is left as it is, and logged."""
    now = utc_now()
    tombstone = session.execute(
        insert(Shipment)
        .values(order_id=order_id, status=domain.CANCELLED, created_at=now, updated_at=now)
        .on_conflict_do_nothing()
        .returning(Shipment.order_id)
    ).first()
    shipment = find_shipment(session, order_id, for_update=True)
    if tombstone is not None or shipment.status == domain.CANCELLED:
        return Change(shipment, tombstone is not None)
    if shipment.status != domain.AWAITING_DISPATCH:
        _log.warning("order %s ended, and its parcel is %s: left as it is", order_id, shipment.status)
        return Change(shipment, False)
    return _move(shipment, domain.CANCEL)


def _move(shipment, action):
    try:
        shipment.status = domain.next_status(shipment.status, action)
    except domain.TransitionRefused:
        raise TransitionNotAllowed(shipment.order_id, shipment.status, action) from None
    shipment.updated_at = utc_now()
    return Change(shipment, True)


def _locked_shipments(session, order_ids):
    query = select(Shipment).where(Shipment.order_id.in_(sorted(order_ids))).order_by(Shipment.order_id)
    return {shipment.order_id: shipment for shipment in session.scalars(query.with_for_update())}


def find_shipment(session, order_id, for_update=False):
    query = select(Shipment).where(Shipment.order_id == order_id)
    if for_update:
        query = query.with_for_update()
    shipment = session.scalars(query).first()
    if shipment is None:
        raise ShipmentNotFound(order_id)
    return shipment


def list_shipments(session, limit, status=None, after=None):
    """Up to ``limit`` shipments, oldest first (the next to dispatch), after the position ``after``."""
    query = select(Shipment).order_by(Shipment.created_at, Shipment.order_id).limit(limit)
    if status:
        query = query.where(Shipment.status == status)
    if after:
        query = query.where(tuple_(Shipment.created_at, Shipment.order_id) > (after["created_at"], after["order_id"]))
    return list(session.scalars(query))


def rate_table(session):
    """``{zones: {country: zone}, bands: [{zone, up_to_grams, cost}]}``."""
    zones = dict(session.execute(select(ZoneCountry.country_code, ZoneCountry.zone)).all())
    bands = [
        {"zone": zone, "up_to_grams": grams, "cost": cost}
        for zone, grams, cost in session.execute(
            select(RateBand.zone, RateBand.up_to_grams, RateBand.cost).order_by(RateBand.zone, RateBand.up_to_grams)
        )
    ]
    return {"zones": zones, "bands": bands}


def replace_rates(session, zones, bands):
    """The rate table, all of it at once (a quote sees the old one or the new one, never a mix)."""
    problems = domain.rate_table_problems(zones, bands)
    if problems:
        raise InvalidInput("the rate table does not hold", problems)
    session.execute(delete(RateBand))
    session.execute(delete(ZoneCountry))
    session.add_all(ZoneCountry(country_code=country, zone=zone) for country, zone in zones.items())
    session.add_all(RateBand(**band) for band in bands)
    session.flush()
    return rate_table(session)
