"""Shipping end to end over HTTP, behind the edge: a quote, an order that pays for its shipping, its parcel
dispatched with a carrier and delivered by the carrier's signed update, with the customer's emails; addresses the
shop cannot ship to; forged, stale and replayed carrier updates."""

import time

import pytest
import requests

from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS, CARRIER, carrier_signature, carrier_update, tracking_number
from harness.smtp import ORDER_MAIL

pytestmark = pytest.mark.e2e

CARRIER_WEBHOOK = "/webhooks/carrier"


def post_update(shop, body, signature):
    return shop.post(
        CARRIER_WEBHOOK, data=body, headers={"Content-Type": "application/json", "Carrier-Signature": signature}
    )


def wait_for_order(shop, order_id, status, timeout=20.0):
    return shop.wait_for_status(order_id, {status}, timeout)


def test_quote_order_confirm_dispatch_and_a_signed_carrier_delivery_with_an_email_at_each_step(
    shop, stack, smtp_sink, email
):
    tea = shop.add_product(stock=5, price="12.50")
    quote = requests.post(
        f"{shop.url}/shipping/quote",
        timeout=30,  # anyone, signed in or not
        json={"shipping_address": ADDRESS, "items": [{"sku": tea, "quantity": 2}]},
    )
    assert quote.status_code == 200, quote.text
    assert (quote.json()["shipping_cost"], quote.json()["currency"], quote.json()["weight_grams"]) == (
        "4.90",
        "EUR",
        500,
    )

    placed = shop.place_order(email, (tea, 2))
    assert (placed["shipping_cost"], placed["shipping_address"]["city"]) == ("4.90", "BERLIN")
    order = shop.wait_for_status(placed["id"])
    assert (order["status"], order["items_total"], order["shipping_cost"], order["total"]) == (
        "confirmed",
        "25.00",
        "4.90",
        "29.90",
    )
    assert (order["payment"]["amount"], order["shipment"]["status"]) == ("29.90", "awaiting_dispatch")
    waiting = shop.every("/shipments", status="awaiting_dispatch")
    assert order["id"] in [shipment["order_id"] for shipment in waiting]

    tracking = tracking_number()
    shipped = shop.ship(order["id"], tracking)
    assert (
        shipped["status"],
        shipped["shipment"]["status"],
        shipped["shipment"]["carrier"],
        shipped["shipment"]["tracking_number"],
    ) == ("shipped", "dispatched", CARRIER, tracking)
    cancel = shop.post(f"/orders/{order['id']}/cancel")
    assert (cancel.status_code, cancel.json()["error"]) == (409, "conflict")

    body = carrier_update(tracking)
    assert post_update(shop, body, carrier_signature(body, stack.carrier_secret)).json() == {"received": True}
    delivered = wait_for_order(shop, order["id"], "delivered")
    assert delivered["shipment"]["delivered_at"] == "2026-12-06T12:00:00+00:00"
    refund = shop.post(f"/orders/{order['id']}/refund", json={})
    assert (refund.status_code, refund.json()["status"]) == (200, "refunded")

    smtp_sink.wait_for(4, email, ORDER_MAIL)
    assert smtp_sink.subjects_to(email, ORDER_MAIL) == sorted(
        f"Order {order['id']} {outcome}" for outcome in ("confirmed", "shipped", "delivered", "refunded")
    )
    [shipped_mail] = [mail for mail in smtp_sink.wait_for(4, email, ORDER_MAIL) if "shipped" in mail["Subject"]]
    text = shipped_mail.get_payload()
    assert f"Carrier: {CARRIER}" in text and f"Tracking number: {tracking}" in text
    assert "Shipping: 4.90 EUR" in text


