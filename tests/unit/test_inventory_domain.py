from inventory_service import domain


def test_no_shortage_when_every_line_is_covered_exactly():
    assert domain.find_shortages({"A": 2, "B": 5}, [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}]) == []


def test_every_uncovered_line_is_a_shortage():
    shortages = domain.find_shortages(
        {"A": 1, "B": 5}, [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 5}, {"sku": "C", "quantity": 1}]
    )
    assert shortages == [
        {"sku": "A", "requested": 2, "available": 1},
        {"sku": "C", "requested": 1, "available": 0},
    ]


def test_reason_names_unknown_products_and_short_ones():
    shortages = [{"sku": "A", "requested": 2, "available": 1}, {"sku": "C", "requested": 1, "available": 0}]
    reason = domain.describe_shortages(shortages, known_skus={"A"})
    assert reason == "insufficient stock (A: 2 requested, 1 available; C: unknown product)"
