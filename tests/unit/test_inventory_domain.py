import pytest

from inventory_service import domain
from inventory_service.exceptions import StockLimitExceeded


def test_no_shortage_when_every_line_is_covered_exactly():
    assert domain.find_shortages({"A": 2, "B": 5}, {"A": 2, "B": 1}) == []


def test_every_uncovered_line_is_a_shortage():
    shortages = domain.find_shortages({"A": 1, "B": 5}, {"A": 2, "B": 5, "C": 1})
    assert shortages == [
        {"sku": "A", "requested": 2, "available": 1},
        {"sku": "C", "requested": 1, "available": 0},
    ]


def test_repeated_skus_are_requested_together():
    assert domain.requested_by_sku(
        [{"sku": "B", "quantity": 1}, {"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 3}]
    ) == {"B": 4, "A": 2}


def test_reason_names_unknown_products_and_short_ones():
    shortages = [{"sku": "A", "requested": 2, "available": 1}, {"sku": "C", "requested": 1, "available": 0}]
    reason = domain.describe_shortages(shortages, known_skus={"A"})
    assert reason == "insufficient stock (A: 2 requested, 1 available; C: unknown product)"


def test_a_restock_may_fill_a_product_up_to_the_limit_held_units_included():
    domain.check_restock("A", available=domain.MAX_STOCK - 10, held=5, quantity=5)
    with pytest.raises(StockLimitExceeded) as refused:
        domain.check_restock("A", available=domain.MAX_STOCK - 10, held=5, quantity=6)
    assert refused.value.details == {"quantity": ["at most 5 more units of A fit"]}
