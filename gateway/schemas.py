"""The gateway's HTTP contract: what a client may send, what it gets back.

The gateway owns these, apart from the services' RPC contracts: a field a
service adds to its answers reaches clients only once it is added here, and
a rule a service enforces (a product's stock limit, say) still reaches the
client as a 400 naming the field. Unknown fields are refused.
"""

from marshmallow import Schema, fields, validate

from shop_common.vocabulary.validation import EmailAddress, lines_field, money_field, sku_field, text_field

ORDER_STATUSES = ("pending", "confirmed", "rejected", "cancelled", "shipped")


class NewProduct(Schema):
    sku = sku_field()
    name = text_field(200, required=True)
    price = money_field(required=True)
    stock = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class Restock(Schema):
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class NewOrder(Schema):
    customer_email = EmailAddress(required=True)
    items = lines_field()


class OrderQuery(Schema):
    customer_email = EmailAddress(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(ORDER_STATUSES))


class Product(Schema):
    sku = fields.String()
    name = fields.String()
    price = fields.String(metadata={"description": "decimal, two places"})
    stock = fields.Integer()


class OrderLine(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    unit_price = fields.String(allow_none=True, metadata={"description": "decimal; null while pending"})
    name = fields.String(metadata={"description": "from the catalogue; absent when it does not answer"})


class Order(Schema):
    id = fields.String()
    customer_email = fields.String()
    status = fields.String(validate=validate.OneOf(ORDER_STATUSES))
    rejection_reason = fields.String(allow_none=True)
    items = fields.List(fields.Nested(OrderLine))
    total = fields.String(allow_none=True, metadata={"description": "decimal; null while pending"})
    created_at = fields.String(metadata={"format": "date-time"})
    updated_at = fields.String(metadata={"format": "date-time"})


product_response = Product()
order_response = Order()
