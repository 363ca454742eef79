"""The orders service's operations against a real PostgreSQL database."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import eventlet
import pytest
from sqlalchemy import event, update

from harness.shipping import ADDRESS
from order_service import domain, orders
from order_service.exceptions import IdempotencyKeyReused, OrderNotFound, TransitionNotAllowed
from order_service.models import Order, ProcessedEvent
from shop_common.identity.caller import NOBODY, OPERATOR, Caller
from shop_common.persistence.models import first_delivery
from shop_common.vocabulary.errors import Forbidden

ITEMS = [{"sku": "TEA-1", "quantity": 2}, {"sku": "CUP-1", "quantity": 1}]
PRICES = [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50"}, {"sku": "CUP-1", "quantity": 1, "unit_price": "9.60"}]

ADA = Caller("customer", "acc-ada")
BOB = Caller("customer", "acc-bob")
STAFF = Caller("staff", "staff-1")
ALL = 100  # a page that holds every order of a test
ADAS_ORDER = (OPERATOR, "acc-ada", "ada@example.com")  # caller, customer_id, customer_email
SHIPPING = Decimal("4.90")
PAID_WITH = ("pm_card_visa", "EUR", ADDRESS, SHIPPING)  # payment method, currency, shipping address and cost
DISPATCHED_AT = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)


def place(session, email="Ada@Example.com", items=ITEMS, customer_id="acc-ada", caller=OPERATOR):
    order, _ = orders.place_order(session, caller, customer_id, email, items, *PAID_WITH)
    session.commit()
    return order.id


def authorised(order_id):
    return {"order_id": order_id, "status": "authorised", "reference": "pi_1", "refunded": Decimal("0.00")}


def confirm(session, order_id):
    """Priced at ``PRICES``, then its payment authorised."""
    orders.price_order(session, order_id, PRICES)
    return orders.follow_payment(session, authorised(order_id))


def shipment(order_id, status="dispatched", at=DISPATCHED_AT):
    """The order's shipment as the shipping service tells it."""
    return {
        "order_id": order_id,
        "status": status,
        "carrier": "DHL",
        "tracking_number": f"JD-{order_id}",
        "dispatched_at": DISPATCHED_AT,
        "delivered_at": at if status == "delivered" else None,
        "updated_at": at,
    }


def ship(session, order_id):
    return orders.follow_shipment(session, shipment(order_id))


def test_a_new_order_is_pending_with_unpriced_lines_and_utc_timestamps(orders_db):
    order = orders.find_order(orders_db, place(orders_db), OPERATOR)
    assert order.status == "pending"
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [
        ("TEA-1", 2, None),
        ("CUP-1", 1, None),
    ]
    assert order.total is None
    assert order.created_at.tzinfo is not None and order.created_at.utcoffset() == UTC.utcoffset(None)


def test_placing_again_with_the_same_id_returns_the_first_order(orders_db):
    first, placed_now = orders.place_order(orders_db, *ADAS_ORDER, ITEMS, *PAID_WITH, order_id="fixed-id")
    orders_db.commit()
    again, placed_again = orders.place_order(orders_db, *ADAS_ORDER, ITEMS, *PAID_WITH, order_id="fixed-id")
    assert (placed_now, placed_again) == (True, False)
    assert again.id == first.id == "fixed-id"
    assert len(orders.list_orders(orders_db, OPERATOR, ALL)) == 1


def test_order_ids_are_opaque_and_unique(orders_db):
    ids = {place(orders_db) for _ in range(5)}
    assert len(ids) == 5 and all(len(order_id) == 32 for order_id in ids)


def test_pricing_takes_prices_from_the_reservation_and_totals_them_and_the_order_waits_for_its_payment(orders_db):
    order_id = place(orders_db)
    assert orders.price_order(orders_db, order_id, PRICES).happened
    orders_db.commit()
    order = orders.find_order(orders_db, order_id, OPERATOR)
    assert (order.status, order.payment) == ("pending", None)
    assert [line.unit_price for line in order.lines] == [Decimal("12.50"), Decimal("9.60")]
    assert (order.items_total, order.shipping_cost, order.total) == (Decimal("34.60"), SHIPPING, Decimal("39.50"))
    assert orders.price_order(orders_db, order_id, PRICES).happened is False  # priced once


