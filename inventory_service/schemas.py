"""The shapes of products on the wire."""

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate

from shop_common.validation import lines_field, quantity_field, sku_field

MAX_PRICE = Decimal("1000000")
MAX_STOCK = 1_000_000


def _cents(value):
    if value.as_tuple().exponent < -2:
        raise ValidationError("must have at most two decimal places")


class NewProduct(Schema):
    sku = sku_field()
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    price = fields.Decimal(
        required=True, as_string=True, allow_nan=False,
        validate=[validate.Range(min=Decimal("0.01"), max=MAX_PRICE), _cents],
    )
    stock = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_STOCK))


class Restock(Schema):
    quantity = quantity_field(MAX_STOCK)


class ReserveStock(Schema):
    items = lines_field()


class ProductOutput(Schema):
    sku = fields.String()
    name = fields.String()
    price = fields.Decimal(as_string=True)
    stock = fields.Integer()


product_output = ProductOutput()
