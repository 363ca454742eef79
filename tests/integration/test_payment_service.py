"""The payments service in a real container, with the orders and inventory services: the saga over a real RabbitMQ,
against a real payment provider API (localstripe), read back over its own HTTP API."""

import time

import pytest
from nameko.exceptions import RemoteError

from harness.payment_provider import APPROVED, DECLINED, signed_event
from harness.shipping import ADDRESS, tracking_number
from harness.waiting import wait_until
from inventory_service.service import InventoryService
from order_service.service import OrderService
from payment_service.service import PaymentService
from shipping_service.service import ShippingService
from tests.conftest import WEBHOOK_SECRET

FINAL = {"confirmed", "rejected", "cancelled", "shipped", "delivered", "refunded"}


@pytest.fixture
def shop(container_factory, config, rpc_client):
    for service in (InventoryService, OrderService, PaymentService, ShippingService):
        container_factory(service, config).start()
    inventory = rpc_client("inventory")
    inventory.create_product({"sku": "TEA-1", "name": "Green tea", "price": "12.50", "stock": 5, "weight_grams": 250})
    return rpc_client("orders"), inventory, rpc_client("payments")


def place(orders, payment_method=APPROVED, quantity=2):
    return orders.create_order(
        {
            "customer_id": "acc-ada",
            "customer_email": "ada@example.com",
            "payment_method": payment_method,
            "shipping_address": ADDRESS,
            "items": [{"sku": "TEA-1", "quantity": quantity}],
        }
    )


def wait_for(orders, order_id, statuses=FINAL, timeout=10.0, payment=None):
    """The order once its status is one of ``statuses`` (and its payment's is ``payment``, if given)."""

    def arrived():
        order = orders.get_order(order_id)
        if order["status"] in statuses and (payment is None or (order["payment"] or {}).get("status") == payment):
            return order
        return None

    what = f"order {order_id} {' or '.join(sorted(statuses))}" + (f", its payment {payment}" if payment else "")
    return wait_until(arrived, timeout, what)


def intent_of(payment_provider, order):
    [intent] = [
        intent for intent in payment_provider.payment_intents() if intent["metadata"].get("order_id") == order["id"]
    ]
    return intent


def test_an_order_is_confirmed_once_its_payment_is_authorised_for_its_total(shop, payment_provider, event_tap):
    orders, _, payments = shop
    tap = event_tap("payments")
    order = wait_for(orders, place(orders)["id"])
    assert (order["status"], order["total"], order["payment"]["status"], order["payment"]["amount"]) == (
        "confirmed",
        "29.90",
        "authorised",
        "29.90",
    )
    intent = intent_of(payment_provider, order)
    assert (intent["id"], intent["status"], intent["amount"]) == (
        order["payment"]["reference"],
        "requires_capture",
        2990,
    )
    assert tap.wait_for("payment_authorised")[0]["payment"]["order_id"] == order["id"]
    assert payments.get_payment(order["id"])["status"] == "authorised"


def test_a_declined_card_rejects_the_order_and_gives_its_stock_back(shop):
    orders, inventory, _ = shop
    order = wait_for(orders, place(orders, DECLINED)["id"])
    assert (order["status"], order["rejection_reason"], order["payment"]["status"]) == (
        "rejected",
        "payment_declined",
        "declined",
    )
    wait_until(lambda: inventory.get_product("TEA-1")["stock"] == 5, 10, "the stock of the declined order released")


def test_cancelling_a_confirmed_order_voids_its_authorisation(shop, payment_provider):
    orders, _, _ = shop
    order = wait_for(orders, place(orders)["id"])
    orders.cancel_order(order["id"])
    wait_for(orders, order["id"], {"cancelled"}, payment="voided")
    assert intent_of(payment_provider, order)["status"] == "canceled"