def test_an_authorised_payment_confirms_a_priced_order_and_the_order_keeps_a_copy_of_it(orders_db):
    order_id = place(orders_db)
    order, happened = confirm(orders_db, order_id)
    orders_db.commit()
    assert (happened, order.status) == (True, "confirmed")
    assert order.payment == {
        "status": "authorised",
        "amount": Decimal("39.50"),
        "currency": "EUR",
        "reference": "pi_1",
        "refunded": Decimal("0.00"),
    }
    assert orders.follow_payment(orders_db, authorised(order_id)).happened is False  # told again: nothing new


def test_rejecting_keeps_the_reason(orders_db):
    order_id = place(orders_db)
    orders.reject_order(orders_db, order_id, "insufficient stock (TEA-1: 2 requested, 0 available)")
    orders_db.commit()
    order = orders.find_order(orders_db, order_id, OPERATOR)
    assert (order.status, order.rejection_reason) == (
        "rejected",
        "insufficient stock (TEA-1: 2 requested, 0 available)",
    )


def test_a_reservation_for_an_order_cancelled_meanwhile_changes_nothing(orders_db):
    order_id = place(orders_db)
    orders.cancel_order(orders_db, OPERATOR, order_id)
    orders_db.commit()
    assert orders.price_order(orders_db, order_id, PRICES).happened is False
    assert orders.reject_order(orders_db, order_id, "late").happened is False
    assert orders.follow_payment(orders_db, authorised(order_id)).happened is False
    assert orders.find_order(orders_db, order_id, OPERATOR).status == "cancelled"


def test_cancel_is_allowed_from_pending_and_confirmed_only(orders_db):
    pending, confirmed = place(orders_db), place(orders_db)
    confirm(orders_db, confirmed)
    assert orders.cancel_order(orders_db, OPERATOR, pending).subject.status == "cancelled"
    assert orders.cancel_order(orders_db, OPERATOR, confirmed).subject.status == "cancelled"
    with pytest.raises(TransitionNotAllowed):
        orders.cancel_order(orders_db, OPERATOR, pending)


def test_ship_is_allowed_from_confirmed_only(orders_db):
    order_id = place(orders_db)
    with pytest.raises(TransitionNotAllowed) as refused:
        orders.shippable_order(orders_db, OPERATOR, order_id)
    assert refused.value.details == {"id": order_id, "status": "pending", "action": "ship"}
    confirm(orders_db, order_id)
    assert orders.shippable_order(orders_db, OPERATOR, order_id).id == order_id
    assert ship(orders_db, order_id).subject.status == "shipped"


def test_a_confirmed_order_awaits_dispatch_then_keeps_the_shipment_as_shipping_tells_it(orders_db):
    order_id = place(orders_db)
    assert orders.find_order(orders_db, order_id, OPERATOR).shipment is None  # nothing to send yet
    order, _ = confirm(orders_db, order_id)
    assert order.shipment == {
        "status": "awaiting_dispatch",
        "carrier": None,
        "tracking_number": None,
        "dispatched_at": None,
        "delivered_at": None,
    }
    shipped = ship(orders_db, order_id).subject
    assert (shipped.status, shipped.shipment) == (
        "shipped",
        {
            "status": "dispatched",
            "carrier": "DHL",
            "tracking_number": f"JD-{order_id}",
            "dispatched_at": DISPATCHED_AT,
            "delivered_at": None,
        },
    )
    assert ship(orders_db, order_id).happened is False  # the same word again (the event after the answer)
    later = DISPATCHED_AT + timedelta(days=2)
    delivered = orders.follow_shipment(orders_db, shipment(order_id, "delivered", at=later))
    assert (delivered.happened, delivered.subject.status, delivered.subject.shipment["delivered_at"]) == (
        True,
        "delivered",
        later,
    )
    assert ship(orders_db, order_id).happened is False  # an older word changes nothing
    orders_db.commit()
    assert orders.find_order(orders_db, order_id, OPERATOR).status == "delivered"


