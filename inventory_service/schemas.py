"""The shapes of products on the wire."""

from marshmallow import Schema, fields, validate

from shop_common.validation import lines_field, money_field, quantity_field, sku_field

MAX_STOCK = 1_000_000


class NewProduct(Schema):
    sku = sku_field()
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    price = money_field(required=True)
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
