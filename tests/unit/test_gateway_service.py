"""The gateway's entrypoints as methods (nameko's ``worker_factory``), with fakes of the services it calls.

The fakes stand in for the RPC proxies: they answer as the services do, or
fail as an unavailable one does.
"""

import pytest
from nameko.testing.services import worker_factory

from gateway.service import GatewayService
from shop_common.vocabulary.errors import ServiceUnavailable

ORDER = {
    "id": "o1",
    "customer_email": "ada@example.com",
    "status": "confirmed",
    "rejection_reason": None,
    "items": [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50"}],
    "total": "25.00",
    "created_at": "2026-11-23T10:00:00+00:00",
    "updated_at": "2026-11-23T10:00:01+00:00",
    "internal_note": "an RPC field the HTTP contract does not publish",
}


class FakeOrders:
    def get_order(self, order_id):
        return {**ORDER, "id": order_id}


class FakeInventory:
    def __init__(self, answers=True):
        self.answers = answers

    def list_products(self, skus=None):
        if not self.answers:
            raise ServiceUnavailable("inventory is failing; not called for now", {"service": "inventory"})
        return [{"sku": "TEA-1", "name": "Green tea", "price": "12.50", "stock": 3, "weight_grams": 250}]


@pytest.fixture
def gateway():
    return lambda inventory: worker_factory(GatewayService, orders_rpc=FakeOrders(), inventory_rpc=inventory)


def test_an_order_is_shown_with_product_names_and_only_the_fields_of_the_http_contract(gateway):
    order = gateway(FakeInventory()).get_order(None, "o1")
    assert order["items"] == [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50", "name": "Green tea"}]
    assert "internal_note" not in order and order["total"] == "25.00"


def test_an_order_is_shown_without_names_when_the_catalogue_does_not_answer(gateway):
    order = gateway(FakeInventory(answers=False)).get_order(None, "o1")
    assert order["items"] == [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50"}]