def test_a_delivery_told_before_its_dispatch_is_retried_until_the_order_has_shipped(orders_db):
    order_id = place(orders_db)
    confirm(orders_db, order_id)
    orders_db.commit()
    with pytest.raises(domain.ShipmentAhead):
        orders.follow_shipment(orders_db, shipment(order_id, "delivered"))
    orders_db.rollback()
    assert orders.find_order(orders_db, order_id, OPERATOR).status == "confirmed"


def test_only_staff_deliver_and_only_a_shipped_order_is_delivered(orders_db):
    order_id = place(orders_db, customer_id="acc-ada", caller=ADA)
    confirm(orders_db, order_id)
    with pytest.raises(TransitionNotAllowed):
        orders.deliverable_order(orders_db, STAFF, order_id)
    ship(orders_db, order_id)
    with pytest.raises(Forbidden):
        orders.deliverable_order(orders_db, ADA, order_id)
    assert orders.deliverable_order(orders_db, STAFF, order_id).id == order_id


def test_a_delivered_order_may_be_refunded(orders_db):
    order_id = place(orders_db)
    confirm(orders_db, order_id)
    ship(orders_db, order_id)
    orders.follow_shipment(orders_db, shipment(order_id, "delivered", at=DISPATCHED_AT + timedelta(days=1)))
    assert orders.refundable_order(orders_db, STAFF, order_id).status == "delivered"
    refunded = {**authorised(order_id), "status": "refunded", "refunded": Decimal("39.50")}
    assert orders.follow_payment(orders_db, refunded).subject.status == "refunded"


def test_an_unknown_order_is_not_found(orders_db):
    with pytest.raises(OrderNotFound):
        orders.find_order(orders_db, "nope", OPERATOR)


def test_orders_are_listed_by_customer_and_by_status_newest_first(orders_db):
    first, second = place(orders_db, "ada@example.com"), place(orders_db, "ada@example.com")
    other = place(orders_db, "bob@example.com", customer_id="acc-bob")
    confirm(orders_db, other)
    orders_db.commit()
    assert [o.id for o in orders.list_orders(orders_db, OPERATOR, ALL, customer_email="ada@example.com")] == [
        second,
        first,
    ]
    assert [o.id for o in orders.list_orders(orders_db, OPERATOR, ALL, customer_id="acc-ada")] == [second, first]
    assert [o.id for o in orders.list_orders(orders_db, OPERATOR, ALL, status="confirmed")] == [other]
    assert len(orders.list_orders(orders_db, OPERATOR, ALL)) == 3


def test_an_event_is_handled_once(orders_db):
    assert first_delivery(orders_db, ProcessedEvent, "event-1") is True
    assert first_delivery(orders_db, ProcessedEvent, "event-1") is False
    orders_db.commit()
    assert first_delivery(orders_db, ProcessedEvent, "event-1") is False


def test_the_same_id_with_another_request_fingerprint_is_refused(orders_db):
    orders.place_order(orders_db, *ADAS_ORDER, ITEMS, *PAID_WITH, order_id="keyed", fingerprint="f1")
    orders_db.commit()
    again, placed = orders.place_order(orders_db, *ADAS_ORDER, ITEMS, *PAID_WITH, order_id="keyed", fingerprint="f1")
    assert (again.id, placed) == ("keyed", False)
    with pytest.raises(IdempotencyKeyReused) as refused:
        orders.place_order(orders_db, *ADAS_ORDER, ITEMS[:1], *PAID_WITH, order_id="keyed", fingerprint="f2")
    assert refused.value.code == "idempotency_key_reused"


