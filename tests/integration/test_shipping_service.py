"""The shipping service in a real container, with the orders and inventory services: quotes, shipments opened by
confirmed orders, dispatch and delivery through orders, carriers' signed updates, over a real RabbitMQ."""

import time

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from harness.shipping import ADDRESS, carrier_signature, carrier_update, tracking_number
from harness.waiting import wait_until
from order_service.service import OrderService
from shop_common.vocabulary.events import new_event
from tests.conftest import CARRIER_SECRET
from tests.integration.conftest import CATALOGUE

LINES = [{"sku": "TEA-1", "quantity": 2}]
NEW_ORDER = {
    "customer_id": "acc-ada",
    "customer_email": "ada@example.com",
    "payment_method": "pm_card_visa",
    "shipping_address": ADDRESS,
    "items": LINES,
}


@pytest.fixture
def shipping(quotes, rpc_client):
    return rpc_client("shipping")


@pytest.fixture
def orders(container_factory, config, quotes, rpc_client):
    container = container_factory(OrderService, config)
    container.start()
    return container, rpc_client("orders")


def confirmed_order(container, client, publish_event):
    """An order whose stock events and payment a test tells the orders service itself."""
    order = client.create_order(NEW_ORDER)
    priced = [{**line, "unit_price": "12.50"} for line in LINES]
    with entrypoint_waiter(container, "handle_stock_reserved"):
        publish_event("inventory", "stock_reserved", new_event(order_id=order["id"], items=priced))
    payment = {
        "order_id": order["id"],
        "status": "authorised",
        "amount": "29.90",
        "currency": "EUR",
        "reference": "pi_1",
        "refunded": "0.00",
    }
    with entrypoint_waiter(container, "handle_payment_authorised"):
        publish_event("payments", "payment_authorised", new_event(payment=payment))
    return client.get_order(order["id"])


def wait_for_shipment(shipping, order_id, status, timeout=10.0):
    """The order's shipment once its status is ``status``."""

    def arrived():
        try:
            shipment = shipping.get_shipment(order_id)
        except RemoteError as error:
            assert error.exc_type == "ShipmentNotFound"
            return None
        return shipment if shipment["status"] == status else None

    return wait_until(arrived, timeout, f"a shipment {status} for order {order_id}")


def test_a_quote_prices_the_weighed_parcel_for_its_zone_and_normalises_the_address(shipping):
    quote = shipping.quote({**ADDRESS, "city": "berlin"}, LINES)
    assert (quote["shipping_cost"], quote["currency"], quote["weight_grams"]) == ("4.90", "EUR", 500)
    assert quote["shipping_address"]["city"] == "BERLIN"


@pytest.mark.parametrize(
    "address, items, message",
    [  # the fields named: tests/e2e/test_shipping.py
        ({**ADDRESS, "postal_code": "1011"}, LINES, "the shipping address does not hold"),
        ({**ADDRESS, "country_code": "BR"}, LINES, "the shipping address does not hold"),
        ({**ADDRESS, "name": ""}, LINES, "validation failed"),
        (ADDRESS, [{"sku": "NOPE", "quantity": 1}], "the order cannot be shipped"),
        (ADDRESS, [{"sku": "TEA-1", "quantity": 1000}], "the order cannot be shipped"),
    ],
)
def test_a_quote_that_cannot_be_made_is_refused_as_invalid_input(shipping, address, items, message):
    with pytest.raises(RemoteError) as refused:
        shipping.quote(address, items)
    assert (refused.value.exc_type, refused.value.value) == ("InvalidInput", message)


def test_an_order_keeps_the_quoted_cost_and_normalised_address_and_pays_for_both(orders, publish_event):
    container, client = orders
    order = confirmed_order(container, client, publish_event)
    assert (order["items_total"], order["shipping_cost"], order["total"]) == ("25.00", "4.90", "29.90")
    assert order["shipping_address"]["city"] == "BERLIN"
    assert order["shipment"] == {
        "status": "awaiting_dispatch",
        "carrier": None,
        "tracking_number": None,
        "dispatched_at": None,
        "delivered_at": None,
    }


def test_a_confirmed_order_gets_a_shipment_that_staff_dispatch_and_a_signed_carrier_update_delivers(
    orders, shipping, publish_event, event_tap
):
    container, client = orders
    tap = event_tap("orders")
    order = confirmed_order(container, client, publish_event)
    awaiting = wait_for_shipment(shipping, order["id"], "awaiting_dispatch")
    assert awaiting["shipping_address"] == order["shipping_address"]
    assert [s["order_id"] for s in shipping.list_shipments(status="awaiting_dispatch")] == [order["id"]]

    tracking = tracking_number()
    shipped = client.ship_order(order["id"], "DHL", tracking)
    assert (shipped["status"], shipped["shipment"]["status"], shipped["shipment"]["tracking_number"]) == (
        "shipped",
        "dispatched",
        tracking,
    )
    assert shipping.list_shipments(status="awaiting_dispatch") == []
    assert tap.wait_for("order_shipped")[0]["order"]["shipment"]["carrier"] == "DHL"
    with pytest.raises(RemoteError) as refused:
        client.cancel_order(order["id"])
    assert refused.value.exc_type == "TransitionNotAllowed"

    body = carrier_update(tracking, occurred_at="2026-12-08T09:30:00+00:00")
    with entrypoint_waiter(container, "handle_shipment_delivered"):
        assert shipping.receive_carrier_update(body.decode(), carrier_signature(body, CARRIER_SECRET)) == {
            "received": True
        }
    delivered = client.get_order(order["id"])
    assert (delivered["status"], delivered["shipment"]["delivered_at"]) == ("delivered", "2026-12-08T09:30:00+00:00")
    assert len(tap.wait_for("order_delivered")) == 1


