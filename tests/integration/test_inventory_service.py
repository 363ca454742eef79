"""The inventory service in a real container: RPC and events over a real RabbitMQ."""

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_waiter

from inventory_service.service import InventoryService
from shop_common.vocabulary.events import new_event


def order_event(order_id, items):
    return new_event(
        order={
            "id": order_id,
            "customer_id": "acc-1",
            "customer_email": "ada@example.com",
            "status": "pending",
            "items": [{**item, "unit_price": None} for item in items],
            "total": None,
            "created_at": "2026-11-23T10:00:00+00:00",
            "updated_at": "2026-11-23T10:00:00+00:00",
        }
    )


@pytest.fixture
def inventory(container_factory, config, rpc_client):
    container = container_factory(InventoryService, config)
    container.start()
    client = rpc_client("inventory")
    client.create_product({"sku": "TEA-1", "name": "Green tea", "price": "12.50", "stock": 5, "weight_grams": 250})
    return container, client


def test_the_catalogue_is_managed_over_rpc(inventory):
    _, client = inventory
    assert client.get_product("TEA-1") == {
        "sku": "TEA-1",
        "name": "Green tea",
        "price": "12.50",
        "stock": 5,
        "weight_grams": 250,
    }
    assert client.restock("TEA-1", 3)["stock"] == 8
    client.create_product({"sku": "CUP-1", "name": "Cup", "price": "3.00", "stock": 0, "weight_grams": 250})
    assert [p["sku"] for p in client.list_products()] == ["CUP-1", "TEA-1"]
    assert [p["sku"] for p in client.list_products(["CUP-1"])] == ["CUP-1"]


@pytest.mark.parametrize(
    "call, exc_type",
    [
        (
            lambda c: c.create_product(
                {"sku": "TEA-1", "name": "Again", "price": "1.00", "stock": 1, "weight_grams": 250}
            ),
            "ProductAlreadyExists",
        ),
        (lambda c: c.get_product("NOPE"), "ProductNotFound"),
        (lambda c: c.create_product({"sku": "X", "price": 1}), "InvalidInput"),
        (lambda c: c.create_product("not a dict"), "InvalidInput"),
        (lambda c: c.restock("TEA-1", -3), "InvalidInput"),
        (lambda c: c.get_product({"sku": "TEA-1"}), "InvalidInput"),
        (lambda c: c.reserve_stock("o1", [{"sku": "TEA-1"}]), "InvalidInput"),
    ],
)
def test_bad_calls_are_refused_and_the_service_carries_on(inventory, call, exc_type):
    _, client = inventory
    with pytest.raises(RemoteError) as refused:
        call(client)
    assert refused.value.exc_type == exc_type
    assert client.get_product("TEA-1")["stock"] == 5


