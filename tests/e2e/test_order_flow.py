"""Orders from HTTP to email, through every service running as a process."""

import eventlet
import pytest

from harness.accounts import bearer
from harness.broker import wait_until_drained
from harness.event_tap import EventTap
from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS
from harness.smtp import ORDER_MAIL
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e


def test_an_order_is_confirmed_priced_and_mailed_once(shop, smtp_sink, email):
    tea = shop.add_product(stock=5, price="12.50", name="Green tea")
    cup = shop.add_product(stock=5, price="9.60", name="Cup")
    placed = shop.place_order(email, (tea, 2), (cup, 1))
    assert placed["status"] == "pending"
    order = shop.wait_for_status(placed["id"])
    assert order["status"] == "confirmed"
    assert (order["items_total"], order["shipping_cost"], order["total"]) == ("34.60", "4.90", "39.50")
    assert [(i["sku"], i["unit_price"], i["name"]) for i in order["items"]] == [
        (tea, "12.50", "Green tea"),
        (cup, "9.60", "Cup"),
    ]
    assert order["created_at"].endswith("+00:00")
    assert (shop.stock_of(tea), shop.stock_of(cup)) == (3, 4)
    [mail] = smtp_sink.wait_for(1, email, ORDER_MAIL)
    assert mail["Subject"] == f"Order {order['id']} confirmed"
    assert shop.get("/orders", params={"customer_email": email}).json()["items"][0]["id"] == order["id"]


def test_an_order_beyond_stock_is_rejected_and_holds_nothing(shop, smtp_sink, email):
    tea = shop.add_product(stock=1)
    order = shop.wait_for_status(shop.place_order(email, (tea, 2))["id"])
    assert order["status"] == "rejected"
    assert order["rejection_reason"] == f"insufficient stock ({tea}: 2 requested, 1 available)"
    assert shop.stock_of(tea) == 1
    assert smtp_sink.wait_for(1, email, ORDER_MAIL)[0]["Subject"] == f"Order {order['id']} rejected"


def test_an_order_for_an_unknown_product_is_refused_naming_its_items(shop, stack, email):
    response = shop.post(
        "/orders",
        json={
            "payment_method": APPROVED,
            "shipping_address": ADDRESS,
            "items": [{"sku": "NO-SUCH-SKU", "quantity": 1}],
        },
        headers=bearer(stack.accounts.customer_token(email)),
    )
    assert (response.status_code, response.json()["details"]) == (400, {"items": ["no such product: NO-SUCH-SKU"]})


def test_cancel_gives_the_stock_back_and_ship_is_final(shop, smtp_sink, email):
    tea = shop.add_product(stock=5)
    cancelled = shop.wait_for_status(shop.place_order(email, (tea, 2))["id"])
    shipped = shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])
    assert shop.stock_of(tea) == 2

    response = shop.post(f"/orders/{cancelled['id']}/cancel")
    assert (response.status_code, response.json()["status"]) == (200, "cancelled")
    assert (
        shop.post(f"/orders/{cancelled['id']}/ship", json={"carrier": "DHL", "tracking_number": "JD1"}).status_code
        == 409
    )
    assert shop.ship(shipped["id"])["status"] == "shipped"
    conflict = shop.post(f"/orders/{shipped['id']}/cancel")
    assert conflict.status_code == 409 and conflict.json()["error"] == "conflict"

    smtp_sink.wait_for(4, email, ORDER_MAIL)
    assert smtp_sink.subjects_to(email, ORDER_MAIL) == sorted(
        [
            f"Order {cancelled['id']} confirmed",
            f"Order {cancelled['id']} cancelled",
            f"Order {shipped['id']} confirmed",
            f"Order {shipped['id']} shipped",
        ]
    )
    wait_for_stock(shop, tea, expected=4)


def wait_for_stock(shop, sku, expected, timeout=10.0):
    """Wait until ``sku``'s available stock is ``expected`` (released stock comes back asynchronously)."""
    wait_until(lambda: shop.stock_of(sku) == expected, timeout, f"{expected} units of {sku} in stock")


def test_a_pending_order_can_be_cancelled_and_never_holds_stock(shop, email):
    tea = shop.add_product(stock=3)
    placed = shop.place_order(email, (tea, 3))
    shop.post(f"/orders/{placed['id']}/cancel")  # pending or confirmed by now: both may be cancelled
    assert shop.wait_for_status(placed["id"])["status"] == "cancelled"
    wait_for_stock(shop, tea, expected=3)


def test_concurrent_orders_for_the_last_items_never_oversell(shop, stack, email):
    """Thirty customers race for ten units through two inventory instances."""
    assert len(stack.running("inventory")) == 2
    tea = shop.add_product(stock=10)
    pool = eventlet.GreenPool(30)
    placed = list(pool.imap(lambda n: shop.place_order(email, (tea, 1))["id"], range(30)))
    statuses = [shop.wait_for_status(order_id)["status"] for order_id in placed]
    assert statuses.count("confirmed") == 10 and statuses.count("rejected") == 20
    assert shop.stock_of(tea) == 0


def test_every_event_delivered_twice_has_no_second_effect(shop, stack, smtp_sink, email):
    tap = EventTap(stack.amqp_uri, "orders", "inventory", "payments")
    try:
        tea = shop.add_product(stock=4)
        confirmed, cancelled, shipped, rejected = (
            shop.place_order(email, (tea, quantity))["id"] for quantity in (1, 1, 1, 9)
        )
        for order_id in (confirmed, cancelled, shipped, rejected):
            shop.wait_for_status(order_id)
        shop.post(f"/orders/{cancelled}/cancel")
        shop.ship(shipped)
        smtp_sink.wait_for(6, email, ORDER_MAIL)
        wait_until_drained(stack.amqp_uri, stack.vhost)
        before = {o: shop.get(f"/orders/{o}").json()["status"] for o in (confirmed, cancelled, shipped, rejected)}
        event_types = tap.event_types()

        assert tap.republish_all({}) >= 22
        wait_until_drained(stack.amqp_uri, stack.vhost, settle=1.0)
    finally:
        tap.close()

    assert event_types >= {
        "order_created",
        "order_confirmed",
        "order_rejected",
        "order_cancelled",
        "order_shipped",
        "stock_reserved",
        "stock_reservation_failed",
        "stock_released",
        "sale_completed",
        "payment_requested",
        "payment_authorised",
        "payment_voided",
        "payment_captured",
    }
    assert {o: shop.get(f"/orders/{o}").json()["status"] for o in before} == before
    assert shop.stock_of(tea) == 2
    assert len(smtp_sink.messages_to(email, ORDER_MAIL)) == 6