def test_two_deliveries_of_one_create_call_at_the_same_moment_place_one_order(databases, clean_databases):
    def deliver(_):
        with databases.session("orders") as session:
            order, placed = orders.place_order(session, *ADAS_ORDER, ITEMS, *PAID_WITH, order_id="same-moment")
            eventlet.sleep(0.2)  # both inside their transactions at once
            session.commit()
            return placed

    assert sorted(eventlet.GreenPool(2).imap(deliver, range(2))) == [False, True]
    assert databases.scalar("orders", "SELECT count(*) FROM orders WHERE id = 'same-moment'") == 1


def test_the_largest_order_the_limits_allow_is_priced_at_its_exact_total(orders_db):
    items = [{"sku": f"S-{n}", "quantity": 1000} for n in range(100)]
    order_id = place(orders_db, items=items)
    order, _ = orders.price_order(orders_db, order_id, [{**item, "unit_price": "1000000.00"} for item in items])
    orders_db.commit()
    assert (order.status, order.total) == ("pending", Decimal("100000000000.00") + SHIPPING)


def test_a_reservation_that_does_not_match_the_order_rejects_it_with_a_reason(orders_db):
    order, _ = orders.price_order(orders_db, place(orders_db), PRICES[:1])
    orders_db.commit()
    assert (order.status, order.rejection_reason) == ("rejected", "the stock reserved does not match the order")
    assert all(line.unit_price is None for line in order.lines) and order.total is None


def test_an_order_that_cannot_be_stored_as_confirmed_is_rejected_not_left_pending(orders_db):
    too_large_a_unit_price = "99999999999.99"  # the rules let it through; the unit price column does not hold it
    order, _ = orders.price_order(
        orders_db, place(orders_db), [{**PRICES[0], "unit_price": too_large_a_unit_price}, PRICES[1]]
    )
    orders_db.commit()
    assert (order.status, order.rejection_reason) == ("rejected", "the order could not be confirmed")


def test_a_late_answer_for_an_order_no_longer_pending_changes_nothing(orders_db):
    order_id = place(orders_db)
    orders.cancel_order(orders_db, OPERATOR, order_id)
    assert orders.price_order(orders_db, order_id, PRICES).happened is False
    assert orders.reject_order(orders_db, order_id, "late").happened is False


def test_a_customer_sees_and_cancels_only_their_own_orders_another_customers_is_not_found_like_a_missing_one(orders_db):
    adas = place(orders_db, "ada@example.com", customer_id="acc-ada", caller=ADA)
    bobs = place(orders_db, "bob@example.com", customer_id="acc-bob", caller=BOB)
    assert orders.find_order(orders_db, adas, ADA).id == adas
    with pytest.raises(OrderNotFound) as missing:
        orders.find_order(orders_db, "nope", ADA)
    with pytest.raises(OrderNotFound) as anothers:
        orders.find_order(orders_db, bobs, ADA)
    with pytest.raises(OrderNotFound) as cancelling_anothers:
        orders.cancel_order(orders_db, ADA, bobs)
    orders_db.rollback()
    # told apart by nothing but the id asked for
    assert (missing.value.code, missing.value.details, str(missing.value)) == (
        "not_found",
        {"id": "nope"},
        "order nope not found",
    )
    for refused in (anothers, cancelling_anothers):
        assert (refused.value.code, refused.value.details, str(refused.value)) == (
            "not_found",
            {"id": bobs},
            f"order {bobs} not found",
        )
    assert orders.cancel_order(orders_db, ADA, adas).subject.status == "cancelled"
    orders_db.commit()
    assert orders.find_order(orders_db, bobs, OPERATOR).status == "pending"
    assert orders.find_order(orders_db, adas, OPERATOR).status == "cancelled"


