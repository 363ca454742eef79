"""Whatever a client sends, the answer is a clear JSON error, never a 500, and the shop carries on."""

import json

import pytest

from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS
from shop_common.operations.services import SERVICES

pytestmark = pytest.mark.e2e

GOOD_ORDER = {"payment_method": APPROVED, "shipping_address": ADDRESS, "items": [{"sku": "TEA-1", "quantity": 1}]}
GOOD_PRODUCT = {"sku": "BAD-INPUT-1", "name": "Tea", "price": "1.00", "stock": 1, "weight_grams": 250}


def raw(text):
    return text.encode() if isinstance(text, str) else text


CASES = [
    # method, path, body (bytes, or JSON-able), status, error code, fields named in details
    ("POST", "/orders", raw("{bad"), 400, "malformed_json", []),
    ("POST", "/orders", raw(""), 400, "malformed_json", []),
    ("POST", "/orders", b"\xff\xfe\x00", 400, "malformed_json", []),
    ("POST", "/orders", raw("[" * 50000 + "]" * 50000), 400, "malformed_json", []),
    ("POST", "/orders", [1, 2], 400, "invalid_input", ["_schema"]),
    ("POST", "/orders", "text", 400, "invalid_input", ["_schema"]),
    ("POST", "/orders", {}, 400, "invalid_input", ["items"]),
    ("POST", "/orders", {**GOOD_ORDER, "customer_email": "a@b.co"}, 400, "invalid_input", ["customer_email"]),
    ("POST", "/orders", {**GOOD_ORDER, "items": []}, 400, "invalid_input", ["items"]),
    ("POST", "/orders", {**GOOD_ORDER, "items": [{"sku": "A", "quantity": "2"}]}, 400, "invalid_input", ["items"]),
    ("POST", "/orders", {**GOOD_ORDER, "items": [{"sku": "A", "quantity": -1}]}, 400, "invalid_input", ["items"]),
    ("POST", "/orders", {**GOOD_ORDER, "items": [{"sku": "A", "quantity": 10**30}]}, 400, "invalid_input", ["items"]),
    ("POST", "/orders", {**GOOD_ORDER, "items": [{"sku": "A" * 100, "quantity": 1}]}, 400, "invalid_input", ["items"]),
    ("POST", "/orders", {**GOOD_ORDER, "total": "0.01"}, 400, "invalid_input", ["total"]),
    (
        "POST",
        "/orders",
        raw(json.dumps({**GOOD_ORDER, "items": [{"sku": "A", "quantity": 1.0}]})),
        400,
        "invalid_input",
        ["items"],
    ),
    ("POST", "/orders", raw(json.dumps(GOOD_ORDER) + " " * (1024 * 1024)), 413, "request_entity_too_large", []),
    ("POST", "/products", {**GOOD_PRODUCT, "price": "12.345"}, 400, "invalid_input", ["price"]),
    (
        "POST",
        "/products",
        raw('{"sku": "A", "name": "A", "price": 1e400, "stock": 1, "weight_grams": 250}'),
        400,
        "invalid_input",
        ["price"],
    ),
    (
        "POST",
        "/products",
        raw('{"sku": "A", "name": "A", "price": NaN, "stock": 1, "weight_grams": 250}'),
        400,
        "invalid_input",
        ["price"],
    ),
    ("POST", "/products", {**GOOD_PRODUCT, "price": 12.5}, 201, None, []),
    ("POST", "/products", {**GOOD_PRODUCT, "stock": -1}, 400, "invalid_input", ["stock"]),
    ("POST", "/products", {**GOOD_PRODUCT, "name": ""}, 400, "invalid_input", ["name"]),
    ("POST", "/products", GOOD_PRODUCT, 409, "conflict", ["sku"]),
    ("POST", "/products/BAD-INPUT-1/restock", {"quantity": 0}, 400, "invalid_input", ["quantity"]),
    ("POST", "/products/BAD-INPUT-1/restock", {}, 400, "invalid_input", ["quantity"]),
    ("POST", "/products/NO-SUCH/restock", {"quantity": 1}, 404, "not_found", ["sku"]),
    ("GET", "/products/NO-SUCH", None, 404, "not_found", ["sku"]),
    ("GET", "/products/bad%20sku", None, 400, "invalid_input", ["sku"]),
    ("GET", "/orders/0123456789abcdef0123456789abcdef", None, 404, "not_found", ["id"]),
    ("GET", "/orders/" + "x" * 300, None, 400, "invalid_input", ["order_id"]),
    ("POST", "/orders/0123456789abcdef0123456789abcdef/cancel", None, 404, "not_found", ["id"]),
    (
        "POST",
        "/orders/0123456789abcdef0123456789abcdef/ship",
        {"carrier": "DHL", "tracking_number": "JD1"},
        404,
        "not_found",
        ["id"],
    ),
    (
        "POST",
        "/orders/0123456789abcdef0123456789abcdef/ship",
        {"carrier": "DHL"},
        400,
        "invalid_input",
        ["tracking_number"],
    ),
    ("POST", "/orders/0123456789abcdef0123456789abcdef/deliver", None, 404, "not_found", ["id"]),
    ("POST", "/shipping/quote", {"shipping_address": ADDRESS}, 400, "invalid_input", ["items"]),
    (
        "POST",
        "/shipping/quote",
        {"shipping_address": {**ADDRESS, "postal_code": "ABCDE"}, "items": [{"sku": "TEA-1", "quantity": 1}]},
        400,
        "invalid_input",
        ["shipping_address"],
    ),
    ("POST", "/webhooks/carrier", b"{}", 400, "invalid_signature", ["Carrier-Signature"]),
    ("GET", "/shipments?status=lost", None, 400, "invalid_input", ["status"]),
    ("GET", "/orders?status=lost", None, 400, "invalid_input", ["status"]),
    ("GET", "/orders?customer_email=nope", None, 400, "invalid_input", ["customer_email"]),
    ("GET", "/orders?page=2", None, 400, "invalid_input", ["page"]),
    ("GET", "/orders?limit=0", None, 400, "invalid_input", ["limit"]),
    ("GET", "/orders?limit=101", None, 400, "invalid_input", ["limit"]),
    ("GET", "/orders?limit=ten", None, 400, "invalid_input", ["limit"]),
    ("GET", "/orders?cursor=bm90IGEgY3Vyc29y", None, 400, "invalid_input", ["cursor"]),
    ("GET", "/orders?cursor=%25%25", None, 400, "invalid_input", ["cursor"]),
    ("GET", "/products?cursor=eyJza3UiOiAiXG4ifQ", None, 400, "invalid_input", ["cursor"]),
    ("GET", "/products?limit=1000", None, 400, "invalid_input", ["limit"]),
    ("POST", "/accounts", {"email": "x@example.com"}, 400, "invalid_input", ["password"]),
    ("POST", "/accounts", {"email": "nope", "password": "long enough pw"}, 400, "invalid_input", ["email"]),
    (
        "POST",
        "/auth/token",
        {"email": "x@example.com", "password": "p", "scope": "all"},
        400,
        "invalid_input",
        ["scope"],
    ),
    ("POST", "/auth/refresh", {}, 400, "invalid_input", ["refresh_token"]),
    ("POST", "/auth/logout", raw("{bad"), 400, "malformed_json", []),
    ("GET", "/no/such/path", None, 404, "not_found", []),
    ("DELETE", "/orders", None, 405, "method_not_allowed", []),
]


@pytest.mark.parametrize(
    "method, path, body, status, code, fields",
    CASES,
    ids=[f"{c[0]} {c[1][:40]} -> {c[3]} #{n}" for n, c in enumerate(CASES)],
)
def test_bad_input_gets_a_clear_json_error(shop, method, path, body, status, code, fields):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body)
    response = shop.http.request(method, shop.url + path, data=data, timeout=30)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["X-Request-ID"]
    if code is not None:
        error = response.json()
        assert (error["error"], sorted(error)) == (code, ["details", "error", "message"])
        assert all(field in error["details"] for field in fields), error


def test_the_shop_still_takes_orders_after_all_that(shop, stack, email):
    for service in SERVICES:
        assert stack.running(service.name), f"{service.name} is not running"
    tea = shop.add_product()
    assert shop.wait_for_status(shop.place_order(email, (tea, 1))["id"])["status"] == "confirmed"
