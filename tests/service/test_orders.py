"""The orders service's operations against a real PostgreSQL database."""

from datetime import timezone
from decimal import Decimal

import pytest

from order_service import orders
from order_service.exceptions import OrderNotFound, TransitionNotAllowed
from order_service.models import ProcessedEvent
from shop_common.persistence import first_delivery

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
    assert orders.confirm_order(orders_db, order_id, PRICES) is None
    assert orders.reject_order(orders_db, order_id, "late") is None
    assert orders.find_order(orders_db, order_id).status == "cancelled"


def test_cancel_is_allowed_from_pending_and_confirmed_only(orders_db):
    pending, confirmed = place(orders_db), place(orders_db)
    orders.confirm_order(orders_db, confirmed, PRICES)
    assert orders.cancel_order(orders_db, pending).status == "cancelled"
    assert orders.cancel_order(orders_db, confirmed).status == "cancelled"
    with pytest.raises(TransitionNotAllowed):
        orders.cancel_order(orders_db, pending)


def test_ship_is_allowed_from_confirmed_only(orders_db):
    order_id = place(orders_db)
    with pytest.raises(TransitionNotAllowed) as refused:
        orders.ship_order(orders_db, order_id)
    assert refused.value.details == {"id": order_id, "status": "pending", "action": "ship"}
    orders.confirm_order(orders_db, order_id, PRICES)
    assert orders.ship_order(orders_db, order_id).status == "shipped"


def test_an_unknown_order_is_not_found(orders_db):
    with pytest.raises(OrderNotFound):
        orders.find_order(orders_db, "nope")


def test_orders_are_listed_by_customer_and_by_status_newest_first(orders_db):
    first, second = place(orders_db, "ada@example.com"), place(orders_db, "ada@example.com")
    other = place(orders_db, "bob@example.com")
    orders.confirm_order(orders_db, other, PRICES)
    orders_db.commit()
    assert [o.id for o in orders.list_orders(orders_db, customer_email="ADA@example.com")] == [second, first]
    assert [o.id for o in orders.list_orders(orders_db, status="confirmed")] == [other]
    assert len(orders.list_orders(orders_db)) == 3


def test_an_event_is_handled_once(orders_db):
    assert first_delivery(orders_db, ProcessedEvent, "event-1") is True
    assert first_delivery(orders_db, ProcessedEvent, "event-1") is False
    orders_db.commit()
    assert first_delivery(orders_db, ProcessedEvent, "event-1") is False
