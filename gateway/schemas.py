"""The gateway's HTTP contract: what a client may send, what it gets back.

The gateway owns these, apart from the services' RPC contracts: a field a
service adds to its answers reaches clients only once it is added here, and
a rule a service enforces (a product's stock limit, say) still reaches the
client as a 400 naming the field. Unknown fields are refused, so a client
cannot set what is not its to set (an order's customer, status or total,
an account's role). The same schemas make the published OpenAPI document.
"""

from marshmallow import Schema, fields, validate

from shop_common.vocabulary.validation import (
    MAX_AMOUNT,
    MAX_CARRIER,
    MAX_PAGE_SIZE,
    MAX_TRACKING_NUMBER,
    EmailAddress,
    PostalAddress,
    id_field,
    lines_field,
    money_field,
    password_field,
    payment_method_field,
    sku_field,
    text_field,
    weight_field,
)

ORDER_STATUSES = ("pending", "confirmed", "rejected", "cancelled", "shipped", "delivered", "refunded")
PAYMENT_STATUSES = ("authorised", "captured", "voided", "refunded", "declined", "failed")
SHIPMENT_STATUSES = ("awaiting_dispatch", "dispatched", "delivered", "cancelled")
ROLES = ("customer", "staff")
DEFAULT_PAGE_SIZE = 20


# What a client sends


class NewAccount(Schema):
    email = EmailAddress(required=True)
    password = password_field()


class Credentials(Schema):
    email = EmailAddress(required=True)
    password = password_field(min_length=1)


class RefreshRequest(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"secret": True})


class NewProduct(Schema):
    sku = sku_field()
    name = text_field(200, required=True)
    price = money_field(required=True)
    stock = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    weight_grams = weight_field(required=True)


class Restock(Schema):
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class NewOrder(Schema):
    """The customer is the caller: an order names its lines and how it is paid."""

    items = lines_field()
    payment_method = payment_method_field(
        "the payment provider's id of the customer's payment method (Stripe.js gives it; test ids such as "
        "pm_card_visa work in test mode); never a card number, which is refused"
    )
    shipping_address = fields.Nested(PostalAddress, required=True)


class QuoteRequest(Schema):
    """Where the items would go."""

    shipping_address = fields.Nested(PostalAddress, required=True)
    items = lines_field()


class ShipRequest(Schema):
    carrier = text_field(MAX_CARRIER, required=True, metadata={"example": "DHL"})
    tracking_number = text_field(
        MAX_TRACKING_NUMBER, required=True, metadata={"description": "the carrier's; unique to this parcel"}
    )


class RefundRequest(Schema):
    amount = money_field(
        maximum=MAX_AMOUNT, load_default=None, metadata={"description": "decimal; absent: all that is left to refund"}
    )


def _page_size():
    """``limit`` in a query string: digits (a query holds text), 1 to ``MAX_PAGE_SIZE``."""
    return fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def _cursor():
    return fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=512),
        metadata={"description": "the next_cursor of the page before"},
    )


class ProductQuery(Schema):
    limit = _page_size()
    cursor = _cursor()


class ShipmentQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(SHIPMENT_STATUSES))
    limit = _page_size()
    cursor = _cursor()


class OrderQuery(Schema):
    customer_email = EmailAddress(load_default=None, metadata={"description": "staff only"})
    status = fields.String(load_default=None, validate=validate.OneOf(ORDER_STATUSES))
    limit = _page_size()
    cursor = _cursor()


# Where a page ends, inside a cursor


class ProductPosition(Schema):
    sku = sku_field()


class OrderPosition(Schema):
    created_at = fields.AwareDateTime(required=True)
    id = id_field()


class ShipmentPosition(Schema):
    created_at = fields.AwareDateTime(required=True)
    order_id = id_field()


# What a client gets back


class Account(Schema):
    id = fields.String()
    email = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))
    created_at = fields.String(metadata={"format": "date-time"})


