from decimal import Decimal

import pytest

from order_service import domain, statuses


@pytest.mark.parametrize(
    "status, action, expected",
    [
        (statuses.PENDING, domain.CONFIRM, statuses.CONFIRMED),
        (statuses.PENDING, domain.REJECT, statuses.REJECTED),
        (statuses.PENDING, domain.CANCEL, statuses.CANCELLED),
        (statuses.CONFIRMED, domain.CANCEL, statuses.CANCELLED),
        (statuses.CONFIRMED, domain.SHIP, statuses.SHIPPED),
        (statuses.SHIPPED, domain.DELIVER, statuses.DELIVERED),
        (statuses.SHIPPED, domain.REFUND, statuses.REFUNDED),
        (statuses.DELIVERED, domain.REFUND, statuses.REFUNDED),
    ],
)
def test_allowed_transitions_lead_to_their_status(status, action, expected):
    assert domain.next_status(status, action) == expected


@pytest.mark.parametrize(
    "status, action",
    [
        (statuses.PENDING, domain.SHIP),
        (statuses.CONFIRMED, domain.CONFIRM),
        (statuses.CONFIRMED, domain.REJECT),
        (statuses.REJECTED, domain.CANCEL),
        (statuses.CANCELLED, domain.SHIP),
        (statuses.CANCELLED, domain.CANCEL),
        (statuses.SHIPPED, domain.CANCEL),
        (statuses.SHIPPED, domain.SHIP),
        (statuses.CONFIRMED, domain.DELIVER),
        (statuses.DELIVERED, domain.CANCEL),
        (statuses.DELIVERED, domain.DELIVER),
    ],
)
def test_transitions_from_the_wrong_status_are_refused(status, action):
    with pytest.raises(domain.TransitionRefused) as refused:
        domain.next_status(status, action)
    assert refused.value.status == status and refused.value.action == action


def test_final_statuses_allow_no_transition():
    actions = (domain.CONFIRM, domain.REJECT, domain.CANCEL, domain.SHIP)  # what the shop does itself
    for status in domain.FINAL_STATUSES:
        for action in actions:
            with pytest.raises(domain.TransitionRefused):
                domain.next_status(status, action)


def test_total_is_exact_decimal_sum_of_quantity_times_unit_price_and_the_shipping():
    lines = [{"quantity": 3, "unit_price": Decimal("0.10")}, {"quantity": 1, "unit_price": "0.20"}]
    assert str(domain.items_total(lines)) == "0.50"
    assert str(domain.order_total(lines, Decimal("4.90"))) == "5.40"
    assert str(domain.order_total(lines, None)) == "0.50"  # an order from before shipping was charged


