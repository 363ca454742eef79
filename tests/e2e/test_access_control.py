"""Who may do what, over HTTP against the running shop: every route as anonymous, two customers and staff.

The table is the README's: a route a caller may not use answers 401 (no
token) or 403 (a role that may not); another customer's order is not found
(404), never forbidden, so its id is not confirmed to exist.
"""

import uuid

import pytest
import requests

from harness.accounts import bearer
from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS, CARRIER, tracking_number

pytestmark = pytest.mark.e2e

CALLERS = ("anonymous", "customer_a", "customer_b", "staff")


class World:
    """Two customers and staff, a product, and one order of customer A's per row that needs it."""

    def __init__(self, shop, stack):
        self.shop = shop
        self.url = stack.url
        self.emails = {
            "customer_a": f"a-{uuid.uuid4().hex[:10]}@example.com",
            "customer_b": f"b-{uuid.uuid4().hex[:10]}@example.com",
        }
        self.headers = {
            "anonymous": {},
            "staff": bearer(stack.accounts.staff_token()),
            **{who: bearer(stack.accounts.customer_token(email)) for who, email in self.emails.items()},
        }
        self.sku = shop.add_product(stock=1000)

    def order_of_a(self, confirmed=False, shipped=False):
        order = self.shop.place_order(self.emails["customer_a"], (self.sku, 1))
        if not (confirmed or shipped):
            return order
        order = self.shop.wait_for_status(order["id"])
        return self.shop.ship(order["id"]) if shipped else order

    def call(self, who, method, path, body=None):
        return requests.request(method, self.url + path, json=body, headers=self.headers[who], timeout=30)


@pytest.fixture(scope="module")
def world(stack):
    from tests.e2e.conftest import ShopClient

    return World(ShopClient(stack), stack)


def new_product(world):
    return {"sku": f"AC-{uuid.uuid4().hex[:10]}", "name": "Tea", "price": "1.00", "stock": 1, "weight_grams": 250}


# (method, path (from the world), body, expected status per caller: anonymous, customer A, customer B, staff)
TABLE = [
    ("GET", lambda w: "/health", None, (200, 200, 200, 200)),
    ("GET", lambda w: "/products", None, (200, 200, 200, 200)),
    ("GET", lambda w: f"/products/{w.sku}", None, (200, 200, 200, 200)),
    ("GET", lambda w: "/openapi.json", None, (200, 200, 200, 200)),
    ("GET", lambda w: "/docs", None, (200, 200, 200, 200)),
    ("POST", lambda w: "/products", new_product, (401, 403, 403, 201)),
    ("POST", lambda w: f"/products/{w.sku}/restock", lambda w: {"quantity": 1}, (401, 403, 403, 200)),
    (
        "POST",
        lambda w: f"/orders/{w.order_of_a(confirmed=True)['id']}/ship",
        lambda w: {"carrier": CARRIER, "tracking_number": tracking_number()},
        (401, 403, 403, 200),
    ),
    ("POST", lambda w: f"/orders/{w.order_of_a(shipped=True)['id']}/deliver", None, (401, 403, 403, 200)),
    (
        "POST",
        lambda w: "/orders",
        lambda w: {"payment_method": APPROVED, "shipping_address": ADDRESS, "items": [{"sku": w.sku, "quantity": 1}]},
        (401, 201, 201, 201),
    ),
    (
        "POST",
        lambda w: "/shipping/quote",
        lambda w: {"shipping_address": ADDRESS, "items": [{"sku": w.sku, "quantity": 1}]},
        (200, 200, 200, 200),
    ),
    ("GET", lambda w: "/shipments?status=awaiting_dispatch", None, (401, 403, 403, 200)),
    ("GET", lambda w: "/orders", None, (401, 200, 200, 200)),
    ("GET", lambda w: f"/orders/{w.order_of_a()['id']}", None, (401, 200, 404, 200)),
    ("POST", lambda w: f"/orders/{w.order_of_a()['id']}/cancel", None, (401, 200, 404, 200)),
    ("GET", lambda w: "/accounts/me", None, (401, 200, 200, 200)),
]


