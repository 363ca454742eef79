"""Values at and past the edges of the documented limits, through every route that stores them.

Whatever is accepted fits the databases and reaches a final state; whatever
does not fit is refused at the edge with a 400 naming the field.
"""

import json

import pytest

from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS
from harness.smtp import ORDER_MAIL

pytestmark = pytest.mark.hostile

MAX_STOCK = 1_000_000
MAX_WEIGHT_GRAMS = 1_000_000


def post(shop, path, body):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return shop.http.post(f"{shop.url}{path}", data=data, timeout=30)


def refused(response, field):
    assert response.status_code == 400, response.text
    assert field in response.json()["details"], response.json()
    return response.json()["details"][field]


def test_an_order_whose_total_is_the_largest_the_limits_allow_is_confirmed(shop, stack, smtp_sink):
    """100 lines of 1,000 units at the highest price, and the freight of 100,000 units at the heaviest weight at the
    highest rate (staff price such a parcel first): the total the shop holds."""
    skus = [shop.add_product(stock=1000, price="1000000.00", weight_grams=MAX_WEIGHT_GRAMS) for _ in range(100)]
    with stack.rpc("shipping") as shipping:
        seeded = shipping.get_rates()
        heaviest = {"zone": "EU", "up_to_grams": 100 * 1000 * MAX_WEIGHT_GRAMS, "cost": "100000.00"}
        shipping.replace_rates(seeded["zones"], [*seeded["bands"], heaviest])
        try:
            placed = shop.place_order(*[(sku, 1000) for sku in skus], email="largest@example.com")
        finally:
            shipping.replace_rates(seeded["zones"], seeded["bands"])
    order = shop.wait_for_status(placed["id"], timeout=60)
    assert (order["status"], order["shipping_cost"], order["total"]) == ("confirmed", "100000.00", "100000100000.00")
    smtp_sink.wait_for(1, "largest@example.com", ORDER_MAIL)


def test_restock_past_the_stock_range_is_refused_and_a_later_cancel_keeps_stock_exact(shop):
    sku = shop.add_product(stock=MAX_STOCK - 10)
    order = shop.wait_for_status(shop.place_order((sku, 5))["id"])
    assert order["status"] == "confirmed"
    # 5 units held by the order, MAX_STOCK - 15 available: 10 more fit
    assert "10 more units" in refused(post(shop, f"/products/{sku}/restock", {"quantity": 11}), "quantity")[0]
    assert post(shop, f"/products/{sku}/restock", {"quantity": 2**31}).status_code == 400
    response = post(shop, f"/products/{sku}/restock", {"quantity": 10})
    assert (response.status_code, response.json()["stock"]) == (200, MAX_STOCK - 5)
    shop.restocked(sku, 10)
    assert shop.http.post(f"{shop.url}/orders/{order['id']}/cancel", timeout=10).json()["status"] == "cancelled"
    shop.wait_for_stock(sku, MAX_STOCK)


@pytest.mark.parametrize(
    "name",
    ['"Tea\\u0000"', '"Tea\\ud800"', '"\\udfff"', '"Tea\\u001b[31m"'],
    ids=["NUL", "lone high surrogate", "lone low surrogate", "escape sequence"],
)
def test_a_product_name_with_a_lone_surrogate_or_a_control_character_is_refused(shop, name):
    body = f'{{"sku": "EDGE-TEXT", "name": {name}, "price": "1.00", "stock": 1, "weight_grams": 250}}'
    refused(post(shop, "/products", body), "name")


@pytest.mark.parametrize(
    "email", ["x\u0130" * 90 + "@example.com", "İ" * 200 + "@b.co"], ids=["grows-past-254", "dotted-capital-i"]
)
def test_an_email_that_grows_when_lower_cased_is_refused(shop, email):
    refused(post(shop, "/accounts", {"email": email, "password": "long enough password"}), "email")
    response = shop.http.get(f"{shop.url}/orders", params={"customer_email": email}, timeout=10)
    assert response.status_code == 400


@pytest.mark.parametrize("email", ["ädä@example.com", "ada@bücher.de", "用户@例子.广告"])
def test_a_non_ascii_email_is_refused_at_the_edge(shop, email):
    messages = refused(post(shop, "/accounts", {"email": email, "password": "long enough password"}), "email")
    assert "ASCII" in messages[0]


def test_lines_of_one_product_past_its_bound_in_all_are_refused_naming_items(shop):
    sku = shop.add_product(stock=MAX_STOCK, price="1.00", weight_grams=1)
    for lines in ([(sku, 1000)] * 100, [(sku, 1000), (sku, 1)]):
        body = {
            "payment_method": APPROVED,
            "shipping_address": ADDRESS,
            "items": [{"sku": line_sku, "quantity": quantity} for line_sku, quantity in lines],
        }
        response = shop.http.post(f"{shop.url}/orders", json=body, headers=shop.as_customer(), timeout=30)
        assert "1000 units of one product" in refused(response, "items")[0]
    placed = shop.place_order((sku, 600), (sku, 400))  # at the bound, merged into one line
    order = shop.wait_for_status(placed["id"], timeout=30)
    assert (order["status"], [line["quantity"] for line in order["items"]]) == ("confirmed", [1000])
