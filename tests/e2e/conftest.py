"""The whole shop as processes on a real RabbitMQ, PostgreSQL and SMTP server, driven over HTTP."""

import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from harness.accounts import bearer
from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS, CARRIER, tracking_number
from harness.stack import running_stack
from harness.waiting import wait_until

FINAL = {"confirmed", "rejected", "cancelled", "shipped", "delivered", "refunded"}

# Short windows for the limits the tests spend: a test waits one window out.
LIMITS_UNDER_TEST = {
    "RATE_LIMIT_FAILED_SIGN_INS_PER_ACCOUNT": "3/2 seconds",
    "RATE_LIMIT_FAILED_SIGN_INS_PER_ADDRESS": "20/2 seconds",
}


@contextmanager
def e2e_stack(vhost_pipeline, name, smtp_sink, tmp_path_factory, **env):
    """A whole shop on databases and a vhost of its own, with the limits under test and ``env``."""
    with running_stack(
        vhost_pipeline.get(),
        name,
        tmp_path_factory.mktemp("logs"),
        smtp_sink.port,
        extra_env={**LIMITS_UNDER_TEST, **env},
    ) as stack:
        yield stack


@pytest.fixture(scope="package")
def stack(vhost_pipeline, run_id, smtp_sink, tmp_path_factory):
    """The shop every module shares, but those that start one of their own (a ``stack`` fixture of the module)."""
    with e2e_stack(vhost_pipeline, f"shop_test_{run_id}_e2e", smtp_sink, tmp_path_factory) as stack:
        yield stack


def pytest_collection_modifyitems(items):
    """The modules with a shop of their own run first: the shared one starts after theirs have stopped, so that
    never two shops share the machine's cores and the database's connections."""
    here = Path(__file__).parent
    positions = [index for index, item in enumerate(items) if item.path.parent == here]
    ordered = sorted((items[index] for index in positions), key=lambda item: not hasattr(item.module, "stack"))
    for index, item in zip(positions, ordered, strict=True):
        items[index] = item


class ShopClient:
    """HTTP calls to the gateway as staff, orders placed as customers, with the few steps every test repeats."""

    def __init__(self, stack):
        self.url = stack.url
        self.accounts = stack.accounts
        self.http = requests.Session()
        self.http.headers.update(bearer(self.accounts.staff_token()))

    def get(self, path, **kwargs):
        return self.http.get(self.url + path, timeout=30, **kwargs)

    def post(self, path, **kwargs):
        return self.http.post(self.url + path, timeout=30, **kwargs)

    def every(self, path, limit=100, **params):
        """Every item of a paged list, page after page (the shop this test shares holds other tests' items too)."""
        items, cursor = [], None
        while True:
            page = self.get(path, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})}).json()
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items

    def add_product(self, stock=5, price="12.50", name="Green tea"):
        sku = f"SKU-{uuid.uuid4().hex[:10]}"
        response = self.post(
            "/products", json={"sku": sku, "name": name, "price": price, "stock": stock, "weight_grams": 250}
        )
        assert response.status_code == 201, response.text
        return sku

    def place_order(self, email, *lines, headers=None, payment_method=APPROVED, **kwargs):
        """An order of the customer ``email`` (registered on first use), placed with their token."""
        items = [{"sku": sku, "quantity": quantity} for sku, quantity in lines]
        headers = {**(headers or {}), **bearer(self.accounts.customer_token(email))}
        response = self.post(
            "/orders",
            json={"payment_method": payment_method, "shipping_address": ADDRESS, "items": items},
            headers=headers,
            **kwargs,
        )
        assert response.status_code == 201, response.text
        return response.json()

    def wait_for_status(self, order_id, statuses=FINAL, timeout=20.0):
        """The order once its status is one of ``statuses``."""

        def arrived():
            order = self.get(f"/orders/{order_id}").json()
            return order if order["status"] in statuses else None

        return wait_until(arrived, timeout, f"order {order_id} {' or '.join(sorted(statuses))}")

    def ship(self, order_id, tracking=None):
        """Staff hand the order's parcel to ``CARRIER``; the order as the answer has it."""
        response = self.post(
            f"/orders/{order_id}/ship", json={"carrier": CARRIER, "tracking_number": tracking or tracking_number()}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def stock_of(self, sku):
        return self.get(f"/products/{sku}").json()["stock"]


@pytest.fixture
def shop(stack):
    return ShopClient(stack)


@pytest.fixture
def customer_token(stack):
    return stack.accounts.customer_token()


@pytest.fixture
def staff_token(stack):
    return stack.accounts.staff_token()


@pytest.fixture
def email():
    """A customer address of this test's own, so mails of other tests never count."""
    return f"e2e-{uuid.uuid4().hex[:12]}@example.com"