def test_repeated_skus_merge_into_one_line_in_first_seen_order():
    items = [{"sku": "B", "quantity": 1}, {"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 3}]
    assert domain.merge_lines(items) == [{"sku": "B", "quantity": 4}, {"sku": "A", "quantity": 2}]


LINES = [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}]
SHIPPING = Decimal("4.90")


def test_the_reserved_prices_are_applied_line_by_line():
    priced = domain.priced_lines(
        LINES,
        [{"sku": "B", "quantity": 1, "unit_price": "9.60"}, {"sku": "A", "quantity": 2, "unit_price": "12.50"}],
        SHIPPING,
    )
    assert [(line["sku"], line["unit_price"]) for line in priced] == [("A", Decimal("12.50")), ("B", Decimal("9.60"))]
    assert domain.order_total(priced, SHIPPING) == Decimal("39.50")


@pytest.mark.parametrize(
    "reserved",
    [
        [{"sku": "A", "quantity": 2, "unit_price": "1.00"}],  # a line short
        [
            {"sku": "A", "quantity": 1, "unit_price": "1.00"},
            {"sku": "B", "quantity": 1, "unit_price": "1.00"},
        ],  # too few
        [
            {"sku": "A", "quantity": 2, "unit_price": "1.00"},
            {"sku": "C", "quantity": 1, "unit_price": "1.00"},
        ],  # another
    ],
)
def test_a_reservation_that_does_not_match_the_order_cannot_confirm_it(reserved):
    with pytest.raises(domain.Unconfirmable, match="does not match"):
        domain.priced_lines(LINES, reserved, SHIPPING)


def test_the_largest_order_the_limits_allow_fits_the_total_the_shop_holds():
    lines = [{"sku": f"S{n}", "quantity": 1000} for n in range(100)]
    priced = domain.priced_lines(lines, [{**line, "unit_price": "1000000.00"} for line in lines], Decimal("100000"))
    assert domain.order_total(priced, Decimal("100000")) == Decimal("100000100000.00") <= domain.MAX_TOTAL


def test_a_total_over_what_the_shop_holds_cannot_be_confirmed():
    with pytest.raises(domain.Unconfirmable, match="total"):
        domain.priced_lines(
            [{"sku": "A", "quantity": 10**9}], [{"sku": "A", "quantity": 10**9, "unit_price": "1000000.00"}], SHIPPING
        )
    just_under = [{"sku": "A", "quantity": 1, "unit_price": domain.MAX_TOTAL - SHIPPING}]
    with pytest.raises(domain.Unconfirmable, match="total"):  # the shipping counts
        domain.priced_lines([{"sku": "A", "quantity": 1}], just_under, SHIPPING + Decimal("0.01"))


def test_only_a_pending_order_not_yet_priced_awaits_stock():
    assert [status for status in statuses.STATUSES if domain.awaits_stock(status, None)] == [statuses.PENDING]
    assert not domain.awaits_stock(statuses.PENDING, Decimal("25.00"))  # priced: it waits for its payment


@pytest.mark.parametrize(
    "payment_status, order_status, action",
    [
        ("authorised", "pending", ("confirm", None)),
        ("declined", "pending", ("reject", "payment_declined")),
        ("failed", "pending", ("reject", "payment_unavailable")),
        ("voided", "confirmed", ("cancel", None)),
        ("refunded", "shipped", ("refund", None)),
        ("refunded", "delivered", ("refund", None)),
        ("authorised", "cancelled", None),  # late: payments voids it
        ("captured", "shipped", None),
        ("voided", "cancelled", None),
        ("refunded", "refunded", None),
    ],
)
def test_a_payments_new_status_moves_its_order_only_where_the_rules_say(payment_status, order_status, action):
    assert domain.payment_action(payment_status, order_status) == action


def test_what_a_pending_order_waits_for():
    assert (domain.waiting_for(None), domain.waiting_for(Decimal("1.00"))) == ("stock", "payment")


def test_only_a_shipped_or_delivered_order_is_refunded():
    assert [status for status in statuses.STATUSES if domain.may_refund(status)] == ["shipped", "delivered"]


def test_only_a_confirmed_order_is_shipped_and_only_a_shipped_one_delivered():
    assert [status for status in statuses.STATUSES if domain.may_ship(status)] == ["confirmed"]
    assert [status for status in statuses.STATUSES if domain.may_deliver(status)] == ["shipped"]


@pytest.mark.parametrize(
    "shipment_status, order_status, action",
    [
        ("dispatched", "confirmed", "ship"),
        ("delivered", "shipped", "deliver"),
        ("dispatched", "shipped", None),  # the answer to staff came first: the event changes nothing
        ("delivered", "delivered", None),
        ("dispatched", "cancelled", None),
        ("delivered", "refunded", None),
    ],
)
def test_a_shipments_new_status_moves_its_order_only_where_the_rules_say(shipment_status, order_status, action):
    assert domain.shipment_action(shipment_status, order_status) == action


def test_a_delivery_told_before_the_dispatch_waits_for_the_order_to_catch_up():
    with pytest.raises(domain.ShipmentAhead):
        domain.shipment_action("delivered", "confirmed")