def test_a_new_order_reserves_stock_and_says_so(inventory, publish_event, event_tap):
    container, client = inventory
    tap = event_tap("inventory")
    with entrypoint_waiter(container, "handle_order_created"):
        publish_event("orders", "order_created", order_event("o1", [{"sku": "TEA-1", "quantity": 2}]))
    [reserved] = tap.wait_for("stock_reserved")
    assert reserved["order_id"] == "o1"
    assert reserved["items"] == [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50"}]
    assert client.get_product("TEA-1")["stock"] == 3


def test_an_order_that_cannot_be_covered_is_refused_and_holds_nothing(inventory, publish_event, event_tap):
    container, client = inventory
    tap = event_tap("inventory")
    with entrypoint_waiter(container, "handle_order_created"):
        publish_event("orders", "order_created", order_event("o1", [{"sku": "TEA-1", "quantity": 6}]))
    [failed] = tap.wait_for("stock_reservation_failed")
    assert failed["reason"] == "insufficient stock (TEA-1: 6 requested, 5 available)"
    assert client.get_product("TEA-1")["stock"] == 5


def test_an_order_event_delivered_twice_reserves_once(inventory, publish_event, event_tap):
    container, client = inventory
    tap = event_tap("inventory")
    event = order_event("o1", [{"sku": "TEA-1", "quantity": 2}])
    for _ in range(2):
        with entrypoint_waiter(container, "handle_order_created"):
            publish_event("orders", "order_created", event)
    tap.wait_for("stock_reserved")
    assert client.get_product("TEA-1")["stock"] == 3
    assert len(tap.events("stock_reserved")) == 1


def test_cancel_releases_and_ship_completes_the_sale(inventory, publish_event, event_tap):
    container, client = inventory
    tap = event_tap("inventory")
    for order_id in ("cancelled", "shipped"):
        with entrypoint_waiter(container, "handle_order_created"):
            publish_event("orders", "order_created", order_event(order_id, [{"sku": "TEA-1", "quantity": 2}]))
    assert client.get_product("TEA-1")["stock"] == 1
    with entrypoint_waiter(container, "handle_order_cancelled"):
        publish_event("orders", "order_cancelled", order_event("cancelled", [{"sku": "TEA-1", "quantity": 2}]))
    with entrypoint_waiter(container, "handle_order_shipped"):
        publish_event("orders", "order_shipped", order_event("shipped", [{"sku": "TEA-1", "quantity": 2}]))
    assert client.get_product("TEA-1")["stock"] == 3
    assert [e["order_id"] for e in tap.wait_for("stock_released")] == ["cancelled"]
    assert [e["order_id"] for e in tap.wait_for("sale_completed")] == ["shipped"]


def test_reserve_and_release_are_offered_over_rpc(inventory):
    _, client = inventory
    reserved = client.reserve_stock("o9", [{"sku": "TEA-1", "quantity": 1}, {"sku": "TEA-1", "quantity": 1}])
    assert reserved == {
        "order_id": "o9",
        "status": "reserved",
        "reason": None,
        "items": [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50"}],
    }
    assert client.release_stock("o9")["status"] == "released"
    assert client.get_product("TEA-1")["stock"] == 5


def test_an_order_rejected_after_its_stock_was_held_gives_the_stock_back(inventory, publish_event, event_tap):
    container, client = inventory
    tap = event_tap("inventory")
    with entrypoint_waiter(container, "handle_order_created"):
        publish_event("orders", "order_created", order_event("o-unconfirmable", [{"sku": "TEA-1", "quantity": 2}]))
    assert client.get_product("TEA-1")["stock"] == 3
    with entrypoint_waiter(container, "handle_order_rejected"):
        publish_event("orders", "order_rejected", order_event("o-unconfirmable", [{"sku": "TEA-1", "quantity": 2}]))
    assert tap.wait_for("stock_released")[0]["order_id"] == "o-unconfirmable"
    assert client.get_product("TEA-1")["stock"] == 5


@pytest.fixture
def acting_as(config):
    """An RPC client of the inventory acting for ``caller`` (a context value: ``customer:<id>``, ``staff:<id>``)."""
    proxies = []

    def client(caller):
        proxies.append(ServiceRpcProxy("inventory", config, context_data={"caller": caller}, timeout=10))
        return proxies[-1].start()

    yield client
    for proxy in proxies:
        proxy.stop()


@pytest.mark.parametrize("caller", ["customer:acc-1", "anonymous"])
def test_a_caller_who_is_not_staff_cannot_create_or_restock_a_product_over_rpc(inventory, acting_as, caller):
    _, operator = inventory
    client = acting_as(caller)
    with pytest.raises(RemoteError) as refused:
        client.create_product({"sku": "CUP-1", "name": "Cup", "price": "3.00", "stock": 1, "weight_grams": 250})
    assert refused.value.exc_type == "Forbidden"
    with pytest.raises(RemoteError) as refused:
        client.restock("TEA-1", 3)
    assert refused.value.exc_type == "Forbidden"
    assert client.get_product("TEA-1")["stock"] == 5  # reading is anyone's
    assert [p["sku"] for p in operator.list_products()] == ["TEA-1"]


def test_the_operator_and_staff_can_create_and_restock_a_product_over_rpc(inventory, acting_as):
    _, operator = inventory
    assert (
        operator.create_product({"sku": "CUP-1", "name": "Cup", "price": "3.00", "stock": 1, "weight_grams": 250})[
            "stock"
        ]
        == 1
    )
    assert operator.restock("CUP-1", 2)["stock"] == 3
    staff = acting_as("staff:staff-1")
    assert (
        staff.create_product({"sku": "POT-1", "name": "Pot", "price": "9.00", "stock": 0, "weight_grams": 250})["sku"]
        == "POT-1"
    )
    assert staff.restock("TEA-1", 1)["stock"] == 6
    assert [(p["sku"], p["stock"]) for p in operator.list_products()] == [("CUP-1", 3), ("POT-1", 0), ("TEA-1", 6)]


def test_products_are_listed_over_rpc_in_pages_by_sku(inventory):
    _, client = inventory
    for sku in ("CUP-1", "POT-1"):
        client.create_product({"sku": sku, "name": sku, "price": "1.00", "stock": 0, "weight_grams": 250})
    assert [p["sku"] for p in client.list_products(limit=2)] == ["CUP-1", "POT-1"]
    assert [p["sku"] for p in client.list_products(limit=2, after="POT-1")] == ["TEA-1"]
    assert [p["sku"] for p in client.list_products(skus=["TEA-1", "CUP-1"])] == ["CUP-1", "TEA-1"]
    for page in ({"limit": 0}, {"limit": 101}, {"after": "has space"}, {"page": 2}):
        with pytest.raises(RemoteError) as refused:
            client.list_products(**page)
        assert refused.value.exc_type == "InvalidInput"
