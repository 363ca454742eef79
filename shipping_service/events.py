"""The shipping service's contract: what other services import.

An address (``PostalAddress``, as a customer gives it) is checked by the
shipping service's ``quote`` against its country's rules and answered
normalised (``AddressCopy``, as orders keep it), with the parcel's cost
(``Quote``).

Published on the ``shipping`` events exchange, every payload is
``{"event_id", "occurred_at", "shipment": <ShipmentSnapshot>}``, the order's
shipment right after it changed:

- ``shipment_dispatched``: handed to ``carrier`` under ``tracking_number``;
- ``shipment_delivered``: the carrier (or staff) says it arrived.

Fields may be added, never taken away.
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from shipping_service.statuses import AWAITING_DISPATCH as AWAITING_DISPATCH  # the status a shipment starts in
from shipping_service.statuses import DELIVERED, DISPATCHED, MAX_RATE, STATUSES
from shop_common.vocabulary.events import EventEnvelope, new_event
from shop_common.vocabulary.validation import MAX_CARRIER, MAX_TRACKING_NUMBER, PostalAddress, id_field, money_field

SOURCE = "shipping"

SHIPMENT_DISPATCHED = "shipment_dispatched"
SHIPMENT_DELIVERED = "shipment_delivered"

EVENT_OF_STATUS = {DISPATCHED: SHIPMENT_DISPATCHED, DELIVERED: SHIPMENT_DELIVERED}


class AddressCopy(PostalAddress):
    """A normalised address as an event or an answer carries it."""

    class Meta:
        unknown = EXCLUDE


class Quote(Schema):
    """What shipping an order costs: ``quote``'s answer."""

    class Meta:
        unknown = EXCLUDE

    shipping_address = fields.Nested(AddressCopy, required=True)
    weight_grams = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    shipping_cost = money_field(minimum=0, maximum=MAX_RATE, required=True)
    currency = fields.String(required=True, validate=validate.Length(equal=3))


class ShipmentSnapshot(Schema):
    class Meta:
        unknown = EXCLUDE

    order_id = id_field()
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    carrier = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=MAX_CARRIER))
    tracking_number = fields.String(
        allow_none=True, load_default=None, validate=validate.Length(max=MAX_TRACKING_NUMBER)
    )
    dispatched_at = fields.AwareDateTime(allow_none=True, load_default=None)
    delivered_at = fields.AwareDateTime(allow_none=True, load_default=None)
    updated_at = fields.AwareDateTime(allow_none=True, load_default=None)  # orders keep the latest word alone


class ShipmentEvent(EventEnvelope):
    shipment = fields.Nested(ShipmentSnapshot, required=True)


_snapshot = ShipmentSnapshot()


def snapshot(shipment):
    return _snapshot.dump(shipment)


def shipment_event(shipment):
    """The event type and payload that tell of ``shipment`` reaching its status; None for a status no one is told
    of (awaiting dispatch, cancelled)."""
    event_type = EVENT_OF_STATUS.get(shipment.status)
    return event_type and (event_type, new_event(shipment=snapshot(shipment)))
