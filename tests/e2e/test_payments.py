"""Orders paid for, from HTTP through the edge to the payment provider (localstripe) and the customer's email."""

import time

import pytest

from harness.payment_provider import DECLINED, signed_event
from harness.shipping import ADDRESS
from harness.smtp import ORDER_MAIL
from harness.waiting import wait_until

pytestmark = pytest.mark.e2e

CARD_NUMBER = "4242424242424242"


def intents_of(stack, order_id):
    return [
        intent for intent in stack.payment_provider.payment_intents() if intent["metadata"].get("order_id") == order_id
    ]


def wait_for_payment(shop, order_id, status, timeout=20.0):
    """The order once its payment's status is ``status``."""

    def arrived():
        order = shop.get(f"/orders/{order_id}").json()
        return order if order["payment"]["status"] == status else None

    return wait_until(arrived, timeout, f"the payment of {order_id} {status}")


def test_an_order_is_authorised_confirmed_captured_at_shipment_and_refunded_with_an_email_at_each_step(
    shop, stack, smtp_sink, email
):
    tea = shop.add_product(stock=5, price="12.50")
    placed = shop.place_order(email, (tea, 2))
    assert placed["payment"] is None
    order = shop.wait_for_status(placed["id"])
    assert (order["status"], order["payment"]["status"], order["payment"]["amount"], order["payment"]["currency"]) == (
        "confirmed",
        "authorised",
        "29.90",
        "EUR",
    )  # the items and their shipping
    [intent] = intents_of(stack, order["id"])
    assert (intent["id"], intent["amount"], intent["status"]) == (
        order["payment"]["reference"],
        2990,
        "requires_capture",
    )

    assert shop.ship(order["id"])["status"] == "shipped"
    wait_for_payment(shop, order["id"], "captured")
    assert intents_of(stack, order["id"])[0]["status"] == "succeeded"

    in_part = shop.post(f"/orders/{order['id']}/refund", json={"amount": "5.00"})
    assert (in_part.status_code, in_part.json()["status"], in_part.json()["payment"]["refunded"]) == (
        200,
        "shipped",
        "5.00",
    )
    in_full = shop.post(f"/orders/{order['id']}/refund", json={})
    assert (in_full.status_code, in_full.json()["status"], in_full.json()["payment"]["refunded"]) == (
        200,
        "refunded",
        "29.90",
    )
    again = shop.post(f"/orders/{order['id']}/refund", json={})
    assert (again.status_code, again.json()["error"]) == (409, "conflict")
    assert sorted(refund["amount"] for refund in stack.payment_provider.refunds(intent["id"])) == [500, 2490]

    smtp_sink.wait_for(3, email, ORDER_MAIL)
    assert smtp_sink.subjects_to(email, ORDER_MAIL) == sorted(
        f"Order {order['id']} {outcome}" for outcome in ("confirmed", "shipped", "refunded")
    )


def test_a_declined_card_rejects_the_order_releases_its_stock_and_tells_the_customer_why(shop, smtp_sink, email):
    tea = shop.add_product(stock=2)
    order = shop.wait_for_status(shop.place_order(email, (tea, 2), payment_method=DECLINED)["id"])
    assert (order["status"], order["rejection_reason"], order["payment"]["status"]) == (
        "rejected",
        "payment_declined",
        "declined",
    )
    [mail] = smtp_sink.wait_for(1, email, ORDER_MAIL)
    assert "your payment method was declined" in mail.get_payload()
    wait_until(lambda: shop.stock_of(tea) == 2, 10, "the stock of the declined order released")


def test_cancelling_a_confirmed_order_voids_its_authorisation_at_the_provider(shop, stack, email):
    tea = shop.add_product(stock=5)
    order = shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])
    assert shop.post(f"/orders/{order['id']}/cancel").json()["status"] == "cancelled"
    wait_for_payment(shop, order["id"], "voided")
    assert [intent["status"] for intent in intents_of(stack, order["id"])] == ["canceled"]


def test_only_staff_refund_and_only_a_shipped_order_naming_a_valid_amount(shop, stack, email):
    tea = shop.add_product(stock=5)
    order = shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])
    as_customer = {"Authorization": f"Bearer {stack.accounts.customer_token(email)}"}
    assert (
        shop.http.post(f"{shop.url}/orders/{order['id']}/refund", json={}, headers=as_customer, timeout=10).status_code
        == 403
    )
    assert shop.post(f"/orders/{order['id']}/refund", json={}).status_code == 409  # confirmed, not shipped
    for amount in ("-1.00", "0", "1.001", "ten", [], "NaN"):
        refused = shop.post(f"/orders/{order['id']}/refund", json={"amount": amount})
        assert (refused.status_code, list(refused.json()["details"])) == (400, ["amount"]), amount
    assert shop.post(f"/orders/{order['id']}/refund", json={"to": "me"}).status_code == 400


