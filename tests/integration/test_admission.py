"""New orders refused at the door while the shop is behind (``gateway.admission``): the gateway and orders in real
containers over HTTP, the orders placed staying pending (no inventory takes their stock)."""

import time

import pytest
import requests

from gateway.service import GatewayService
from harness.shipping import ADDRESS
from order_service.service import OrderService
from tests.integration.test_operations_endpoints import sample

NO_BOUND = {"MAX_PENDING_ORDERS": 1_000_000, "MAX_PENDING_SECONDS": 1_000_000}


@pytest.fixture
def shop(container_factory, web_config, quotes):
    """``shop(**bounds)``: the gateway and orders started with these admission bounds; the gateway's address."""

    def start(**bounds):
        admission = {**NO_BOUND, "CHECK_SECONDS": 0, "RETRY_AFTER_SECONDS": 2, **bounds}
        config = {**web_config, "ADMISSION": admission}
        for service in (OrderService, GatewayService):
            container_factory(service, config).start()
        return f"http://{config['WEB_SERVER_ADDRESS']}"

    return start


def place(base, headers):
    order = {"items": [{"sku": "TEA-1", "quantity": 1}], "payment_method": "pm_card_visa", "shipping_address": ADDRESS}
    return requests.post(f"{base}/orders", json=order, headers=headers, timeout=10)


def pending(rpc_client):
    return rpc_client("orders").backlog()["pending_orders"]


def test_at_the_bound_of_pending_orders_a_new_order_is_refused_before_it_is_placed(
    shop,
    as_customer,
    rpc_client,
):
    base = shop(MAX_PENDING_ORDERS=2)
    refused_before = sample(base, "shop_orders_refused_total", bound="pending_orders")
    placed = [place(base, as_customer) for _ in range(2)]
    assert [response.status_code for response in placed] == [201, 201]

    refused = place(base, as_customer)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "2"
    assert refused.json()["error"] == "service_unavailable"
    assert "pending_orders" in refused.json()["details"]["reason"]
    assert pending(rpc_client) == 2  # nothing placed
    assert requests.get(f"{base}/orders/{placed[0].json()['id']}", headers=as_customer).status_code == 200
    assert sample(base, "shop_orders_refused_total", bound="pending_orders") == refused_before + 1
    assert sample(base, "shop_admission_bound", bound="pending_orders") == 2


def test_an_order_waiting_past_the_bound_stops_new_ones_until_it_is_no_longer_pending(
    shop,
    as_customer,
    as_staff,
    rpc_client,
):
    base = shop(MAX_PENDING_SECONDS=1)
    first = place(base, as_customer)
    assert first.status_code == 201
    time.sleep(1.2)
    refused = place(base, as_customer)
    assert refused.status_code == 503 and "pending_seconds" in refused.json()["details"]["reason"]

    cancelled = requests.post(f"{base}/orders/{first.json()['id']}/cancel", headers=as_staff, timeout=10)
    assert cancelled.status_code == 200
    assert place(base, as_customer).status_code == 201
    assert pending(rpc_client) == 1


def test_a_backlog_read_is_reused_for_check_seconds(shop, as_customer, rpc_client):
    base = shop(MAX_PENDING_ORDERS=1, CHECK_SECONDS=60)
    assert [place(base, as_customer).status_code for _ in range(3)] == [201, 201, 201]  # read once: 0 pending
    assert pending(rpc_client) == 3
