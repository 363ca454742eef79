"""What a hostile client or a forger sends to the payment routes: card numbers where they must never be, payment
method ids of every wrong shape, forged, replayed and oversized webhooks. Each is refused with a clear error,
nothing of it is logged, and the shop carries on."""

import json
import time

import pytest

from harness.payment_provider import signed_event
from harness.shipping import ADDRESS

pytestmark = pytest.mark.hostile

CARD_NUMBERS = [
    "4242424242424242",
    "4242 4242 4242 4242",
    "4000-0566-5566-5556",
    "378282246310005",
    "6011 1111 1111 1117",
    "5555555555554444",
]
WRONG_PAYMENT_METHODS = [
    None,
    "",
    42,
    ["pm_card_visa"],
    {"id": "pm_card_visa"},
    "pm_",
    "card_visa",
    "tok_visa",
    "pm_card visa",
    "pm_card_visa\n",
    "pm_" + "x" * 201,
    "pm_ünicode",
    "pm_card_visa;DROP",
    "pm_\u0000",
]


def order(payment_method, sku="H-ANY"):
    return {"items": [{"sku": sku, "quantity": 1}], "payment_method": payment_method, "shipping_address": ADDRESS}


def logs(stack):
    return "".join(stack.log(service) for service in ("edge", "gateway", "orders", "payments", "inventory"))


def test_a_card_number_anywhere_text_goes_is_refused_naming_the_field_and_never_logged(shop, stack):
    customer = shop.as_customer()
    for card in CARD_NUMBERS:
        where = {
            "payment_method": shop.http.post(f"{shop.url}/orders", json=order(card), headers=customer, timeout=10),
            "name": shop.http.post(
                f"{shop.url}/products",
                timeout=10,
                json={"sku": "H-CARD", "name": f"card {card}", "price": "1.00", "stock": 1, "weight_grams": 250},
            ),
        }
        for field, response in where.items():
            assert (response.status_code, list(response.json()["details"])) == (400, [field]), card
            assert "card number" in response.json()["details"][field][0]
            assert card not in response.text
        shop.http.get(f"{shop.url}/orders", params={"cursor": card}, headers=customer, timeout=10)
        shop.http.get(f"{shop.url}/orders/{card.replace(' ', '')}", headers=customer, timeout=10)
    time.sleep(0.5)  # the edge's access log line is written after the answer
    written = logs(stack)
    assert [card for card in CARD_NUMBERS if card in written or card.replace(" ", "").replace("-", "") in written] == []


def test_a_payment_method_id_of_a_wrong_shape_is_refused_naming_it(shop):
    for payment_method in WRONG_PAYMENT_METHODS:
        response = shop.http.post(
            f"{shop.url}/orders", json=order(payment_method), headers=shop.as_customer(), timeout=10
        )
        assert (response.status_code, list(response.json()["details"])) == (400, ["payment_method"]), payment_method


def webhook(shop, body, signature="t=1,v1=00", content_type="application/json"):
    headers = {"Content-Type": content_type, **({"Stripe-Signature": signature} if signature is not None else {})}
    return shop.http.post(f"{shop.url}/webhooks/stripe", data=body, headers=headers, timeout=10)


FORGED_WEBHOOKS = {  # what: (body, Stripe-Signature)
    "empty": (b"", None),
    "unsigned": (b"{}", None),
    "not json": (b"not json", "t=1,v1=00"),
    "not text": (b"\xff\xfe\x00", "t=1,v1=00"),
    "nested": (b"[" * 10000, "t=1,v1=00"),
    "bad header": (json.dumps({"id": "evt_1", "type": "payment_intent.canceled"}), "garbage"),
    "huge time": (b"{}", "t=" + "9" * 990 + ",v1=00"),
    "many signatures": (b"{}", ",".join(["v1=00"] * 300)),
}


def test_a_forged_webhook_is_refused_and_changes_nothing(shop):
    for what, (body, signature) in FORGED_WEBHOOKS.items():
        response = webhook(shop, body, signature)
        assert (response.status_code, response.json()["error"] in ("invalid_signature", "invalid_input")) == (
            400,
            True,
        ), what


def test_an_oversized_webhook_is_refused_before_any_work(shop, stack):
    body, signature = signed_event(
        stack.webhook_secret,
        "payment_intent.canceled",
        {"id": "pi_x", "object": "payment_intent", "padding": "x" * 70_000},
    )
    assert webhook(shop, body, signature).status_code == 400  # past the payments service's bound, signed or not
    assert webhook(shop, "x" * 2_000_000).status_code == 413  # past the edge's


def test_a_signed_event_of_a_foreign_shape_or_an_unknown_intent_changes_nothing(shop, stack):
    sku = shop.add_product(stock=1)
    placed = shop.wait_for_status(shop.place_order((sku, 1))["id"])
    for data in (
        {"id": "pi_unknown", "object": "payment_intent"},
        {"object": "charge", "payment_intent": 7},
        {"id": ["pi_x"], "object": "payment_intent"},
        "not an object",
    ):
        body, signature = signed_event(stack.webhook_secret, "payment_intent.canceled", data)
        assert webhook(shop, body, signature).status_code in (200, 400)
    assert shop.wait_for_status(placed["id"])["status"] == "confirmed"


def test_a_replayed_webhook_is_applied_once(shop, stack):
    sku = shop.add_product(stock=1)
    placed = shop.wait_for_status(shop.place_order((sku, 1))["id"])
    reference = placed["payment"]["reference"]
    stack.payment_provider.post(f"/v1/payment_intents/{reference}/cancel")
    body, signature = signed_event(
        stack.webhook_secret, "payment_intent.canceled", {"id": reference, "object": "payment_intent"}
    )
    answers = [webhook(shop, body, signature).status_code for _ in range(5)]
    assert answers == [200] * 5
    assert shop.wait_for_status(placed["id"], {"cancelled"})["payment"]["status"] == "voided"