@pytest.mark.parametrize("method, path, body, expected", TABLE, ids=[f"{row[0]} {i}" for i, row in enumerate(TABLE)])
@pytest.mark.parametrize("who", CALLERS)
def test_the_authorization_table(world, who, method, path, body, expected):
    status = expected[CALLERS.index(who)]
    response = world.call(who, method, path(world), body(world) if body else None)
    assert response.status_code == status, response.text
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if status == 404:
        assert response.json()["error"] == "not_found"


def test_a_customer_lists_their_own_orders_only_and_staff_list_everyones(world):
    a_order = world.order_of_a()
    listed = {
        who: [order["id"] for order in world.call(who, "GET", "/orders?limit=100").json()["items"]]
        for who in ("customer_a", "customer_b", "staff")
    }
    assert a_order["id"] in listed["customer_a"] and a_order["id"] in listed["staff"]
    assert a_order["id"] not in listed["customer_b"]
    mine = world.call("customer_a", "GET", "/orders?limit=100").json()["items"]
    assert {order["customer_email"] for order in mine} == {world.emails["customer_a"]}


def test_only_staff_filter_orders_by_customer(world):
    path = f"/orders?customer_email={world.emails['customer_b']}"
    assert world.call("customer_a", "GET", path).status_code == 403
    found = world.call("staff", "GET", path).json()["items"]
    assert {order["customer_email"] for order in found} <= {world.emails["customer_b"]}


def test_an_order_belongs_to_the_caller_whatever_the_body_says(world):
    sneaky = {
        "customer_email": "victim@example.com",
        "payment_method": APPROVED,
        "shipping_address": ADDRESS,
        "items": [{"sku": world.sku, "quantity": 1}],
    }
    refused = world.call("customer_a", "POST", "/orders", sneaky)
    assert refused.status_code == 400
    assert list(refused.json()["details"]) == ["customer_email"]
    placed = world.call(
        "customer_a",
        "POST",
        "/orders",
        {"payment_method": APPROVED, "shipping_address": ADDRESS, "items": [{"sku": world.sku, "quantity": 1}]},
    ).json()
    assert placed["customer_email"] == world.emails["customer_a"]


@pytest.mark.parametrize(
    "field, value",
    [("status", "shipped"), ("total", "0.01"), ("id", "mine"), ("customer_id", "someone"), ("unit_price", "0.01")],
)
def test_fields_a_client_may_not_set_are_refused_by_name(world, field, value):
    body = {
        "payment_method": APPROVED,
        "shipping_address": ADDRESS,
        "items": [{"sku": world.sku, "quantity": 1}],
        field: value,
    }
    response = world.call("customer_a", "POST", "/orders", body)
    assert response.status_code == 400
    assert field in response.json()["details"]


def test_an_account_cannot_be_registered_with_a_role(stack):
    response = requests.post(
        f"{stack.url}/accounts",
        timeout=30,
        json={"email": f"r-{uuid.uuid4().hex[:8]}@example.com", "password": "long enough password", "role": "staff"},
    )
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["role"]


def test_me_is_the_callers_account(world):
    me = world.call("customer_a", "GET", "/accounts/me").json()
    assert (me["email"], me["role"]) == (world.emails["customer_a"], "customer")
    assert world.call("staff", "GET", "/accounts/me").json()["role"] == "staff"


def follow(world, who, path, limit):
    """Every item of a list, page by page along ``next_cursor``, and the size of each page."""
    items, sizes, cursor = [], [], None
    while True:
        query = f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        answer = world.call(who, "GET", f"{path}?{query}")
        assert answer.status_code == 200, answer.text
        page = answer.json()
        items += page["items"]
        sizes.append(len(page["items"]))
        if page["next_cursor"] is None:
            return items, sizes
        cursor = page["next_cursor"]


def test_pages_follow_their_cursor_to_the_end_without_repeating_or_missing_an_item(world):
    email = f"pages-{uuid.uuid4().hex[:10]}@example.com"
    placed = [world.shop.place_order(email, (world.sku, 1))["id"] for _ in range(5)]
    world.headers["pager"] = bearer(world.shop.accounts.customer_token(email))
    orders, sizes = follow(world, "pager", "/orders", limit=2)
    assert [order["id"] for order in orders] == placed[::-1]  # newest first
    assert sizes == [2, 2, 1]
    products, sizes = follow(world, "anonymous", "/products", limit=3)
    skus = [product["sku"] for product in products]
    assert skus == sorted(set(skus)) and world.sku in skus
    assert max(sizes) <= 3
