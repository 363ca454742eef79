"""Validation with marshmallow that fails as ``InvalidInput`` naming each field."""

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from shop_common.vocabulary.errors import InvalidInput
from shop_common.vocabulary.lines import Line

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def load(schema: Schema, data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object", {"_schema": ["Invalid input type."]})
    try:
        loaded: dict[str, Any] = schema.load(data)  # untyped in marshmallow; every schema here loads one dict
        return loaded
    except ValidationError as error:
        raise InvalidInput("validation failed", error.messages_dict) from None


_CONTROL_OR_SURROGATE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
CARD_NUMBER_DIGITS = range(13, 20)
# A run of at least 13 digits, each pair at most one space or dash apart, as long as it goes: shorter runs (most
# runs in a log line) are passed over by the regular expression itself, with no Python call for each.
_DIGIT_RUN = re.compile(rf"\d(?:[ -]?\d){{{CARD_NUMBER_DIGITS.start - 1},}}")


def passes_luhn(digits: str) -> bool:
    """The check card numbers carry: every second digit from the right doubled, the sum a multiple of 10."""
    total = 0
    for position, digit in enumerate(int(character) for character in reversed(digits)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _is_card_number(run: str) -> bool:
    digits = re.sub(r"\D", "", run)
    return len(digits) in CARD_NUMBER_DIGITS and passes_luhn(digits)


def contains_card_number(value: str) -> bool:
    """Whether ``value`` holds 13 to 19 digits in a row (spaces or dashes between them allowed) that pass the
    Luhn check: what a card number looks like."""
    return any(_is_card_number(run.group()) for run in _DIGIT_RUN.finditer(value))


def without_card_numbers(value: str, mask: str = "[card number withheld]") -> str:
    """``value`` with every run of digits that looks like a card number replaced by ``mask``."""
    return _DIGIT_RUN.sub(lambda run: mask if _is_card_number(run.group()) else run.group(), value)


CARD_NUMBER_REFUSED = "must not contain a card number: the shop takes a payment method id (pm_...), never a card"


def no_card_number(value: str) -> None:
    if contains_card_number(value):
        raise ValidationError(CARD_NUMBER_REFUSED)


def plain_text(value: str) -> None:
    """Refuses what no database column should hold (NUL and other control characters, lone surrogates) and what
    the shop must never hold (a card number)."""
    if _CONTROL_OR_SURROGATE.search(value):
        raise ValidationError("must not contain control characters or unpaired surrogates")
    no_card_number(value)


PAYMENT_METHOD_PATTERN = r"^pm_[A-Za-z0-9_]{1,200}$"


def payment_method_field(description: str | None = None) -> fields.String:
    """A payment method as the provider names it (``pm_...``, from Stripe.js or its test ids): never a card."""
    metadata = {
        "pattern": PAYMENT_METHOD_PATTERN,
        "example": "pm_card_visa",
        **({"description": description} if description else {}),
    }
    return fields.String(required=True, validate=_payment_method_id, metadata=metadata)


def _payment_method_id(value: str) -> None:
    """One message: a card number is told as such, anything else that is not an id (whole, no newline) as that."""
    no_card_number(value)
    if not re.fullmatch(PAYMENT_METHOD_PATTERN, value):
        raise ValidationError("must be a payment method id: pm_ and 1-200 letters, digits or '_'")


def text_field(max_length: int, min_length: int = 1, **kwargs: Any) -> fields.String:
    """Printable text of ``min_length`` to ``max_length`` characters."""
    return fields.String(validate=[validate.Length(min=min_length, max=max_length), plain_text], **kwargs)


MAX_EMAIL_LENGTH = 254


class EmailAddress(fields.Email):
    """An email address, lower-cased before it is checked: ASCII only (any SMTP server takes it), at most 254."""

    def _deserialize(self, value: object, attr: str | None, data: Mapping[str, object] | None, **kwargs: object) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if not value.isascii():
            raise ValidationError("must be an ASCII address (internationalised addresses are not supported)")
        address = value.lower()
        if len(address) > MAX_EMAIL_LENGTH:
            raise ValidationError(f"must be at most {MAX_EMAIL_LENGTH} characters")
        return super()._deserialize(address, attr, data, **kwargs)


def _safe_id(value: str) -> None:
    """The whole value (a trailing newline included) must match ``SKU_PATTERN``."""
    if not re.fullmatch(SKU_PATTERN, value):
        raise ValidationError("must be 1-64 letters, digits, '.', '_' or '-'")


def sku_field(required: bool = True, **kwargs: Any) -> fields.String:
    return fields.String(required=required, validate=_safe_id, metadata={"pattern": SKU_PATTERN}, **kwargs)


def id_field(**kwargs: Any) -> fields.String:
    """An order id or another opaque id: the same safe characters as a sku."""
    return sku_field(**kwargs)


def _cents(value: Decimal | None) -> None:
    exponent = None if value is None else value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:  # a str only for NaN or infinity, refused by allow_nan=False
        raise ValidationError("must have at most two decimal places")


MAX_PRICE = Decimal("1000000")
MAX_AMOUNT = Decimal("999999999999.99")  # any sum of money the shop holds (an order's total, a refund)


def money_field(
    minimum: Decimal | int = Decimal("0.01"), maximum: Decimal | None = MAX_PRICE, **kwargs: Any
) -> fields.Decimal:
    """An amount of money as a decimal string (or number), in cents, within ``minimum`` to ``maximum``."""
    return fields.Decimal(
        as_string=True, allow_nan=False, validate=[validate.Range(min=minimum, max=maximum), _cents], **kwargs
    )


def quantity_field(maximum: int, **kwargs: Any) -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=maximum), **kwargs)