def test_a_card_number_is_refused_naming_the_field_and_never_logged(shop, stack, email):
    tea = shop.add_product(stock=5)
    token = stack.accounts.customer_token(email)
    for card in (CARD_NUMBER, "4242 4242 4242 4242"):
        refused = shop.http.post(
            f"{shop.url}/orders",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            json={"items": [{"sku": tea, "quantity": 1}], "payment_method": card, "shipping_address": ADDRESS},
        )
        assert (refused.status_code, list(refused.json()["details"])) == (400, ["payment_method"])
        assert "card number" in refused.json()["details"]["payment_method"][0]
    named = shop.post(
        "/products",
        json={"sku": "CARD-1", "name": f"gift {CARD_NUMBER}", "price": "1.00", "stock": 1, "weight_grams": 250},
    )
    assert (named.status_code, list(named.json()["details"])) == (400, ["name"])
    logs = "".join(stack.log(service) for service in ("edge", "gateway", "orders", "payments"))
    assert CARD_NUMBER not in logs and "4242 4242 4242 4242" not in logs


def test_a_provider_webhook_through_the_edge_is_applied_once_and_a_forged_or_stale_one_is_refused(
    shop, stack, smtp_sink, email
):
    tea = shop.add_product(stock=5)
    order = shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])
    reference = order["payment"]["reference"]
    stack.payment_provider.post(f"/v1/payment_intents/{reference}/cancel")  # the authorisation let go at the provider
    intent = {"id": reference, "object": "payment_intent", "status": "canceled"}

    def deliver(body, signature):
        headers = {"Content-Type": "application/json", **({"Stripe-Signature": signature} if signature else {})}
        return shop.http.post(f"{shop.url}/webhooks/stripe", data=body, headers=headers, timeout=10)

    body, signature = signed_event(stack.webhook_secret, "payment_intent.canceled", intent)
    for forged in (
        (body, None),
        (body, "t=1,v1=00"),
        (body.replace("canceled", "cancelled"), signature),
        signed_event("whsec_someone_else", "payment_intent.canceled", intent),
        signed_event(stack.webhook_secret, "payment_intent.canceled", intent, timestamp=time.time() - 600),
    ):
        refused = deliver(*forged)
        assert (refused.status_code, refused.json()["error"]) == (400, "invalid_signature")
    assert shop.get(f"/orders/{order['id']}").json()["status"] == "confirmed"

    assert deliver(body, signature).json() == {"received": True}
    assert deliver(body, signature).status_code == 200  # the provider delivers again: applied once
    cancelled = wait_for_payment(shop, order["id"], "voided")
    assert cancelled["status"] == "cancelled"
    smtp_sink.wait_for(2, email, ORDER_MAIL)
    time.sleep(0.5)
    assert smtp_sink.subjects_to(email, ORDER_MAIL) == sorted(
        [f"Order {order['id']} confirmed", f"Order {order['id']} cancelled"]
    )


def test_a_capture_at_the_provider_is_followed_by_its_own_webhook_delivery(shop, stack, email):
    """localstripe itself signs and sends ``payment_intent.succeeded`` to the edge when an intent is captured."""
    stack.payment_provider.send_webhooks_to(
        f"{stack.url}/webhooks/stripe", stack.webhook_secret, ["payment_intent.succeeded"]
    )
    tea = shop.add_product(stock=5)
    order = shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])
    stack.payment_provider.post(f"/v1/payment_intents/{order['payment']['reference']}/capture")
    assert wait_for_payment(shop, order["id"], "captured")["status"] == "confirmed"


def test_the_contract_documents_the_refund_and_the_webhook(shop):
    paths = shop.get("/openapi.json").json()["paths"]
    webhook = paths["/webhooks/stripe"]["post"]
    assert webhook["security"] == [] and "400" in webhook["responses"]
    assert any(parameter.get("name") == "Stripe-Signature" for parameter in webhook["parameters"])
    assert {"200", "400", "403", "409", "503"} <= set(paths["/orders/{order_id}/refund"]["post"]["responses"])


def test_a_webhook_that_comes_late_or_out_of_order_changes_nothing_the_provider_did_not(shop, stack, email):
    tea = shop.add_product(stock=5)
    order = shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])
    shop.ship(order["id"])
    wait_for_payment(shop, order["id"], "captured")
    reference = order["payment"]["reference"]
    for late in ("payment_intent.amount_capturable_updated", "payment_intent.canceled", "payment_intent.created"):
        body, signature = signed_event(
            stack.webhook_secret, late, {"id": reference, "object": "payment_intent", "status": "requires_capture"}
        )
        answer = shop.http.post(
            f"{shop.url}/webhooks/stripe",
            data=body,
            timeout=10,
            headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
        )
        assert answer.status_code == 200
    shown = shop.get(f"/orders/{order['id']}").json()
    assert (shown["status"], shown["payment"]["status"]) == ("shipped", "captured")
