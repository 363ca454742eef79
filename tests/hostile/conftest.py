"""The whole shop as processes, attacked as a hostile client or a buggy peer on the broker would.

One stack serves every hostile test. After each test every service must still
run and answer; when the suite ends, every order it placed is final, stock is
exact and every final order sent exactly one email.
"""

import uuid

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from harness.accounts import bearer
from harness.audit import FINAL, email_problems, payment_problems, stock_errors, unpublished_events, wait_until_settled
from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS, WEIGHT_GRAMS
from harness.stack import running_stack
from harness.waiting import wait_until
from shop_common.operations.services import SERVICES

pytestmark = pytest.mark.hostile

# Short backoffs, so that a failing event reaches the dead letters within a test; short deadlines at
# the edge, so that each slow-client attack runs out in a few seconds; the edge's connections per
# address as deployed (the requests per second stay generous: the honest client is busy).
HOSTILE_ENV = {
    "EVENT_RETRY_MAX_ATTEMPTS": "3",
    "EVENT_RETRY_BACKOFF_SECONDS": "0.05",
    "EVENT_RETRY_MAX_BACKOFF_SECONDS": "0.2",
    "EDGE_HEADER_TIMEOUT": "1",
    "EDGE_BODY_TIMEOUT": "1",
    "EDGE_CONNECTIONS_PER_ADDRESS": "50",
}
ATTACKER = "127.0.0.2"  # the address hand-made attacks come from; the honest client is 127.0.0.1


@pytest.fixture(scope="package")
def stack(vhost_pipeline, run_id, smtp_sink, tmp_path_factory):
    with running_stack(
        vhost_pipeline.get(),
        f"shop_test_{run_id}_hostile",
        tmp_path_factory.mktemp("hostile-logs"),
        smtp_sink.port,
        extra_env=HOSTILE_ENV,
    ) as stack:
        stack.catalogue = {}  # sku -> every unit ever added, for the stock audit at the end
        yield stack
        audit_after_attacks(stack, smtp_sink)


def audit_after_attacks(stack, smtp_sink):
    """Every order placed during the attacks is final, stock exact, one email per final order, each paid for once."""
    if not stack.catalogue:
        return
    statuses = wait_until_settled(stack.databases, [], stack.catalogue, timeout=60)
    assert [order for order, status in statuses.items() if status not in FINAL] == []
    assert stock_errors(stack.databases, stack.catalogue) == {}
    missing, duplicated = email_problems(smtp_sink, statuses)
    assert (missing, duplicated) == ([], 0)
    assert unpublished_events(stack.databases) == 0
    assert payment_problems(stack.payment_provider, statuses)[1] == {}


class HostileClient:
    """An honest client of the shop under attack (staff; orders as customers): it checks the shop still serves."""

    def __init__(self, stack):
        self.stack = stack
        self.url = stack.url
        self.http = requests.Session()
        self.http.headers.update(bearer(stack.accounts.staff_token()))
        # As browsers do: a read whose kept-alive connection the server had just closed (idle connections
        # are the first to go when the gateway is full) is sent again on a new one.
        self.http.mount("http://", HTTPAdapter(max_retries=Retry(total=3, backoff_factor=0.1)))

    def add_product(self, stock=5, price="12.50", name="Green tea", weight_grams=WEIGHT_GRAMS):
        sku = f"H-{uuid.uuid4().hex[:10]}"
        response = self.http.post(
            f"{self.url}/products",
            timeout=10,
            json={"sku": sku, "name": name, "price": price, "stock": stock, "weight_grams": weight_grams},
        )
        assert response.status_code == 201, response.text
        self.stack.catalogue[sku] = stock
        return sku

    def restocked(self, sku, quantity):
        self.stack.catalogue[sku] += quantity

    def as_customer(self, email="hostile@example.com"):
        return bearer(self.stack.accounts.customer_token(email))

    def place_order(self, *lines, email="hostile@example.com", headers=None, **kwargs):
        body = {
            "payment_method": APPROVED,
            "shipping_address": ADDRESS,
            "items": [{"sku": sku, "quantity": qty} for sku, qty in lines],
        }
        headers = {**(headers or {}), **self.as_customer(email)}
        response = self.http.post(f"{self.url}/orders", json=body, timeout=10, headers=headers, **kwargs)
        assert response.status_code == 201, response.text
        return response.json()

    def wait_for_status(self, order_id, statuses=FINAL, timeout=20.0):
        """The order once its status is one of ``statuses``."""

        def arrived():
            order = self.http.get(f"{self.url}/orders/{order_id}", timeout=10).json()
            return order if order["status"] in statuses else None

        return wait_until(arrived, timeout, f"order {order_id} {' or '.join(sorted(statuses))}")

    def wait_for_stock(self, sku, units, timeout=20.0):
        wait_until(
            lambda: self.http.get(f"{self.url}/products/{sku}", timeout=10).json()["stock"] == units,
            timeout,
            f"{units} units of {sku} in stock",
        )

    def assert_serving(self):
        """Every service process runs, and an order still goes all the way through."""
        for service in SERVICES:
            assert self.stack.running(service.name), f"{service.name} is not running"
        assert self.http.get(f"{self.url}/health", timeout=5).status_code == 200
        sku = self.add_product(stock=1)
        assert self.wait_for_status(self.place_order((sku, 1))["id"])["status"] == "confirmed"


@pytest.fixture
def shop(stack):
    """A client of the one stack. After each test it checks, as a net under every attack, that the shop still
    serves; a test whose claim that is (nothing crashed) checks it itself, with ``shop.assert_serving()``."""
    client = HostileClient(stack)
    yield client
    client.assert_serving()
