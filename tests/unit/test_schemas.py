from decimal import Decimal

import pytest

from harness.shipping import ADDRESS
from inventory_service.schemas import NewProduct, Restock
from order_service.schemas import NewOrder, OrderQuery
from shop_common.vocabulary.errors import InvalidInput
from shop_common.vocabulary.validation import CARD_NUMBER_REFUSED, LineInput, load, valid_id


def errors_of(schema, data):
    with pytest.raises(InvalidInput) as invalid:
        load(schema, data)
    return invalid.value.details


CUSTOMER = {
    "customer_id": "acc-1",
    "customer_email": "a@b.co",
    "payment_method": "pm_card_visa",
    "shipping_address": ADDRESS,
}
LINE = {"sku": "A", "quantity": 1}


def test_a_valid_order_loads():
    order = load(
        NewOrder(),
        {
            "customer_id": "acc-1",
            "customer_email": "ada@example.com",
            "items": [{"sku": "TEA-1", "quantity": 2}],
            "payment_method": "pm_card_visa",
            "shipping_address": ADDRESS,
        },
    )
    assert order == {
        "customer_id": "acc-1",
        "customer_email": "ada@example.com",
        "items": [{"sku": "TEA-1", "quantity": 2}],
        "payment_method": "pm_card_visa",
        "shipping_address": {**ADDRESS, "country_area": "", "city_area": ""},
    }


@pytest.mark.parametrize(
    "data, field",
    [
        ({"customer_id": "acc-1", "items": [LINE]}, "customer_email"),
        ({"customer_id": "acc-1", "customer_email": "not-an-email", "items": [LINE]}, "customer_email"),
        ({"customer_email": "a@b.co", "items": [LINE]}, "customer_id"),
        ({**CUSTOMER, "customer_id": None, "items": [LINE]}, "customer_id"),
        ({**CUSTOMER, "customer_id": "has space", "items": [LINE]}, "customer_id"),
        ({**CUSTOMER, "customer_id": "x" * 65, "items": [LINE]}, "customer_id"),
        (CUSTOMER, "items"),
        ({**CUSTOMER, "items": []}, "items"),
        ({**CUSTOMER, "items": "A"}, "items"),
        ({**CUSTOMER, "items": [LINE] * 101}, "items"),
        ({**CUSTOMER, "items": [LINE], "coupon": "X"}, "coupon"),
    ],
)
def test_an_invalid_order_names_the_field(data, field):
    assert list(errors_of(NewOrder(), {"payment_method": "pm_card_visa", "shipping_address": ADDRESS, **data})) == [
        field
    ]


@pytest.mark.parametrize(
    "payment_method",
    [None, "", "pm_", "card_visa", "pm_card visa", "pm_" + "x" * 201, 4242424242424242, "tok_visa", "pm_card_visa\n"],
)
def test_a_payment_method_of_a_wrong_shape_is_refused_naming_it(payment_method):
    assert list(
        errors_of(
            NewOrder(), {**CUSTOMER, "items": [LINE], "payment_method": payment_method, "shipping_address": ADDRESS}
        )
    ) == ["payment_method"]


@pytest.mark.parametrize(
    "card_number",
    ["4242424242424242", "4242 4242 4242 4242", "4000-0566-5566-5556", "378282246310005", "6011111111111117"],
)
def test_a_card_number_for_a_payment_method_is_refused_saying_what_to_send(card_number):
    messages = errors_of(NewOrder(), {**CUSTOMER, "items": [LINE], "payment_method": card_number})
    assert messages == {"payment_method": [CARD_NUMBER_REFUSED]}
    assert card_number not in str(messages)


def test_a_payment_method_and_a_shipping_address_are_required():
    assert errors_of(NewOrder(), {"customer_id": "acc-1", "customer_email": "a@b.co", "items": [LINE]}) == {
        "payment_method": ["Missing data for required field."],
        "shipping_address": ["Missing data for required field."],
    }


@pytest.mark.parametrize(
    "line, field",
    [
        ({"quantity": 1}, "sku"),
        ({"sku": "", "quantity": 1}, "sku"),
        ({"sku": "has space", "quantity": 1}, "sku"),
        ({"sku": "A" * 65, "quantity": 1}, "sku"),
        ({"sku": "A", "quantity": 0}, "quantity"),
        ({"sku": "A", "quantity": -1}, "quantity"),
        ({"sku": "A", "quantity": 1001}, "quantity"),
        ({"sku": "A", "quantity": 1.5}, "quantity"),
        ({"sku": "A", "quantity": "2"}, "quantity"),
        ({"sku": "A", "quantity": True}, "quantity"),
    ],
)
def test_an_invalid_line_names_its_field(line, field):
    details = errors_of(NewOrder(), {**CUSTOMER, "items": [line]})
    assert list(details) == ["items"] and field in details["items"][0]


def test_a_product_price_is_loaded_as_exact_decimal():
    product = load(NewProduct(), {"sku": "A", "name": "Apple", "price": "0.10", "stock": 0, "weight_grams": 250})
    assert product["price"] == Decimal("0.10")
    assert NewProduct().dump(product)["price"] == "0.10"


@pytest.mark.parametrize("price", ["0", "-1", "1.005", "abc", "NaN", "Infinity", "1000000.01", None])
def test_a_bad_price_is_refused(price):
    assert "price" in errors_of(
        NewProduct(), {"sku": "A", "name": "Apple", "price": price, "stock": 1, "weight_grams": 250}
    )


@pytest.mark.parametrize("stock", [-1, 1.5, "3", 1_000_001])
def test_a_bad_stock_is_refused(stock):
    assert "stock" in errors_of(
        NewProduct(), {"sku": "A", "name": "Apple", "price": "1.00", "stock": stock, "weight_grams": 250}
    )


