"""Stock rules: when a reservation can be made, how far stock may grow. Plain Python, no I/O.

A reservation is all or nothing: it is made only when every line is covered.
"""

from collections.abc import Container, Iterable, Mapping
from typing import TypedDict

from inventory_service.exceptions import StockLimitExceeded
from shop_common.vocabulary.lines import Line

MAX_STOCK = 1_000_000  # units of a product, available and held together


class Shortage(TypedDict):
    """``requested`` units of ``sku``, of which stock holds only ``available``."""

    sku: str
    requested: int
    available: int


def requested_by_sku(lines: Iterable[Line]) -> dict[str, int]:
    """Units requested per sku, repeated skus added up, first-seen order kept."""
    requested: dict[str, int] = {}
    for line in lines:
        requested[line["sku"]] = requested.get(line["sku"], 0) + line["quantity"]
    return requested


def find_shortages(available_by_sku: Mapping[str, int], requested: Mapping[str, int]) -> list[Shortage]:
    """What stock cannot cover of ``requested`` (sku -> units), as ``{sku, requested, available}``.

    ``available_by_sku`` has no key for an unknown sku; its available is 0.
    """
    return [
        {"sku": sku, "requested": units, "available": available_by_sku.get(sku, 0)}
        for sku, units in requested.items()
        if units > available_by_sku.get(sku, 0)
    ]


def check_restock(sku: str, available: int, held: int, quantity: int) -> None:
    """A restock may not take a product's units (available and held) past ``MAX_STOCK``."""
    if available + held + quantity > MAX_STOCK:
        raise StockLimitExceeded(sku, available + held, MAX_STOCK)


def describe_shortages(shortages: Iterable[Shortage], known_skus: Container[str]) -> str:
    parts = []
    for shortage in shortages:
        if shortage["sku"] not in known_skus:
            parts.append(f"{shortage['sku']}: unknown product")
        else:
            parts.append(f"{shortage['sku']}: {shortage['requested']} requested, {shortage['available']} available")
    return "insufficient stock (" + "; ".join(parts) + ")"