def test_staff_mark_delivery_when_the_carrier_does_not_and_the_customer_gets_one_email(shop, stack, smtp_sink, email):
    tea = shop.add_product(stock=2)
    order = shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])
    tracking = tracking_number()
    shop.ship(order["id"], tracking)
    delivered = shop.post(f"/orders/{order['id']}/deliver")
    assert (delivered.status_code, delivered.json()["status"]) == (200, "delivered")
    body = carrier_update(tracking)
    post_update(shop, body, carrier_signature(body, stack.carrier_secret))  # the carrier says so too, later
    smtp_sink.wait_for(3, email, ORDER_MAIL)
    time.sleep(0.5)
    assert sorted(smtp_sink.subjects_to(email, ORDER_MAIL)) == sorted(
        f"Order {order['id']} {outcome}" for outcome in ("confirmed", "shipped", "delivered")
    )


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"postal_code": "1011"}, "postal_code", "does not fit this country's rules"),
        ({"postal_code": ""}, "postal_code", "is required in this country"),
        ({"country_code": "BR", "postal_code": "01310-100"}, "country_code", "the shop does not ship to BR"),
        ({"country_code": "QQ"}, "country_code", "the shop does not ship to QQ"),
        ({"country_code": "USA"}, "country_code", None),
        ({"name": ""}, "name", None),
        ({"street_address": "Unter den Linden\x00 1"}, "street_address", None),
        ({"city": "Berlin\n"}, "city", None),
        ({"floor": "3"}, "floor", None),
    ],
)
def test_an_address_the_shop_cannot_ship_to_is_a_400_naming_the_field_and_places_nothing(
    shop, stack, email, change, field, message
):
    tea = shop.add_product(stock=1)
    address = {**ADDRESS, **change}
    for path, body in (
        ("/shipping/quote", {"shipping_address": address, "items": [{"sku": tea, "quantity": 1}]}),
        ("/orders", {"payment_method": APPROVED, "shipping_address": address, "items": [{"sku": tea, "quantity": 1}]}),
    ):
        response = shop.post(
            path, json=body, headers={"Authorization": f"Bearer {stack.accounts.customer_token(email)}"}
        )
        assert (response.status_code, response.json()["error"], list(response.json()["details"])) == (
            400,
            "invalid_input",
            ["shipping_address"],
        ), response.text
        named = response.json()["details"]["shipping_address"]
        assert list(named) == [field]
        if message:
            assert named[field] == [message]
    assert shop.get("/orders", params={"customer_email": email}).json()["items"] == []
    assert shop.stock_of(tea) == 1


def test_a_forged_stale_or_replayed_carrier_update_changes_nothing(shop, stack, email):
    tea = shop.add_product(stock=1)
    order = shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])
    tracking = tracking_number()
    shop.ship(order["id"], tracking)
    body = carrier_update(tracking)
    for forged in (
        carrier_signature(body, "not-the-shops-secret"),
        carrier_signature(body, stack.carrier_secret, at=time.time() - 301),
        carrier_signature(body, stack.carrier_secret).replace("t=", "t=1"),
        "t=1,v1=00",
        "",
    ):
        refused = post_update(shop, body, forged)
        assert (refused.status_code, refused.json()["error"], list(refused.json()["details"])) == (
            400,
            "invalid_signature",
            ["Carrier-Signature"],
        ), forged
    tampered = body.replace(tracking.encode(), b"JD-SOMEONE-ELSES")
    assert post_update(shop, tampered, carrier_signature(body, stack.carrier_secret)).status_code == 400
    assert shop.get(f"/orders/{order['id']}").json()["status"] == "shipped"

    signature = carrier_signature(body, stack.carrier_secret)
    for _ in range(3):  # the carrier retries the same event
        assert post_update(shop, body, signature).status_code == 200
    wait_for_order(shop, order["id"], "delivered")
    counted = {outcome: carrier_updates(stack, outcome) for outcome in ("refused", "applied", "repeated")}
    assert counted["refused"] >= 6 and counted["applied"] >= 1 and counted["repeated"] >= 2, counted


def carrier_updates(stack, outcome):
    """``shop_carrier_updates_total`` of the outcome, as the shipping service's metrics endpoint tells it."""
    text = requests.get(f"{stack.ops_urls['shipping', 0]}/metrics", timeout=5).text
    line = f'shop_carrier_updates_total{{outcome="{outcome}"}} '
    return sum(float(row.split()[-1]) for row in text.splitlines() if row.startswith(line))


def test_shipments_awaiting_dispatch_are_listed_oldest_first_in_pages_for_staff_alone(shop, stack, email):
    tea = shop.add_product(stock=3)
    orders = [shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])["id"] for _ in range(3)]
    seen = [shipment["order_id"] for shipment in shop.every("/shipments", limit=2, status="awaiting_dispatch")]
    assert [order_id for order_id in seen if order_id in orders] == orders
    customer = {"Authorization": f"Bearer {stack.accounts.customer_token(email)}"}
    assert shop.get("/shipments", headers=customer).status_code == 403
