"""Money is ``Decimal`` with two places, written as a string on the wire."""

from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")


def to_money(value):
    """Quantize a Decimal (or a decimal string) to cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def money_str(value):
    return None if value is None else str(to_money(value))