def test_restock_needs_a_positive_whole_quantity():
    assert "quantity" in errors_of(Restock(), {"quantity": 0})
    assert load(Restock(), {"quantity": 5}) == {"quantity": 5}


def test_order_query_rejects_unknown_status_and_parameters():
    assert "status" in errors_of(OrderQuery(), {"status": "lost"})
    assert "page" in errors_of(OrderQuery(), {"page": "2"})


def test_order_query_pages_by_a_limit_of_1_to_100_after_a_created_at_and_id():
    assert load(OrderQuery(), {})["limit"] == 100
    query = load(
        OrderQuery(),
        {"customer_id": "acc-1", "limit": 1, "after": {"created_at": "2026-11-23T10:00:00+00:00", "id": "o1"}},
    )
    assert (query["customer_id"], query["limit"], query["after"]["id"]) == ("acc-1", 1, "o1")
    assert query["after"]["created_at"].utcoffset() is not None
    for limit in (0, 101, "5", 2.5):
        assert "limit" in errors_of(OrderQuery(), {"limit": limit})
    for after in (
        {"id": "o1"},
        {"created_at": "2026-11-23T10:00:00", "id": "o1"},
        {"created_at": "2026-11-23T10:00:00+00:00"},
        "o1",
    ):
        assert "after" in errors_of(OrderQuery(), {"after": after})


@pytest.mark.parametrize("body", [None, [], "text", 3])
def test_a_body_that_is_not_an_object_is_refused(body):
    assert "_schema" in errors_of(NewOrder(), body)


@pytest.mark.parametrize("value", ["", "a b", "x" * 65, None, 3, {"a": 1}])
def test_ids_must_be_short_safe_strings(value):
    with pytest.raises(InvalidInput) as invalid:
        valid_id("order_id", value)
    assert "order_id" in invalid.value.details


@pytest.mark.parametrize("schema", [NewOrder, OrderQuery])
def test_an_email_is_lower_cased_before_it_is_checked(schema):
    loaded = load(
        schema(),
        {**CUSTOMER, "customer_email": "Ada@Example.COM", "items": [LINE]}
        if schema is NewOrder
        else {"customer_email": "Ada@Example.COM"},
    )
    assert loaded["customer_email"] == "ada@example.com"


@pytest.mark.parametrize(
    "email, message",
    [
        ("ädä@example.com", "must be an ASCII address"),
        ("ada@bücher.de", "must be an ASCII address"),
        ("a@" + "b" * 250 + ".com", "at most 254"),
        ("x\u0130" * 100 + "@b.co", "must be an ASCII address"),  # grows when lower-cased
    ],
)
def test_an_address_that_cannot_be_mailed_or_stored_is_refused_naming_the_field(email, message):
    details = errors_of(NewOrder(), {**CUSTOMER, "customer_email": email, "items": [LINE]})
    assert message in details["customer_email"][0]


@pytest.mark.parametrize("name", ["Tea\x00", "Tea\ud800", "Tea\udfff leaf", "Tea\nleaf", "\x7f"])
def test_a_product_name_with_control_characters_or_lone_surrogates_is_refused(name):
    details = errors_of(NewProduct(), {"sku": "A", "name": name, "price": "1.00", "stock": 1, "weight_grams": 250})
    assert "control characters" in details["name"][0]


def test_a_product_name_in_any_script_with_emoji_is_taken():
    assert load(
        NewProduct(), {"sku": "A", "name": "Grüner Tee 緑茶 🍵", "price": "1.00", "stock": 1, "weight_grams": 250}
    )["name"]


def test_the_gateway_publishes_the_order_statuses_the_orders_service_knows():
    from gateway.schemas import ORDER_STATUSES
    from order_service.statuses import STATUSES

    assert ORDER_STATUSES == STATUSES


def test_a_gateway_order_names_only_its_lines_the_customer_comes_from_the_token():
    from gateway.schemas import NewOrder as GatewayNewOrder

    order = {"items": [LINE], "payment_method": "pm_card_visa", "shipping_address": ADDRESS}
    assert load(GatewayNewOrder(), order) == {
        **order,
        "shipping_address": {**ADDRESS, "country_area": "", "city_area": ""},
    }
    for field in ("customer_id", "customer_email"):
        assert field in errors_of(GatewayNewOrder(), {field: CUSTOMER[field], **order})


@pytest.mark.parametrize("value", ["TEA-1\n", "TEA-1\r\n", "\nTEA-1"])
def test_an_id_with_a_newline_is_refused_even_at_the_end(value):
    assert "sku" in LineInput().validate({"sku": value, "quantity": 1})
    with pytest.raises(InvalidInput):
        valid_id("order_id", value)


@pytest.mark.parametrize(
    "lines",
    [
        [{"sku": "A", "quantity": 1000}] * 2,
        [{"sku": "A", "quantity": 1000}, {"sku": "B", "quantity": 5}, {"sku": "A", "quantity": 1}],
    ],
    ids=["two full lines", "one unit too many, lines apart"],
)
def test_lines_of_one_product_are_bounded_together_naming_items(lines):
    assert errors_of(NewOrder(), {**CUSTOMER, "items": lines}) == {
        "items": ["at most 1000 units of one product in an order: A"]
    }


def test_lines_of_one_product_up_to_the_bound_and_of_many_products_load():
    lines = [{"sku": "A", "quantity": 600}, {"sku": "A", "quantity": 400}, {"sku": "B", "quantity": 1000}]
    assert load(NewOrder(), {**CUSTOMER, "items": lines})["items"] == lines
