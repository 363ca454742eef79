"""Shipping rules: what a parcel weighs, what its band costs, which rate tables hold, which moves a shipment makes."""

from decimal import Decimal

import pytest

from shipping_service import domain, statuses
from shop_common.vocabulary.errors import InvalidInput

BANDS = [(10000, Decimal("9.90")), (2000, Decimal("4.90")), (31500, Decimal("16.90"))]  # in any order


@pytest.mark.parametrize(
    "grams, cost", [(1, "4.90"), (2000, "4.90"), (2001, "9.90"), (10000, "9.90"), (31500, "16.90")]
)
def test_a_parcel_costs_the_first_band_that_holds_its_weight(grams, cost):
    assert domain.shipping_cost(BANDS, grams) == Decimal(cost)


def test_a_parcel_heavier_than_every_band_cannot_be_shipped_naming_the_items():
    with pytest.raises(InvalidInput) as refused:
        domain.shipping_cost(BANDS, 31501)
    assert refused.value.details == {"items": ["a parcel of 31501 g is heavier than the shop ships to this country"]}


def test_a_parcel_weighs_each_line_times_its_products_weight():
    lines = [{"sku": "TEA", "quantity": 3}, {"sku": "CUP", "quantity": 1}]
    assert domain.parcel_weight(lines, {"TEA": 250, "CUP": 400, "POT": 900}) == 1150


@pytest.mark.parametrize(
    "weights, message",
    [
        ({"TEA": 250}, "no such product: CUP"),
        ({"TEA": 250, "CUP": None}, "the shop has not weighed CUP yet: it cannot be shipped"),
    ],
)
def test_a_product_unknown_or_not_weighed_cannot_be_quoted_naming_the_items(weights, message):
    with pytest.raises(InvalidInput) as refused:
        domain.parcel_weight([{"sku": "TEA", "quantity": 1}, {"sku": "CUP", "quantity": 1}], weights)
    assert refused.value.details == {"items": [message]}


def test_a_rate_table_holds_when_every_zone_has_bands_and_no_band_is_there_twice():
    zones = {"DE": "EU", "GB": "EUROPE"}
    bands = [{"zone": "EU", "up_to_grams": 2000, "cost": 1}, {"zone": "EUROPE", "up_to_grams": 2000, "cost": 2}]
    assert domain.rate_table_problems(zones, bands) == {}
    assert domain.rate_table_problems({**zones, "US": "WORLD"}, bands) == {"zones": ["zones without bands: WORLD"]}
    assert domain.rate_table_problems({"DE": "EU"}, bands) == {"bands": ["bands of zones no country is in: EUROPE"]}
    assert domain.rate_table_problems(zones, [*bands, {**bands[0], "cost": 3}]) == {
        "bands": ["two bands of one zone with the same up_to_grams"]
    }


@pytest.mark.parametrize(
    "status, action, expected",
    [
        (statuses.AWAITING_DISPATCH, domain.DISPATCH, statuses.DISPATCHED),
        (statuses.DISPATCHED, domain.DELIVER, statuses.DELIVERED),
        (statuses.AWAITING_DISPATCH, domain.CANCEL, statuses.CANCELLED),
    ],
)
def test_a_shipment_moves_awaiting_dispatch_then_dispatched_then_delivered_or_is_cancelled_before(
    status, action, expected
):
    assert domain.next_status(status, action) == expected


@pytest.mark.parametrize(
    "status, action",
    [
        (statuses.AWAITING_DISPATCH, domain.DELIVER),
        (statuses.DISPATCHED, domain.CANCEL),
        (statuses.DELIVERED, domain.CANCEL),
        (statuses.CANCELLED, domain.DISPATCH),
        (statuses.DISPATCHED, domain.DISPATCH),
        (statuses.DELIVERED, domain.DELIVER),
    ],
)
def test_a_shipment_on_its_way_cannot_be_cancelled_nor_one_cancelled_dispatched(status, action):
    with pytest.raises(domain.TransitionRefused):
        domain.next_status(status, action)
