"""What the payments service reads over RPC."""

from marshmallow import Schema, fields, validate

from shop_common.vocabulary.validation import MAX_AMOUNT, money_field

MAX_WEBHOOK_BYTES = 64 * 1024  # the provider's events are a few KiB


class RefundRequest(Schema):
    amount = money_field(maximum=MAX_AMOUNT, allow_none=True, load_default=None)


class ProviderEvent(Schema):
    payload = fields.String(required=True, validate=validate.Length(min=1, max=MAX_WEBHOOK_BYTES))
    signature = fields.String(required=True, validate=validate.Length(max=1000))  # empty: none was sent