def test_a_customers_list_holds_only_their_orders_even_when_asking_for_another_customer_id(orders_db):
    first, second = place(orders_db, customer_id="acc-ada"), place(orders_db, customer_id="acc-ada")
    place(orders_db, "bob@example.com", customer_id="acc-bob")
    assert [o.id for o in orders.list_orders(orders_db, ADA, ALL)] == [second, first]
    assert [o.id for o in orders.list_orders(orders_db, ADA, ALL, customer_id="acc-bob")] == [second, first]
    assert orders.list_orders(orders_db, ADA, ALL, customer_email="bob@example.com") == []
    assert len(orders.list_orders(orders_db, BOB, ALL, customer_id="acc-ada")) == 1


def test_an_anonymous_caller_cannot_list_orders(orders_db):
    place(orders_db)
    with pytest.raises(Forbidden):
        orders.list_orders(orders_db, NOBODY, ALL)
    with pytest.raises(Forbidden):
        orders.list_orders(orders_db, NOBODY, ALL, customer_id="acc-ada")


def test_only_staff_ship_orders_and_list_pending_orders_a_customer_is_forbidden(orders_db):
    order_id = place(orders_db, customer_id="acc-ada", caller=ADA)
    confirm(orders_db, order_id)
    orders_db.commit()
    with pytest.raises(Forbidden):
        orders.shippable_order(orders_db, ADA, order_id)
    orders_db.rollback()
    with pytest.raises(Forbidden):
        orders.pending_orders(orders_db, ADA)
    with pytest.raises(Forbidden):
        orders.pending_orders(orders_db, NOBODY)
    assert orders.find_order(orders_db, order_id, OPERATOR).status == "confirmed"
    pending = place(orders_db)
    assert [o.id for o in orders.pending_orders(orders_db, STAFF)] == [pending]
    assert [o.id for o in orders.pending_orders(orders_db, OPERATOR)] == [pending]
    assert orders.shippable_order(orders_db, STAFF, order_id).id == order_id


def test_a_customer_cannot_place_an_order_for_another_account(orders_db):
    with pytest.raises(Forbidden):
        orders.place_order(orders_db, ADA, "acc-bob", "bob@example.com", ITEMS, *PAID_WITH)
    with pytest.raises(Forbidden):
        orders.place_order(orders_db, NOBODY, "acc-bob", "bob@example.com", ITEMS, *PAID_WITH)
    orders_db.rollback()
    assert orders.list_orders(orders_db, OPERATOR, ALL) == []
    placed = orders.place_order(orders_db, ADA, "acc-ada", "ada@example.com", ITEMS, *PAID_WITH).subject
    assert placed.customer_id == "acc-ada"
    staff_placed = orders.place_order(orders_db, STAFF, "acc-bob", "bob@example.com", ITEMS, *PAID_WITH).subject
    assert staff_placed.customer_id == "acc-bob"


def all_pages(
    session, caller, limit, position=lambda order: {"created_at": order.created_at, "id": order.id}, **criteria
):
    """Every page of ``list_orders``, each asked for after the last order of the page before."""
    pages, after = [], None
    while True:
        page = orders.list_orders(session, caller, limit, after=after, **criteria)
        if not page:
            return pages
        assert len(page) <= limit
        pages.append([order.id for order in page])
        after = position(page[-1])


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
@pytest.mark.parametrize(
    "position",
    [
        lambda order: {"created_at": order.created_at, "id": order.id},
        lambda order: {"created_at": order.created_at.isoformat(), "id": order.id},
    ],
    ids=["datetime", "iso_string"],
)
def test_orders_come_in_pages_newest_first_and_after_the_last_one_the_next_page_has_no_overlap_and_no_gap(
    orders_db, limit, position
):
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    # three at one moment, so a page may end inside the tie: the id breaks it
    created = {
        "o-a": now,
        "o-b": now + timedelta(seconds=1),
        "o-c": now + timedelta(seconds=1),
        "o-d": now + timedelta(seconds=1),
        "o-e": now + timedelta(seconds=2),
        "o-f": now + timedelta(seconds=2),
        "o-g": now - timedelta(seconds=5),
    }
    for order_id in ("o-c", "o-a", "o-g", "o-e", "o-b", "o-f", "o-d"):
        orders.place_order(orders_db, *ADAS_ORDER, ITEMS, *PAID_WITH, order_id=order_id)
    for order_id, created_at in created.items():
        orders_db.execute(update(Order).where(Order.id == order_id).values(created_at=created_at))
    orders_db.commit()
    orders_db.expire_all()
    newest_first = sorted(created, key=lambda order_id: (created[order_id], order_id), reverse=True)
    assert newest_first == ["o-f", "o-e", "o-d", "o-c", "o-b", "o-a", "o-g"]

    pages = all_pages(orders_db, OPERATOR, limit, position)
    assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)
    assert sum(pages, []) == newest_first
    assert sum(all_pages(orders_db, ADA, limit, position), []) == newest_first
    assert sum(all_pages(orders_db, OPERATOR, limit, position, customer_id="acc-ada"), []) == newest_first


