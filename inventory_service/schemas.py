"""The shapes of products on the wire."""

from marshmallow import Schema, fields, validate

from inventory_service.domain import MAX_STOCK
from shop_common.vocabulary.validation import (
    MAX_LINES,
    MAX_PAGE_SIZE,
    lines_field,
    money_field,
    page_size_field,
    quantity_field,
    sku_field,
    text_field,
    weight_field,
)


class NewProduct(Schema):
    sku = sku_field()
    name = text_field(200, required=True)
    price = money_field(required=True)
    stock = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_STOCK))
    weight_grams = weight_field(required=True)


class ProductWeight(Schema):
    weight_grams = weight_field(required=True)


class Restock(Schema):
    quantity = quantity_field(MAX_STOCK)


class ReserveStock(Schema):
    items = lines_field()


class ProductPage(Schema):
    limit = page_size_field()
    after = sku_field(required=False, load_default=None)


class ProductSkus(Schema):
    """The products of a page of orders (composition): at most every line of a full page of them."""

    skus = fields.List(sku_field(), required=True, validate=validate.Length(max=MAX_LINES * MAX_PAGE_SIZE))


class ProductOutput(Schema):
    sku = fields.String()
    name = fields.String()
    price = fields.Decimal(as_string=True)
    stock = fields.Integer()
    weight_grams = fields.Integer(allow_none=True)


product_output = ProductOutput()
