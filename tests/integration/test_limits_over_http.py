"""Every route's limits, over HTTP: past a limit the gateway answers 429 with Retry-After, and nothing is done.

The gateway and the services it needs run in real containers; the limits
are set low here (config.yaml's defaults are generous).
"""

import uuid

import pytest
import redis
import requests

from accounts_service.service import AccountsService
from gateway.service import GatewayService
from harness.accounts import PASSWORD, bearer
from harness.shipping import ADDRESS
from harness.smtp import free_port
from order_service.service import OrderService

GENEROUS = "1000/minute"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def gateway(container_factory, config):
    """Start a gateway with some limits set low; returns its address."""

    def start(redis_url=None, prefix="shop", **limits):
        address = f"127.0.0.1:{free_port()}"
        rate_limit = dict.fromkeys(config["RATE_LIMIT"], GENEROUS) | limits
        container_factory(
            GatewayService,
            {
                **config,
                "WEB_SERVER_ADDRESS": address,
                "RATE_LIMIT": rate_limit,
                "REDIS_URL": redis_url,
                "RATE_LIMIT_KEY_PREFIX": prefix,
            },
        ).start()
        return f"http://{address}"

    return start


def assert_limited(response):
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "too_many_requests"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_every_route_counts_against_a_limit_per_client_address(gateway):
    base = gateway(PER_CLIENT="3/minute")
    assert [requests.get(f"{base}/health").status_code for _ in range(3)] == [200, 200, 200]
    assert_limited(requests.get(f"{base}/products/TEA-1"))


def test_registrations_are_limited_per_client_address(gateway, container_factory, config):
    container_factory(AccountsService, config).start()
    base = gateway(REGISTRATIONS_PER_ADDRESS="2/minute")
    emails = [f"limit-{n}-{uuid.uuid4().hex[:6]}@example.com" for n in range(3)]
    answers = [requests.post(f"{base}/accounts", json={"email": email, "password": PASSWORD}) for email in emails]
    assert [answer.status_code for answer in answers[:2]] == [201, 201]
    assert_limited(answers[2])
    assert requests.post(f"{base}/auth/token", json={"email": emails[2], "password": PASSWORD}).status_code == 401


def test_orders_are_limited_per_account(gateway, container_factory, config, access_token, quotes):
    container_factory(OrderService, config).start()
    base = gateway(ORDERS_PER_ACCOUNT="2/minute")
    order = {"items": [{"sku": "TEA-1", "quantity": 1}], "payment_method": "pm_card_visa", "shipping_address": ADDRESS}
    ada, bob = bearer(access_token(account_id="acc-ada")), bearer(access_token(account_id="acc-bob"))
    assert [requests.post(f"{base}/orders", json=order, headers=ada).status_code for _ in range(2)] == [201, 201]
    assert_limited(requests.post(f"{base}/orders", json=order, headers=ada))
    assert requests.post(f"{base}/orders", json=order, headers=bob).status_code == 201
    listed = requests.get(f"{base}/orders", headers=ada).json()["items"]
    assert len(listed) == 2  # the refused order was not placed


@pytest.fixture
def redis_prefix():
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{prefix}/*"):
        client.delete(key)


def test_gateway_instances_share_their_limits_through_redis(gateway, redis_prefix):
    one = gateway(redis_url=REDIS_URL, prefix=redis_prefix, PER_CLIENT="2/minute")
    another = gateway(redis_url=REDIS_URL, prefix=redis_prefix, PER_CLIENT="2/minute")
    assert requests.get(f"{one}/health").status_code == 200
    assert requests.get(f"{another}/health").status_code == 200
    assert_limited(requests.get(f"{one}/health"))
    assert_limited(requests.get(f"{another}/health"))
