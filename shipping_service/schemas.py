"""What the shipping service reads over RPC, and the shapes of its answers."""

from marshmallow import EXCLUDE, Schema, fields, validate

from shipping_service.domain import MAX_BAND_GRAMS
from shipping_service.events import AddressCopy, ShipmentSnapshot
from shipping_service.statuses import MAX_RATE, STATUSES
from shop_common.vocabulary.validation import (
    MAX_CARRIER,
    MAX_TRACKING_NUMBER,
    PostalAddress,
    id_field,
    lines_field,
    money_field,
    page_size_field,
    text_field,
)

MAX_WEBHOOK_BYTES = 16 * 1024  # a carrier's update is a few hundred bytes
MAX_CARRIER_EVENT_ID = 56  # stored as ``carrier:<id>`` among the orders' event ids


class QuoteRequest(Schema):
    shipping_address = fields.Nested(PostalAddress, required=True)
    items = lines_field()


class DispatchRequest(Schema):
    shipping_address = fields.Nested(AddressCopy, required=True)
    carrier = text_field(MAX_CARRIER, required=True)
    tracking_number = text_field(MAX_TRACKING_NUMBER, required=True)


class ShipmentPosition(Schema):
    """Where a page of shipments ends: the last one's ``created_at`` and ``order_id``."""

    created_at = fields.AwareDateTime(required=True)
    order_id = id_field()


class ShipmentQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    limit = page_size_field()
    after = fields.Nested(ShipmentPosition, load_default=None)


class CarrierWebhook(Schema):
    payload = fields.String(required=True, validate=validate.Length(min=1, max=MAX_WEBHOOK_BYTES))
    signature = fields.String(required=True, validate=validate.Length(max=1000))  # empty: none was sent


class CarrierUpdate(Schema):
    """A carrier's status update; fields the shop does not read are let be (a carrier may add some)."""

    class Meta:
        unknown = EXCLUDE

    event_id = fields.String(required=True, validate=validate.Length(min=1, max=MAX_CARRIER_EVENT_ID))
    tracking_number = text_field(MAX_TRACKING_NUMBER, required=True)
    status = text_field(32, required=True)
    occurred_at = fields.AwareDateTime(required=True)


class RateBandInput(Schema):
    zone = text_field(32, required=True)
    up_to_grams = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_BAND_GRAMS))
    cost = money_field(minimum=0, maximum=MAX_RATE, required=True)


class RateTable(Schema):
    zones = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[A-Z]{2}$")),
        values=text_field(32),
        required=True,
        validate=validate.Length(min=1),
    )
    bands = fields.List(fields.Nested(RateBandInput), required=True, validate=validate.Length(min=1, max=1000))


class ShipmentOutput(ShipmentSnapshot):
    shipping_address = fields.Nested(AddressCopy, allow_none=True)
    created_at = fields.AwareDateTime()


shipment_output = ShipmentOutput()