def test_shipping_captures_and_a_refund_through_orders_gives_it_back(shop, payment_provider, event_tap):
    orders, _, _ = shop
    tap = event_tap("orders")
    order = wait_for(orders, place(orders)["id"])
    orders.ship_order(order["id"], "DHL", tracking_number())
    wait_for(orders, order["id"], {"shipped"}, payment="captured")
    assert intent_of(payment_provider, order)["status"] == "succeeded"
    in_part = orders.refund_order(order["id"], "5.00")
    assert (in_part["status"], in_part["payment"]["refunded"]) == ("shipped", "5.00")
    in_full = orders.refund_order(order["id"])
    assert (in_full["status"], in_full["payment"]["status"], in_full["payment"]["refunded"]) == (
        "refunded",
        "refunded",
        "29.90",
    )
    assert sorted(refund["amount"] for refund in payment_provider.refunds(in_full["payment"]["reference"])) == [
        500,
        2490,
    ]
    assert len(tap.wait_for("order_refunded")) == 1
    with pytest.raises(RemoteError) as refused:
        orders.refund_order(order["id"])
    assert refused.value.exc_type == "TransitionNotAllowed"


def test_a_refund_of_more_than_is_left_is_refused_naming_what_is_left(shop):
    orders, _, _ = shop
    order = wait_for(orders, place(orders)["id"])
    orders.ship_order(order["id"], "DHL", tracking_number())
    wait_for(orders, order["id"], {"shipped"}, payment="captured")
    with pytest.raises(RemoteError) as refused:
        orders.refund_order(order["id"], "29.91")
    assert (refused.value.exc_type, "at most 29.90" in refused.value.value) == ("Conflict", True)  # its family


def test_a_signed_provider_event_is_applied_once_and_a_forged_or_stale_one_changes_nothing(
    shop, payment_provider, event_tap
):
    orders, _, payments = shop
    tap = event_tap("payments")
    order = wait_for(orders, place(orders)["id"])
    reference = order["payment"]["reference"]
    payment_provider.post(f"/v1/payment_intents/{reference}/cancel")  # let go at the provider's dashboard
    intent = {"id": reference, "object": "payment_intent", "status": "canceled"}
    for forged in (
        signed_event("whsec_not_the_shops", "payment_intent.canceled", intent),
        signed_event(WEBHOOK_SECRET, "payment_intent.canceled", intent, timestamp=time.time() - 600),
        (signed_event(WEBHOOK_SECRET, "payment_intent.canceled", intent)[0], "t=1,v1=00"),
        (signed_event(WEBHOOK_SECRET, "payment_intent.canceled", intent)[0], ""),
    ):
        with pytest.raises(RemoteError) as refused:
            payments.receive_provider_event(*forged)
        assert refused.value.exc_type == "InvalidWebhook"
    assert orders.get_order(order["id"])["status"] == "confirmed"
    body, signature = signed_event(WEBHOOK_SECRET, "payment_intent.canceled", intent)
    assert payments.receive_provider_event(body, signature) == {"received": True}
    assert payments.receive_provider_event(body, signature) == {"received": True}  # replayed: applied once
    wait_for(orders, order["id"], {"cancelled"}, payment="voided")
    time.sleep(0.3)
    assert len(tap.events("payment_voided")) == 1


def test_a_capture_the_provider_keeps_refusing_is_dead_lettered_with_its_reason_never_lost(
    container_factory, config, rpc_client, payment_provider
):
    """The authorisation was let go at the provider, and no webhook told the shop: shipping cannot take the money.
    After its retries the capture waits in the dead letters, with the provider's reason, for an operator."""
    quick = {**config, "EVENT_RETRY": {"MAX_ATTEMPTS": 2, "BACKOFF_SECONDS": 0.05, "MAX_BACKOFF_SECONDS": 0.1}}
    for service in (InventoryService, OrderService, PaymentService, ShippingService):
        container_factory(service, quick).start()
    rpc_client("inventory").create_product(
        {"sku": "TEA-1", "name": "Green tea", "price": "12.50", "stock": 5, "weight_grams": 250}
    )
    orders, payments = rpc_client("orders"), rpc_client("payments")
    order = wait_for(orders, place(orders)["id"])
    payment_provider.post(f"/v1/payment_intents/{order['payment']['reference']}/cancel")
    orders.ship_order(order["id"], "DHL", tracking_number())
    [letter] = wait_until(payments.list_dead_letters, 10, "the refused capture in the dead letters", poll_seconds=0.1)
    assert (letter["event_type"], letter["attempts"]) == ("order_shipped", 2)
    assert "the intent is canceled, not captured" in letter["error"]
    assert payments.get_payment(order["id"])["status"] == "authorised"  # nothing recorded that did not happen
