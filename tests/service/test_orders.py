"""The orders service's operations against a real PostgreSQL database."""

from datetime import timezone
from decimal import Decimal

import eventlet
import pytest

from order_service import orders
from order_service.exceptions import IdempotencyKeyReused, OrderNotFound, TransitionNotAllowed
from order_service.models import ProcessedEvent
from shop_common.persistence.models import first_delivery

ITEMS = [{"sku": "TEA-1", "quantity": 2}, {"sku": "CUP-1", "quantity": 1}]
PRICES = [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50"}, {"sku": "CUP-1", "quantity": 1, "unit_price": "9.60"}]


def place(session, email="Ada@Example.com", items=ITEMS):
    order, _ = orders.place_order(session, email, items)
    session.commit()
    return order.id


def test_a_new_order_is_pending_with_unpriced_lines_and_utc_timestamps(orders_db):
    order = orders.find_order(orders_db, place(orders_db))
    assert order.status == "pending"
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [
        ("TEA-1", 2, None), ("CUP-1", 1, None)]
    assert order.total is None
    assert order.created_at.tzinfo is not None and order.created_at.utcoffset() == timezone.utc.utcoffset(None)


def test_placing_again_with_the_same_id_returns_the_first_order(orders_db):
    first, placed_now = orders.place_order(orders_db, "ada@example.com", ITEMS, order_id="fixed-id")
    orders_db.commit()
    again, placed_again = orders.place_order(orders_db, "ada@example.com", ITEMS, order_id="fixed-id")
    assert (placed_now, placed_again) == (True, False)
    assert again.id == first.id == "fixed-id"
    assert len(orders.list_orders(orders_db)) == 1


def test_order_ids_are_opaque_and_unique(orders_db):
    ids = {place(orders_db) for _ in range(5)}
    assert len(ids) == 5 and all(len(order_id) == 32 for order_id in ids)


def test_confirming_takes_prices_from_the_reservation_and_totals_them(orders_db):
    order_id = place(orders_db)
    orders.confirm_order(orders_db, order_id, PRICES)
    orders_db.commit()
    order = orders.find_order(orders_db, order_id)
    assert order.status == "confirmed"
    assert [line.unit_price for line in order.lines] == [Decimal("12.50"), Decimal("9.60")]
    assert order.total == Decimal("34.60")


def test_rejecting_keeps_the_reason(orders_db):
    order_id = place(orders_db)
    orders.reject_order(orders_db, order_id, "insufficient stock (TEA-1: 2 requested, 0 available)")
    orders_db.commit()
    order = orders.find_order(orders_db, order_id)
    assert (order.status, order.rejection_reason) == ("rejected", "insufficient stock (TEA-1: 2 requested, 0 available)")


def test_a_reservation_for_an_order_cancelled_meanwhile_changes_nothing(orders_db):
    order_id = place(orders_db)
    orders.cancel_order(orders_db, order_id)
    orders_db.commit()
    assert orders.confirm_order(orders_db, order_id, PRICES).happened is False
    assert orders.reject_order(orders_db, order_id, "late").happened is False
    assert orders.find_order(orders_db, order_id).status == "cancelled"


def test_cancel_is_allowed_from_pending_and_confirmed_only(orders_db):
    pending, confirmed = place(orders_db), place(orders_db)
    orders.confirm_order(orders_db, confirmed, PRICES)
    assert orders.cancel_order(orders_db, pending).subject.status == "cancelled"
    assert orders.cancel_order(orders_db, confirmed).subject.status == "cancelled"
    with pytest.raises(TransitionNotAllowed):
        orders.cancel_order(orders_db, pending)


def test_ship_is_allowed_from_confirmed_only(orders_db):
    order_id = place(orders_db)
    with pytest.raises(TransitionNotAllowed) as refused:
        orders.ship_order(orders_db, order_id)
    assert refused.value.details == {"id": order_id, "status": "pending", "action": "ship"}
    orders.confirm_order(orders_db, order_id, PRICES)
    assert orders.ship_order(orders_db, order_id).subject.status == "shipped"


def test_an_unknown_order_is_not_found(orders_db):
    with pytest.raises(OrderNotFound):
        orders.find_order(orders_db, "nope")


def test_orders_are_listed_by_customer_and_by_status_newest_first(orders_db):
    first, second = place(orders_db, "ada@example.com"), place(orders_db, "ada@example.com")
    other = place(orders_db, "bob@example.com")
    orders.confirm_order(orders_db, other, PRICES)
    orders_db.commit()
    assert [o.id for o in orders.list_orders(orders_db, customer_email="ada@example.com")] == [second, first]
    assert [o.id for o in orders.list_orders(orders_db, status="confirmed")] == [other]
    assert len(orders.list_orders(orders_db)) == 3


def test_an_event_is_handled_once(orders_db):
    assert first_delivery(orders_db, ProcessedEvent, "event-1") is True
    assert first_delivery(orders_db, ProcessedEvent, "event-1") is False
    orders_db.commit()
    assert first_delivery(orders_db, ProcessedEvent, "event-1") is False


def test_the_same_id_with_another_request_fingerprint_is_refused(orders_db):
    orders.place_order(orders_db, "ada@example.com", ITEMS, order_id="keyed", fingerprint="f1")
    orders_db.commit()
    again, placed = orders.place_order(orders_db, "ada@example.com", ITEMS, order_id="keyed", fingerprint="f1")
    assert (again.id, placed) == ("keyed", False)
    with pytest.raises(IdempotencyKeyReused) as refused:
        orders.place_order(orders_db, "ada@example.com", ITEMS[:1], order_id="keyed", fingerprint="f2")
    assert refused.value.code == "idempotency_key_reused"


def test_two_deliveries_of_one_create_call_at_the_same_moment_place_one_order(databases, clean_databases):
    def deliver(_):
        with databases.session("orders") as session:
            order, placed = orders.place_order(session, "ada@example.com", ITEMS, order_id="same-moment")
            eventlet.sleep(0.2)   # both inside their transactions at once
            session.commit()
            return placed

    assert sorted(eventlet.GreenPool(2).imap(deliver, range(2))) == [False, True]
    assert databases.scalar("orders", "SELECT count(*) FROM orders WHERE id = 'same-moment'") == 1


def test_the_largest_order_the_limits_allow_is_confirmed_with_its_exact_total(orders_db):
    items = [{"sku": f"S-{n}", "quantity": 1000} for n in range(100)]
    order_id = place(orders_db, items=items)
    order, _ = orders.confirm_order(orders_db, order_id, [{**item, "unit_price": "1000000.00"} for item in items])
    orders_db.commit()
    assert (order.status, order.total) == ("confirmed", Decimal("100000000000.00"))


def test_a_reservation_that_does_not_match_the_order_rejects_it_with_a_reason(orders_db):
    order, _ = orders.confirm_order(orders_db, place(orders_db), PRICES[:1])
    orders_db.commit()
    assert (order.status, order.rejection_reason) == ("rejected", "the stock reserved does not match the order")
    assert all(line.unit_price is None for line in order.lines) and order.total is None


def test_an_order_that_cannot_be_stored_as_confirmed_is_rejected_not_left_pending(orders_db):
    too_large_a_unit_price = "99999999999.99"   # the rules let it through; the unit price column does not hold it
    order, _ = orders.confirm_order(orders_db, place(orders_db),
                                    [{**PRICES[0], "unit_price": too_large_a_unit_price}, PRICES[1]])
    orders_db.commit()
    assert (order.status, order.rejection_reason) == ("rejected", "the order could not be confirmed")


def test_a_late_answer_for_an_order_no_longer_pending_changes_nothing(orders_db):
    order_id = place(orders_db)
    orders.cancel_order(orders_db, order_id)
    assert orders.confirm_order(orders_db, order_id, PRICES).happened is False
    assert orders.reject_order(orders_db, order_id, "late").happened is False