MAX_WEIGHT_GRAMS = 1_000_000  # of one unit of a product


def weight_field(**kwargs: Any) -> fields.Integer:
    """A product's weight in whole grams, 1 to ``MAX_WEIGHT_GRAMS``: what its shipping is priced by."""
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_WEIGHT_GRAMS),
        metadata={"description": "grams, of one unit: what shipping is priced by"},
        **kwargs,
    )


MAX_QUANTITY = 1000  # units of one product in an order, its lines of that product added up
MAX_LINES = 100


class LineInput(Schema):
    """One order line as a client sends it."""

    sku = sku_field()
    quantity = quantity_field(MAX_QUANTITY)


def units_per_product_within_bound(lines: Iterable[Line]) -> None:
    """Lines of the same product are merged into one: together they may hold at most ``MAX_QUANTITY`` units."""
    units: dict[str, int] = {}
    for line in lines:
        units[line["sku"]] = units.get(line["sku"], 0) + line["quantity"]
    over = sorted(sku for sku, quantity in units.items() if quantity > MAX_QUANTITY)
    if over:
        raise ValidationError(f"at most {MAX_QUANTITY} units of one product in an order: {', '.join(over)}")


def lines_field() -> fields.List[Line]:
    return fields.List(
        fields.Nested(LineInput),
        required=True,
        validate=[validate.Length(min=1, max=MAX_LINES), units_per_product_within_bound],
        metadata={
            "description": f"Lines of the same sku are merged: at most {MAX_QUANTITY} units of one product in all."
        },
    )


MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


def password_field(min_length: int = MIN_PASSWORD_LENGTH) -> fields.String:
    """A password: any characters, ``min_length`` to ``MAX_PASSWORD_LENGTH`` of them; never dumped, never traced
    (``secret``)."""
    return fields.String(
        required=True,
        load_only=True,
        metadata={"secret": True},
        validate=validate.Length(min=min_length, max=MAX_PASSWORD_LENGTH),
    )


MAX_PAGE_SIZE = 100


def page_size_field() -> fields.Integer:
    """How many items a list answers with at most: 1 to ``MAX_PAGE_SIZE``."""
    return fields.Integer(load_default=MAX_PAGE_SIZE, strict=True, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def valid_id(name: str, value: object, pattern: str = SKU_PATTERN) -> str:
    """An id from a path or an RPC argument: a short string of safe characters."""
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise InvalidInput(f"invalid {name}", {name: ["must be 1-64 letters, digits, '.', '_' or '-'"]})
    return value


def _optional_text(max_length: int, description: str) -> fields.String:
    return text_field(max_length, min_length=0, load_default="", metadata={"description": description})


class PostalAddress(Schema):
    """An address as a customer writes it, before its country's rules are checked (the shipping service's
    ``quote`` does): ``city``, ``postal_code``, ``country_area`` and ``city_area`` where the country needs them;
    any script, no control characters."""

    name = text_field(200, required=True)
    street_address = text_field(400, required=True)
    city = _optional_text(200, "where the country's addresses have one")
    postal_code = _optional_text(20, "in the country's format")
    country_code = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z]{2}$"),
        metadata={"description": "ISO 3166-1 alpha-2 (DE, GB, US...)"},
    )
    country_area = _optional_text(200, "a state or province, where the country needs one (US: CA)")
    city_area = _optional_text(200, "a district, where the country needs one")


MAX_CARRIER = 100  # a carrier's name
MAX_TRACKING_NUMBER = 100  # a carrier's tracking number
