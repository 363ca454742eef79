from decimal import Decimal

import pytest

from order_service import domain
from shop_common.lines import merge_lines


@pytest.mark.parametrize("status, action, expected", [
    (domain.PENDING, domain.CONFIRM, domain.CONFIRMED),
    (domain.PENDING, domain.REJECT, domain.REJECTED),
    (domain.PENDING, domain.CANCEL, domain.CANCELLED),
    (domain.CONFIRMED, domain.CANCEL, domain.CANCELLED),
    (domain.CONFIRMED, domain.SHIP, domain.SHIPPED),
])
def test_allowed_transitions_lead_to_their_status(status, action, expected):
    assert domain.next_status(status, action) == expected


@pytest.mark.parametrize("status, action", [
    (domain.PENDING, domain.SHIP),
    (domain.CONFIRMED, domain.CONFIRM),
    (domain.CONFIRMED, domain.REJECT),
    (domain.REJECTED, domain.CANCEL),
    (domain.CANCELLED, domain.SHIP),
    (domain.CANCELLED, domain.CANCEL),
    (domain.SHIPPED, domain.CANCEL),
    (domain.SHIPPED, domain.SHIP),
])
def test_transitions_from_the_wrong_status_are_refused(status, action):
    with pytest.raises(domain.TransitionRefused) as refused:
        domain.next_status(status, action)
    assert refused.value.status == status and refused.value.action == action


def test_final_statuses_allow_no_transition():
    actions = (domain.CONFIRM, domain.REJECT, domain.CANCEL, domain.SHIP)
    for status in domain.FINAL_STATUSES:
        for action in actions:
            with pytest.raises(domain.TransitionRefused):
                domain.next_status(status, action)


def test_total_is_exact_decimal_sum_of_quantity_times_unit_price():
    lines = [{"quantity": 3, "unit_price": Decimal("0.10")}, {"quantity": 1, "unit_price": "0.20"}]
    assert domain.order_total(lines) == Decimal("0.50")
    assert str(domain.order_total(lines)) == "0.50"


def test_repeated_skus_merge_into_one_line_in_first_seen_order():
    items = [{"sku": "B", "quantity": 1}, {"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 3}]
    assert merge_lines(items) == [{"sku": "B", "quantity": 4}, {"sku": "A", "quantity": 2}]