def test_a_forged_stale_or_replayed_carrier_update_changes_nothing(orders, shipping, publish_event, event_tap):
    container, client = orders
    order = confirmed_order(container, client, publish_event)
    tracking = tracking_number()
    client.ship_order(order["id"], "DHL", tracking)
    body = carrier_update(tracking)
    for forged in (
        carrier_signature(body, "not the shop's"),
        carrier_signature(body, CARRIER_SECRET, at=time.time() - 600),
        "",
    ):
        with pytest.raises(RemoteError) as refused:
            shipping.receive_carrier_update(body.decode(), forged)
        assert refused.value.exc_type == "InvalidCarrierUpdate"
    assert client.get_order(order["id"])["status"] == "shipped"
    tap = event_tap("shipping")
    signature = carrier_signature(body, CARRIER_SECRET)
    for _ in range(2):  # the carrier's retry of the same event
        shipping.receive_carrier_update(body.decode(), signature)
    tap.wait_for("shipment_delivered")
    time.sleep(0.3)
    assert len(tap.events("shipment_delivered")) == 1


def test_staff_deliver_a_shipped_order_and_a_cancelled_order_cancels_its_shipment(orders, shipping, publish_event):
    container, client = orders
    order = confirmed_order(container, client, publish_event)
    with pytest.raises(RemoteError) as refused:
        client.deliver_order(order["id"])
    assert refused.value.exc_type == "TransitionNotAllowed"
    client.ship_order(order["id"], "DHL", tracking_number())
    assert client.deliver_order(order["id"])["status"] == "delivered"

    other = confirmed_order(container, client, publish_event)
    wait_for_shipment(shipping, other["id"], "awaiting_dispatch")
    client.cancel_order(other["id"])
    wait_for_shipment(shipping, other["id"], "cancelled")
    with pytest.raises(RemoteError) as refused:
        client.ship_order(other["id"], "DHL", tracking_number())
    assert refused.value.exc_type == "TransitionNotAllowed"


def test_a_tracking_number_of_another_parcel_is_refused(orders, publish_event):
    container, client = orders
    tracking = tracking_number()
    client.ship_order(confirmed_order(container, client, publish_event)["id"], "DHL", tracking)
    second = confirmed_order(container, client, publish_event)
    with pytest.raises(RemoteError) as refused:
        client.ship_order(second["id"], "DHL", tracking)
    assert (refused.value.exc_type, f"tracking number {tracking} belongs to another shipment") == (
        "Conflict",
        refused.value.value,
    )  # its family, as orders passes it on
    assert client.get_order(second["id"])["status"] == "confirmed"


@pytest.fixture
def customer_shipping(config):
    """The shipping service called for a signed-in customer, as the gateway calls it."""
    with ServiceRpcProxy("shipping", config, context_data={"caller": "customer:acc-ada"}, timeout=10) as proxy:
        yield proxy


def test_a_customer_quotes_but_only_staff_see_dispatch_deliver_shipments_or_replace_rates(shipping, customer_shipping):
    assert customer_shipping.quote(ADDRESS, LINES)["shipping_cost"] == "4.90"
    for staff_only in (
        lambda: customer_shipping.list_shipments(),
        lambda: customer_shipping.get_shipment("o-1"),
        lambda: customer_shipping.dispatch_shipment("o-1", ADDRESS, "DHL", "JD1"),
        lambda: customer_shipping.deliver_shipment("o-1"),
        lambda: customer_shipping.replace_rates({"DE": "EU"}, []),
    ):
        with pytest.raises(RemoteError) as refused:
            staff_only()
        assert refused.value.exc_type == "Forbidden"


def test_staff_replace_the_rates_from_the_shell_and_quotes_follow_at_once(shipping):
    table = shipping.get_rates()
    assert table["zones"]["DE"] == "EU" and {"zone": "EU", "up_to_grams": 2000, "cost": "4.90"} in table["bands"]
    replaced = shipping.replace_rates({"DE": "HOME"}, [{"zone": "HOME", "up_to_grams": 1000, "cost": "2.50"}])
    assert replaced == {"zones": {"DE": "HOME"}, "bands": [{"zone": "HOME", "up_to_grams": 1000, "cost": "2.50"}]}
    assert shipping.quote(ADDRESS, LINES)["shipping_cost"] == "2.50"
    with pytest.raises(RemoteError) as refused:
        shipping.replace_rates({"DE": "HOME"}, [{"zone": "HOME", "up_to_grams": 0, "cost": "-1"}])
    assert refused.value.exc_type == "InvalidInput"
    assert shipping.get_rates() == replaced


def test_a_weighed_product_is_quoted_while_the_catalogue_is_away_and_an_unweighed_one_is_not(
    quotes, shipping, clean_databases
):
    wait_until(
        lambda: clean_databases.scalar("shipping", "SELECT count(*) FROM product_weights") >= len(CATALOGUE),
        10,
        "inventory's product_weighed events at shipping",
    )
    quotes.stop()  # the catalogue
    assert shipping.quote(ADDRESS, LINES)["weight_grams"] == 500
    with pytest.raises(RemoteError) as refused:
        shipping.quote(ADDRESS, [{"sku": "NEW-1", "quantity": 1}])  # not told of: the catalogue must answer
    assert refused.value.exc_type == "ServiceUnavailable"
