from gateway.composition import skus_of, with_product_names

ORDERS = [
    {"id": "1", "items": [{"sku": "B", "quantity": 1}, {"sku": "A", "quantity": 2}]},
    {"id": "2", "items": [{"sku": "A", "quantity": 1}]},
]


def test_lines_get_the_catalogue_name_of_their_product():
    named = with_product_names(ORDERS, [{"sku": "A", "name": "Apple"}, {"sku": "B", "name": "Bread"}])
    assert [[item["name"] for item in order["items"]] for order in named] == [["Bread", "Apple"], ["Apple"]]


def test_a_product_missing_from_the_catalogue_has_no_name():
    named = with_product_names(ORDERS, [{"sku": "A", "name": "Apple"}])
    assert named[0]["items"][0]["name"] is None


def test_without_a_catalogue_answer_orders_are_returned_unchanged():
    assert with_product_names(ORDERS, None) == ORDERS


def test_skus_are_collected_once_across_orders():
    assert skus_of(ORDERS) == ["A", "B"]
