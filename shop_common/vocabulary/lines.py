"""An order line, in one shape for every service. Plain Python."""

from typing import TypedDict


class Line(TypedDict):
    """``quantity`` units of the product ``sku``: what a customer orders, inventory holds and shipping weighs."""

    sku: str
    quantity: int