class TokenPair(Schema):
    access_token = fields.String(metadata={"description": "a JWT: send it as Authorization: Bearer <access_token>"})
    token_type = fields.String(validate=validate.OneOf(["Bearer"]))
    expires_in = fields.Integer(metadata={"description": "seconds the access token is valid"})
    refresh_token = fields.String(metadata={"description": "for POST /auth/refresh, once"})


class Product(Schema):
    sku = fields.String()
    name = fields.String()
    price = fields.String(metadata={"description": "decimal, two places"})
    stock = fields.Integer()
    weight_grams = fields.Integer(allow_none=True, metadata={"description": "of one unit; null until weighed"})


class OrderLine(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    unit_price = fields.String(allow_none=True, metadata={"description": "decimal; null while pending"})
    name = fields.String(
        allow_none=True, metadata={"description": "from the catalogue; absent when it does not answer"}
    )


class Payment(Schema):
    status = fields.String(validate=validate.OneOf(PAYMENT_STATUSES))
    amount = fields.String(allow_none=True, metadata={"description": "decimal: the order's total"})
    currency = fields.String(metadata={"description": "ISO 4217"})
    reference = fields.String(allow_none=True, metadata={"description": "the payment provider's id (pi_...)"})
    refunded = fields.String(allow_none=True, metadata={"description": "decimal: given back so far"})


class Address(Schema):
    name = fields.String()
    street_address = fields.String()
    city = fields.String()
    postal_code = fields.String()
    country_code = fields.String()
    country_area = fields.String()
    city_area = fields.String()


class Quote(Schema):
    shipping_cost = fields.String(metadata={"description": "decimal"})
    currency = fields.String(metadata={"description": "ISO 4217: the shop's one currency"})
    weight_grams = fields.Integer()
    shipping_address = fields.Nested(Address, metadata={"description": "as the country writes it"})


class OrderShipment(Schema):
    status = fields.String(validate=validate.OneOf(SHIPMENT_STATUSES))
    carrier = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    dispatched_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    delivered_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class Shipment(OrderShipment):
    order_id = fields.String()
    shipping_address = fields.Nested(Address, allow_none=True)
    created_at = fields.String(metadata={"format": "date-time"})


class WebhookReceipt(Schema):
    received = fields.Boolean()


class Order(Schema):
    id = fields.String()
    customer_id = fields.String(allow_none=True, metadata={"description": "the account that placed it"})
    customer_email = fields.String()
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    rejection_reason = fields.String(allow_none=True)
    items = fields.List(fields.Nested(OrderLine))
    items_total = fields.String(allow_none=True, metadata={"description": "decimal; null while pending"})
    shipping_cost = fields.String(allow_none=True, metadata={"description": "decimal, as quoted when it was placed"})
    total = fields.String(
        allow_none=True,
        metadata={
            "description": "decimal: items_total + shipping_cost, what the payment authorises; null while pending"
        },
    )
    currency = fields.String(metadata={"description": "ISO 4217: the shop's one currency"})
    shipping_address = fields.Nested(Address, allow_none=True)
    payment = fields.Nested(Payment, allow_none=True, metadata={"description": "null while no payment was tried"})
    shipment = fields.Nested(
        OrderShipment, allow_none=True, metadata={"description": "null until the order is confirmed"}
    )
    created_at = fields.String(metadata={"format": "date-time"})
    updated_at = fields.String(metadata={"format": "date-time"})


def _page_of(item_schema):
    return type(
        f"{item_schema.__name__}Page",
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "next_cursor": fields.String(allow_none=True, metadata={"description": "null on the last page"}),
        },
    )


ProductPage = _page_of(Product)
OrderPage = _page_of(Order)
ShipmentPage = _page_of(Shipment)


class Health(Schema):
    status = fields.String(validate=validate.OneOf(["ok"]))


class Error(Schema):
    error = fields.String(metadata={"description": "a code, e.g. invalid_input, not_found, too_many_requests"})
    message = fields.String()
    details = fields.Dict(metadata={"description": "for invalid_input: field -> messages"})


product_response = Product()
order_response = Order()
shipment_response = Shipment()
account_response = Account()
