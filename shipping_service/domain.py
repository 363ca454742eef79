"""Shipping rules: shipment statuses and their transitions, parcel weights, rates by zone and weight. Plain Python,
no I/O.

A rate table maps each destination country to a zone, and each zone to weight bands: the cost of a parcel is the
one of the first band whose ``up_to_grams`` holds its weight.
"""

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TypedDict

from shipping_service.statuses import AWAITING_DISPATCH, CANCELLED, DELIVERED, DISPATCHED
from shop_common.vocabulary.errors import InvalidInput
from shop_common.vocabulary.lines import Line

DISPATCH = "dispatch"
DELIVER = "deliver"
CANCEL = "cancel"

_ALLOWED_FROM = {
    DISPATCH: ({AWAITING_DISPATCH}, DISPATCHED),
    DELIVER: ({DISPATCHED}, DELIVERED),
    CANCEL: ({AWAITING_DISPATCH}, CANCELLED),
}

MAX_BAND_GRAMS = 10**12  # past what any order could weigh


class Band(TypedDict):
    """A zone's rate for a parcel of at most ``up_to_grams``."""

    zone: str
    up_to_grams: int
    cost: Decimal


class TransitionRefused(Exception):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"cannot {action} a shipment that is {status}")
        self.status = status
        self.action = action


def _unquotable(reason: str) -> InvalidInput:
    """The parcel cannot be priced: why, for the customer, naming the order's ``items``."""
    return InvalidInput("the order cannot be shipped", {"items": [reason]})


def next_status(status: str, action: str) -> str:
    """The status a shipment in ``status`` moves to on ``action``, or TransitionRefused."""
    allowed_from, target = _ALLOWED_FROM[action]
    if status not in allowed_from:
        raise TransitionRefused(status, action)
    return target


def parcel_weight(lines: Sequence[Line], weights: Mapping[str, int | None]) -> int:
    """Grams of the order's ``lines`` (``{sku, quantity}``), by each product's weight in ``weights`` (sku -> grams,
    None when the product has none); ``InvalidInput`` naming what cannot be weighed."""
    unknown = sorted({line["sku"] for line in lines if line["sku"] not in weights})
    if unknown:
        raise _unquotable(f"no such product: {', '.join(unknown)}")
    weighed = {sku: grams for sku, grams in weights.items() if grams is not None}
    unweighed = sorted({line["sku"] for line in lines if line["sku"] not in weighed})
    if unweighed:
        raise _unquotable(f"the shop has not weighed {', '.join(unweighed)} yet: it cannot be shipped")
    return sum(line["quantity"] * weighed[line["sku"]] for line in lines)


def shipping_cost(bands: Iterable[tuple[int, Decimal]], grams: int) -> Decimal:
    """The cost of the first of ``bands`` (``(up_to_grams, cost)``, in any order) that holds ``grams``;
    ``InvalidInput`` when the parcel is heavier than every band."""
    for up_to_grams, cost in sorted(bands):
        if grams <= up_to_grams:
            return cost
    raise _unquotable(f"a parcel of {grams} g is heavier than the shop ships to this country")


def rate_table_problems(zones: Mapping[str, str], bands: Sequence[Band]) -> dict[str, list[str]]:
    """What is wrong with a rate table (``zones``: country -> zone; ``bands``: ``{zone, up_to_grams, cost}``), as
    field -> messages; {} when nothing is: every zone a country is in has bands, no zone has two bands of one
    weight, every band belongs to a zone of some country."""
    problems: dict[str, list[str]] = {}
    zoned = set(zones.values())
    priced = {band["zone"] for band in bands}
    if zoned - priced:
        problems["zones"] = [f"zones without bands: {', '.join(sorted(zoned - priced))}"]
    if priced - zoned:
        problems["bands"] = [f"bands of zones no country is in: {', '.join(sorted(priced - zoned))}"]
    weights = [(band["zone"], band["up_to_grams"]) for band in bands]
    if len(set(weights)) != len(weights):
        problems.setdefault("bands", []).append("two bands of one zone with the same up_to_grams")
    return problems
