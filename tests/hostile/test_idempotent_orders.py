"""Clients that retry: the same Idempotency-Key places one order, whatever happened to the first answer."""

import json
import socket
import uuid

import eventlet
import pytest

from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS
from harness.smtp import ORDER_MAIL

pytestmark = pytest.mark.hostile


def order_body(sku, quantity=1):
    return {"payment_method": APPROVED, "shipping_address": ADDRESS, "items": [{"sku": sku, "quantity": quantity}]}


def post_order(shop, body, key, email="retrier@example.com"):
    """The order of the customer ``email``, with an ``Idempotency-Key``."""
    return shop.http.post(
        f"{shop.url}/orders", json=body, timeout=30, headers={"Idempotency-Key": key, **shop.as_customer(email)}
    )


def count_orders(stack, order_id):
    return stack.databases.scalar("orders", "SELECT count(*) FROM orders WHERE id = :id", id=order_id)


def test_a_retried_order_with_the_same_idempotency_key_is_placed_once(shop, stack, smtp_sink):
    sku = shop.add_product()
    key = f'"{uuid.uuid4()}"'
    first, again = post_order(shop, order_body(sku), key), post_order(shop, order_body(sku), key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert shop.wait_for_status(first.json()["id"])["status"] == "confirmed"
    assert count_orders(stack, first.json()["id"]) == 1
    smtp_sink.wait_for(1, "retrier@example.com", ORDER_MAIL)


def test_a_client_whose_connection_died_mid_request_gets_its_first_order_on_retry(shop, stack):
    sku = shop.add_product()
    key = str(uuid.uuid4())
    body = json.dumps(order_body(sku)).encode()
    authorization = shop.as_customer("vanished@example.com")["Authorization"]
    host, port = shop.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as vanishing:  # sends the request, never reads the answer
        vanishing.sendall(
            b"POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: {authorization}\r\nIdempotency-Key: {key}\r\n".encode()
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        eventlet.sleep(0.5)
    retried = post_order(shop, order_body(sku), key, email="vanished@example.com")
    assert retried.status_code == 201
    assert count_orders(stack, retried.json()["id"]) == 1
    assert (
        stack.databases.scalar("orders", "SELECT count(*) FROM orders WHERE customer_email = 'vanished@example.com'")
        == 1
    )
    shop.wait_for_status(retried.json()["id"])


def test_an_idempotency_key_reused_with_another_body_gets_422(shop):
    sku = shop.add_product(stock=10)
    key = str(uuid.uuid4())
    assert post_order(shop, order_body(sku), key).status_code == 201
    reused = post_order(shop, order_body(sku, quantity=2), key)
    assert reused.status_code == 422
    assert reused.json()["error"] == "idempotency_key_reused"


def test_the_same_key_from_another_client_is_another_order(shop):
    sku = shop.add_product(stock=10)
    key = str(uuid.uuid4())
    ada = post_order(shop, order_body(sku), key, email="ada-key@example.com")
    bob = post_order(shop, order_body(sku), key, email="bob-key@example.com")
    assert ada.json()["id"] != bob.json()["id"]
    for placed in (ada, bob):
        shop.wait_for_status(placed.json()["id"])


def test_concurrent_requests_with_one_idempotency_key_place_one_order(shop, stack):
    sku = shop.add_product(stock=10)
    key = str(uuid.uuid4())
    answers = list(eventlet.GreenPool(8).imap(lambda _: post_order(shop, order_body(sku), key), range(8)))
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert count_orders(stack, answers[0].json()["id"]) == 1
    shop.wait_for_status(answers[0].json()["id"])


@pytest.mark.parametrize("key", ["", "k" * 256, "ключ"])
def test_a_malformed_idempotency_key_is_refused_naming_the_header(shop, key):
    sku = shop.add_product()
    response = shop.http.post(
        f"{shop.url}/orders",
        json=order_body(sku),
        timeout=10,
        headers={"Idempotency-Key": key.encode("utf-8"), **shop.as_customer()},
    )
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["details"]
