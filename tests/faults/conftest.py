"""The whole shop as processes, under load, while things fail."""

import uuid

import pytest
import requests

from harness.accounts import bearer
from harness.broker import queue_state
from harness.smtp import running_sink
from harness.stack import running_stack
from shop_common.operations.services import SERVICES

# Seconds the gateway (and orders, asking shipping for a quote) waits for a service: short, so that a killed
# service is answered 503 soon, and above the slowest answer of a rolling restart on two cores (about 2 s: each
# order's placement is two calls deep, gateway -> orders -> shipping, while restarted processes take the CPU).
RPC_TIMEOUT = 3

# Short backoffs, so that a fault of a few seconds is ridden out within the retries.
FAULT_TOLERANT_ENV = {
    "EVENT_RETRY_MAX_ATTEMPTS": "12",
    "EVENT_RETRY_BACKOFF_SECONDS": "0.1",
    "EVENT_RETRY_MAX_BACKOFF_SECONDS": "1.5",
    "CIRCUIT_BREAKER_RESET_SECONDS": "1",
    "STRIPE_CALL_TIMEOUT": "1",
    "PAYMENT_AUTHORISATION_DEADLINE": "4",
    # Two instances of each of the six services with a database share one PostgreSQL of 100 connections:
    # 12 x (4 + 3) = 84 at most, and the tests' own.
    "DB_POOL_SIZE": "4",
}


@pytest.fixture(scope="module")
def smtp(tmp_path_factory):
    """An SMTP server of this module's own, which the tests stop and start again."""
    with running_sink(tmp_path_factory.mktemp("fault-smtp") / "maildir") as sink:
        yield sink


@pytest.fixture(scope="module")
def stack(vhost_pipeline, run_id, smtp, tmp_path_factory):
    with running_stack(
        vhost_pipeline.get(),
        f"shop_test_{run_id}_faults",
        tmp_path_factory.mktemp("fault-logs"),
        smtp.port,
        rpc_timeout=RPC_TIMEOUT,
        extra_env=FAULT_TOLERANT_ENV,
    ) as stack:
        yield stack


@pytest.fixture
def catalogue(stack):
    """Fresh products for one test: plenty of most, little of one (so some orders are rejected)."""
    stock = {f"F-{uuid.uuid4().hex[:8]}": units for units in (5000, 5000, 5000, 5000, 30)}
    for sku, units in stock.items():
        response = requests.post(
            f"{stack.url}/products",
            timeout=10,
            headers=bearer(stack.accounts.staff_token()),
            json={"sku": sku, "name": f"Product {sku}", "price": "3.10", "stock": units, "weight_grams": 250},
        )
        assert response.status_code == 201, response.text
    return stock


@pytest.fixture
def dead_letter_count(stack):
    """Dead letters added since the test began."""

    def total():
        return sum((queue_state(stack.amqp_uri, f"{service.name}.dead-letters") or (0, 0))[0] for service in SERVICES)

    before = total()
    return lambda: total() - before
