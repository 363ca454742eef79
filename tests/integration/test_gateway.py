"""The gateway in a real container with the real services it calls, over HTTP."""

import logging
import time

import pytest
import requests

from accounts_service.service import AccountsService
from gateway.service import GatewayService
from harness.shipping import ADDRESS
from harness.waiting import wait_until
from inventory_service.service import InventoryService
from order_service.service import OrderService
from payment_service.service import PaymentService
from shipping_service.service import ShippingService
from shop_common.observability.log_format import TraceFormatter


@pytest.fixture
def start(container_factory, web_config):
    def start_services(*services):
        for service in services:
            container_factory(service, web_config).start()
        return f"http://{web_config['WEB_SERVER_ADDRESS']}"

    return start_services


def test_a_service_that_was_never_started_gives_503_at_once(start, as_staff):
    base = start(GatewayService)
    began = time.monotonic()
    response = requests.get(f"{base}/orders/abc", headers=as_staff)
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"
    assert response.json()["details"] == {"service": "orders"}
    assert time.monotonic() - began < 1


def test_a_service_that_does_not_answer_gives_503_after_the_timeout(container_factory, web_config, start, as_staff):
    orders = container_factory(OrderService, web_config)
    orders.start()
    base = start(GatewayService)
    assert requests.get(f"{base}/orders/abc", headers=as_staff).status_code == 404
    orders.stop()  # its queue stays: calls wait in it, unanswered
    began = time.monotonic()
    response = requests.get(f"{base}/orders/abc", headers=as_staff)
    assert response.status_code == 503
    assert 0.9 < time.monotonic() - began < 3


def test_an_order_is_shown_without_product_names_when_the_catalogue_does_not_answer(start, as_customer, quotes):
    base = start(GatewayService, OrderService)
    created = requests.post(
        f"{base}/orders",
        json={
            "items": [{"sku": "TEA-1", "quantity": 1}],
            "payment_method": "pm_card_visa",
            "shipping_address": ADDRESS,
        },
        headers=as_customer,
    )
    assert created.status_code == 201
    quotes.stop()  # the catalogue
    shown = requests.get(f"{base}/orders/{created.json()['id']}", headers=as_customer)
    assert shown.status_code == 200
    assert shown.json()["items"] == [{"sku": "TEA-1", "quantity": 1, "unit_price": None}]


def test_the_request_id_is_returned_or_made(start):
    base = start(GatewayService)
    assert requests.get(f"{base}/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    made = requests.get(f"{base}/health").headers["X-Request-ID"]
    assert len(made) == 32
    unsafe = requests.get(f"{base}/health", headers={"X-Request-ID": "x" * 500}).headers["X-Request-ID"]
    assert unsafe != "x" * 500


def test_products_and_orders_compose_over_http(start, as_staff, as_customer):
    base = start(GatewayService, OrderService, InventoryService, PaymentService, ShippingService)
    product = {"sku": "TEA-1", "name": "Green tea", "price": "12.50", "stock": 5, "weight_grams": 250}
    assert requests.post(f"{base}/products", json=product, headers=as_staff).json() == product
    created = requests.post(
        f"{base}/orders",
        json={
            "items": [{"sku": "TEA-1", "quantity": 2}],
            "payment_method": "pm_card_visa",
            "shipping_address": ADDRESS,
        },
        headers=as_customer,
    ).json()
    assert (created["customer_id"], created["customer_email"]) == ("acc-ada", "ada@example.com")

    def past_pending():
        order = requests.get(f"{base}/orders/{created['id']}", headers=as_customer).json()
        return order if order["status"] != "pending" else None

    shown = wait_until(past_pending, 10, "the order past pending")
    assert (shown["status"], shown["items_total"], shown["shipping_cost"], shown["total"]) == (
        "confirmed",
        "25.00",
        "4.90",
        "29.90",
    )
    assert shown["items"] == [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50", "name": "Green tea"}]
    assert (shown["payment"]["status"], shown["payment"]["amount"]) == ("authorised", "29.90")


def test_a_dead_service_is_not_called_again_until_the_breaker_resets(container_factory, web_config, as_staff):
    config = {**web_config, "CIRCUIT_BREAKER": {"FAILURES": 2, "RESET_SECONDS": 30}}
    orders = container_factory(OrderService, config)
    orders.start()
    container_factory(GatewayService, config).start()
    base = f"http://{config['WEB_SERVER_ADDRESS']}"
    orders.stop()
    for _ in range(2):
        assert requests.get(f"{base}/orders/abc", headers=as_staff).status_code == 503  # each waits for the timeout
    began = time.monotonic()
    response = requests.get(f"{base}/orders/abc", headers=as_staff)
    assert response.status_code == 503
    assert time.monotonic() - began < 0.3
    assert "not called for now" in response.json()["message"]


def test_a_call_whose_body_holds_a_secret_is_traced_with_the_secrets_withheld(start, caplog):
    """The gateway's trace line of a register or a sign-in: nameko redacts ``body.password`` in a copy of the
    arguments, and the request among them must survive that copy (a werkzeug request holds streams, which cannot
    be copied)."""
    caplog.set_level(logging.INFO, logger="nameko_tracer")
    password = "a passphrase of the customer's"
    base = start(GatewayService, AccountsService)
    credentials = {"email": "ada@example.com", "password": password}
    assert requests.post(f"{base}/accounts", json=credentials).status_code == 201
    tokens = requests.post(f"{base}/auth/token", json=credentials).json()

    traces = [record for record in caplog.records if record.name == "nameko_tracer"]
    traced = {
        (record.nameko_trace["entrypoint_name"], record.nameko_trace["stage"])
        for record in traces
        if record.nameko_trace["service"] == "gateway"
    }
    assert {("register", "request"), ("register", "response"), ("sign_in", "request"), ("sign_in", "response")} <= (
        traced
    )
    assert not [record for record in caplog.records if record.getMessage() == "Failed to log entrypoint trace"]
    for record in traces:
        line = TraceFormatter().format(record)
        assert password not in line and tokens["access_token"] not in line and tokens["refresh_token"] not in line
