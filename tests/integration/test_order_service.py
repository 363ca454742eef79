"""The orders service in a real container: RPC and events over a real RabbitMQ."""

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from harness.shipping import ADDRESS, tracking_number
from order_service.service import OrderService
from shop_common.vocabulary.events import new_event

NEW_ORDER = {
    "customer_id": "acc-ada",
    "customer_email": "ada@example.com",
    "payment_method": "pm_card_visa",
    "shipping_address": ADDRESS,
    "items": [{"sku": "TEA-1", "quantity": 2}, {"sku": "CUP-1", "quantity": 1}],
}
BOBS_ORDER = {**NEW_ORDER, "customer_id": "acc-bob", "customer_email": "bob@example.com"}
PRICED = [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50"}, {"sku": "CUP-1", "quantity": 1, "unit_price": "9.60"}]


@pytest.fixture
def orders(container_factory, config, rpc_client, quotes):
    container = container_factory(OrderService, config)
    container.start()
    return container, rpc_client("orders")


def payment(order_id, status, reference="pi_1", refunded="0.00"):
    return {
        "order_id": order_id,
        "status": status,
        "amount": "34.60",
        "currency": "EUR",
        "reference": reference,
        "decline_code": None,
        "refunded": refunded,
    }


def hold_stock(container, publish_event, order_id):
    with entrypoint_waiter(container, "handle_stock_reserved"):
        publish_event("inventory", "stock_reserved", new_event(order_id=order_id, items=PRICED))


def tell_payment(container, publish_event, order_id, event, status=None, **details):
    """``payment_<event>``, the payment in ``status`` (the event's own unless said)."""
    with entrypoint_waiter(container, f"handle_payment_{event}"):
        publish_event("payments", f"payment_{event}", new_event(payment=payment(order_id, status or event, **details)))


def confirm(container, publish_event, order_id):
    hold_stock(container, publish_event, order_id)
    tell_payment(container, publish_event, order_id, "authorised")


def test_a_new_order_is_pending_and_announced(orders, event_tap):
    _, client = orders
    tap = event_tap("orders")
    order = client.create_order(NEW_ORDER)
    assert order["status"] == "pending" and order["total"] is None
    assert order["customer_id"] == "acc-ada"
    [created] = tap.wait_for("order_created")
    assert created["order"] == order
    assert created["event_id"] and created["occurred_at"].endswith("+00:00")


def test_a_reservation_prices_the_order_and_asks_for_its_payment(orders, publish_event, event_tap):
    container, client = orders
    tap = event_tap("orders")
    order = client.create_order(NEW_ORDER)
    hold_stock(container, publish_event, order["id"])
    priced = client.get_order(order["id"])
    assert (priced["status"], priced["items_total"], priced["shipping_cost"], priced["total"], priced["payment"]) == (
        "pending",
        "34.60",
        "4.90",
        "39.50",
        None,
    )
    assert [item["unit_price"] for item in priced["items"]] == ["12.50", "9.60"]
    [requested] = tap.wait_for("payment_requested")
    assert {key: requested[key] for key in ("order_id", "amount", "currency", "payment_method")} == {
        "order_id": order["id"],
        "amount": "39.50",
        "currency": "EUR",
        "payment_method": "pm_card_visa",
    }
    assert client.list_pending_orders()[0]["waiting_for"] == "payment"


def test_an_authorised_payment_confirms_the_order_and_the_order_shows_it(orders, publish_event, event_tap):
    container, client = orders
    tap = event_tap("orders")
    order = client.create_order(NEW_ORDER)
    confirm(container, publish_event, order["id"])
    confirmed = client.get_order(order["id"])
    assert confirmed["status"] == "confirmed"
    assert confirmed["payment"] == {
        "status": "authorised",
        "amount": "39.50",
        "currency": "EUR",
        "reference": "pi_1",
        "refunded": "0.00",
    }
    assert tap.wait_for("order_confirmed")[0]["order"] == confirmed


@pytest.mark.parametrize("status, reason", [("declined", "payment_declined"), ("failed", "payment_unavailable")])
def test_a_payment_declined_or_unavailable_rejects_the_order_saying_so(
    orders, publish_event, event_tap, status, reason
):
    container, client = orders
    tap = event_tap("orders")
    order = client.create_order(NEW_ORDER)
    hold_stock(container, publish_event, order["id"])
    tell_payment(container, publish_event, order["id"], status)
    rejected = client.get_order(order["id"])
    assert (rejected["status"], rejected["rejection_reason"], rejected["payment"]["status"]) == (
        "rejected",
        reason,
        status,
    )
    assert tap.wait_for("order_rejected")[0]["order"]["id"] == order["id"]


def test_an_authorisation_the_provider_lets_go_cancels_the_confirmed_order(orders, publish_event, event_tap):
    container, client = orders
    tap = event_tap("orders")
    order = client.create_order(NEW_ORDER)
    confirm(container, publish_event, order["id"])
    tell_payment(container, publish_event, order["id"], "voided")
    assert client.get_order(order["id"])["status"] == "cancelled"
    assert tap.wait_for("order_cancelled")[0]["order"]["payment"]["status"] == "voided"


def test_a_late_authorisation_leaves_a_cancelled_order_cancelled(orders, publish_event):
    container, client = orders
    order = client.create_order(NEW_ORDER)
    hold_stock(container, publish_event, order["id"])
    client.cancel_order(order["id"])
    tell_payment(container, publish_event, order["id"], "authorised")
    late = client.get_order(order["id"])
    assert (late["status"], late["payment"]["status"]) == ("cancelled", "authorised")  # payments voids it next


def test_a_shipped_order_refunded_in_full_by_its_payment_is_refunded(orders, publish_event, event_tap):
    container, client = orders
    tap = event_tap("orders")
    order = client.create_order(NEW_ORDER)
    confirm(container, publish_event, order["id"])
    client.ship_order(order["id"], "DHL", tracking_number())
    tell_payment(container, publish_event, order["id"], "captured")
    tell_payment(container, publish_event, order["id"], "refunded", "captured", refunded="10.00")  # in part
    assert client.get_order(order["id"])["status"] == "shipped"
    tell_payment(container, publish_event, order["id"], "refunded", refunded="34.60")
    refunded = client.get_order(order["id"])
    assert (refunded["status"], refunded["payment"]["refunded"]) == ("refunded", "34.60")
    assert len(tap.wait_for("order_refunded")) == 1


def test_a_failed_reservation_rejects_the_order_with_the_reason(orders, publish_event, event_tap):
    container, client = orders
    tap = event_tap("orders")
    order = client.create_order(NEW_ORDER)
    with entrypoint_waiter(container, "handle_stock_reservation_failed"):
        publish_event(
            "inventory",
            "stock_reservation_failed",
            new_event(
                order_id=order["id"], reason="insufficient stock (TEA-1: 2 requested, 0 available)", shortages=[]
            ),
        )
    rejected = client.get_order(order["id"])
    assert (rejected["status"], rejected["rejection_reason"]) == (
        "rejected",
        "insufficient stock (TEA-1: 2 requested, 0 available)",
    )
    tap.wait_for("order_rejected")


def test_a_reservation_delivered_twice_asks_for_payment_once(orders, publish_event, event_tap):
    container, client = orders
    tap = event_tap("orders")
    order = client.create_order(NEW_ORDER)
    event = new_event(order_id=order["id"], items=PRICED)
    for _ in range(2):
        with entrypoint_waiter(container, "handle_stock_reserved"):
            publish_event("inventory", "stock_reserved", event)
    tap.wait_for("payment_requested")
    assert len(tap.events("payment_requested")) == 1


def test_cancel_and_ship_follow_the_rules_and_are_announced(orders, publish_event, event_tap):
    container, client = orders
    tap = event_tap("orders")
    order = client.create_order(NEW_ORDER)
    with pytest.raises(RemoteError) as refused:
        client.ship_order(order["id"], "DHL", tracking_number())
    assert refused.value.exc_type == "TransitionNotAllowed"
    confirm(container, publish_event, order["id"])
    assert client.ship_order(order["id"], "DHL", tracking_number())["status"] == "shipped"
    with pytest.raises(RemoteError):
        client.cancel_order(order["id"])
    assert tap.wait_for("order_shipped")[0]["order"]["status"] == "shipped"
    other = client.create_order(NEW_ORDER)
    assert client.cancel_order(other["id"])["status"] == "cancelled"
    assert tap.wait_for("order_cancelled")[0]["order"]["id"] == other["id"]


def test_orders_are_listed_by_customer_and_status(orders):
    _, client = orders
    mine = client.create_order(NEW_ORDER)
    bobs = client.create_order(BOBS_ORDER)
    assert [o["id"] for o in client.list_orders(customer_email="ada@example.com")] == [mine["id"]]
    assert [o["id"] for o in client.list_orders(customer_id="acc-bob")] == [bobs["id"]]
    assert len(client.list_orders(status="pending")) == 2
    assert [o["id"] for o in client.list_orders(limit=1)] == [bobs["id"]]
    assert [
        o["id"] for o in client.list_orders(limit=1, after={"created_at": bobs["created_at"], "id": bobs["id"]})
    ] == [mine["id"]]
    with pytest.raises(RemoteError) as refused:
        client.list_orders(status="lost")
    assert refused.value.exc_type == "InvalidInput"


def test_the_request_id_travels_from_the_call_into_the_event_headers(orders, config, event_tap):
    tap = event_tap("orders")
    with ServiceRpcProxy("orders", config, context_data={"request_id": "req-42"}) as client:
        client.create_order(NEW_ORDER)
    tap.wait_for("order_created")
    assert tap.seen[0].headers["nameko.request_id"] == "req-42"


@pytest.mark.parametrize(
    "bad_order",
    [
        None,
        "x",
        {},
        {**NEW_ORDER, "items": [{"sku": 1}]},
        {"customer_email": "ada@example.com", "items": NEW_ORDER["items"]},  # no customer_id
    ],
)
def test_bad_orders_are_refused_and_the_service_carries_on(orders, bad_order):
    _, client = orders
    with pytest.raises(RemoteError) as refused:
        client.create_order(bad_order)
    assert refused.value.exc_type == "InvalidInput"
    assert client.create_order(NEW_ORDER)["status"] == "pending"


def test_pending_orders_are_listed_oldest_first_with_their_age(orders, publish_event):
    container, client = orders
    first, second, confirmed = (client.create_order(NEW_ORDER)["id"] for _ in range(3))
    confirm(container, publish_event, confirmed)
    pending = client.list_pending_orders()
    assert [(order["id"], order["waiting_for"]) for order in pending] == [(first, "stock"), (second, "stock")]
    assert all(order["age_seconds"] >= 0 and order["created_at"].endswith("+00:00") for order in pending)
    assert client.list_pending_orders(older_than_seconds=3600) == []
    with pytest.raises(RemoteError) as refused:
        client.list_pending_orders(older_than_seconds=-1)
    assert refused.value.exc_type == "InvalidInput"


def test_a_create_call_repeated_with_the_same_id_places_one_order(orders, event_tap):
    _, client = orders
    tap = event_tap("orders")
    first = client.create_order(NEW_ORDER, order_id="0123456789abcdef0123456789abcdef")
    again = client.create_order(NEW_ORDER, order_id="0123456789abcdef0123456789abcdef")
    assert first == again
    tap.wait_for("order_created")
    assert len(client.list_orders()) == 1 and len(tap.events("order_created")) == 1


@pytest.fixture
def as_customer(config):
    """An RPC client that acts for the customer ``account_id``, as the gateway's calls for a signed-in customer do."""
    proxies = []

    def client(account_id):
        proxies.append(ServiceRpcProxy("orders", config, context_data={"caller": f"customer:{account_id}"}, timeout=10))
        return proxies[-1].start()

    yield client
    for proxy in proxies:
        proxy.stop()


def test_a_customer_caller_does_not_find_another_customers_order_and_is_refused_shipping(
    orders, as_customer, publish_event
):
    container, operator = orders
    adas, bobs = operator.create_order(NEW_ORDER), operator.create_order(BOBS_ORDER)
    confirm(container, publish_event, adas["id"])
    ada = as_customer("acc-ada")
    assert ada.get_order(adas["id"])["id"] == adas["id"]
    for call in (ada.get_order, ada.cancel_order):
        for order_id in (bobs["id"], "no-such-order"):  # another's is told apart from a missing one by nothing
            with pytest.raises(RemoteError) as not_found:
                call(order_id)
            assert not_found.value.exc_type == "OrderNotFound"
            assert not_found.value.value == f"order {order_id} not found"
    assert [o["id"] for o in ada.list_orders(customer_id="acc-bob")] == [adas["id"]]
    for order_id in (adas["id"], bobs["id"], "no-such-order"):  # refused before any order is looked at
        for staff_only in (
            lambda order_id: ada.ship_order(order_id, "DHL", "JD1"),
            ada.deliver_order,
            ada.refund_order,
        ):
            with pytest.raises(RemoteError) as refused:
                staff_only(order_id)
            assert refused.value.exc_type == "Forbidden"
    with pytest.raises(RemoteError) as refused:
        ada.list_pending_orders()
    assert refused.value.exc_type == "Forbidden"
    with pytest.raises(RemoteError) as refused:
        ada.create_order(BOBS_ORDER)
    assert refused.value.exc_type == "Forbidden"
    assert operator.get_order(adas["id"])["status"] == "confirmed"
    assert operator.get_order(bobs["id"])["status"] == "pending"
    assert len(operator.list_orders()) == 2