def test_orders_all_placed_at_one_moment_are_paged_by_id_without_overlap_or_gap(orders_db):
    ids = [place(orders_db) for _ in range(5)]
    orders_db.execute(update(Order).values(created_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC)))
    orders_db.commit()
    orders_db.expire_all()
    pages = all_pages(orders_db, OPERATOR, 2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert sum(pages, []) == sorted(ids, reverse=True)


def test_an_older_word_of_the_payment_than_the_one_the_order_holds_is_ignored(orders_db):
    """Events overtake each other: a partial refund told after the refund in full must not undo it."""
    order_id = place(orders_db)
    confirm(orders_db, order_id)
    ship(orders_db, order_id)
    earlier, later = datetime(2026, 12, 6, 10, 0, tzinfo=UTC), datetime(2026, 12, 6, 10, 1, tzinfo=UTC)
    in_full = {**authorised(order_id), "status": "refunded", "refunded": Decimal("34.60"), "updated_at": later}
    in_part = {**authorised(order_id), "status": "captured", "refunded": Decimal("10.00"), "updated_at": earlier}
    assert orders.follow_payment(orders_db, in_full).subject.status == "refunded"
    assert orders.follow_payment(orders_db, in_part).happened is False
    orders_db.commit()
    order = orders.find_order(orders_db, order_id, OPERATOR)
    assert (order.status, order.payment["status"], order.payment["refunded"]) == (
        "refunded",
        "refunded",
        Decimal("34.60"),
    )


def test_orders_priced_together_are_each_priced_as_one_at_a_time_and_locked_in_one_statement(orders_db):
    first, second = place(orders_db), place(orders_db)
    statements = []

    def record(connection, cursor, statement, *_):
        statements.append(statement)

    event.listen(orders_db.get_bind(), "before_cursor_execute", record)
    try:
        changes = orders.price_orders(orders_db, [(second, PRICES), (first, PRICES)])
    finally:
        event.remove(orders_db.get_bind(), "before_cursor_execute", record)
    orders_db.commit()
    assert [(change.subject.id, change.happened, change.subject.total) for change in changes] == [
        (second, True, Decimal("39.50")),
        (first, True, Decimal("39.50")),
    ]
    assert sum("FOR UPDATE" in statement for statement in statements) == 1


def test_orders_told_of_their_payments_together_each_follow_their_own(orders_db):
    first, second = place(orders_db), place(orders_db)
    orders.price_orders(orders_db, [(first, PRICES), (second, PRICES)])
    declined = {**authorised(second), "status": "declined"}
    changes = orders.follow_payments(orders_db, [authorised(first), declined])
    orders_db.commit()
    assert [(change.subject.id, change.subject.status) for change in changes] == [
        (first, "confirmed"),
        (second, "rejected"),
    ]


def test_orders_changed_together_are_refused_all_when_one_does_not_exist(orders_db):
    order_id = place(orders_db)
    with pytest.raises(OrderNotFound):
        orders.follow_payments(orders_db, [authorised(order_id), authorised("no-such-order")])
