"""What each service's RabbitMQ account may touch, read from the service classes (the broker enforces it:
``tests/hostile/test_broker_messages.py``)."""

import re

import pytest

from shop_common.operations.broker_accounts import (
    called_services,
    consumed_sources,
    password_from_environment,
    permissions_of,
)
from shop_common.operations.services import SERVICES

BY_NAME = {service.name: service for service in SERVICES}


def allowed(pattern, resource):
    return re.fullmatch(pattern, resource) is not None


def test_what_each_service_consumes_and_calls_is_read_from_its_class():
    assert {name: consumed_sources(service.service_class()) for name, service in BY_NAME.items()} == {
        "orders": ["inventory", "payments", "shipping"],
        "inventory": ["orders"],
        "notifications": ["accounts", "orders"],
        "accounts": [],
        "payments": ["orders"],
        "shipping": ["inventory", "orders"],
        "gateway": [],
    }
    assert {name: called_services(service.service_class()) for name, service in BY_NAME.items()} == {
        "orders": ["payments", "shipping"],
        "inventory": [],
        "notifications": [],
        "accounts": [],
        "payments": [],
        "shipping": ["inventory"],
        "gateway": ["accounts", "inventory", "orders", "payments", "shipping"],
    }


@pytest.mark.parametrize("service", ["orders", "inventory", "notifications", "accounts"])
def test_a_service_may_publish_its_own_events_and_no_one_elses(service):
    write = permissions_of(BY_NAME[service]).write
    assert allowed(write, f"{service}.events") and allowed(write, f"{service}.redelivery")
    others = [name for name in BY_NAME if name != service]
    assert not any(allowed(write, f"{other}.events") or allowed(write, f"{other}.redelivery") for other in others)
    assert not allowed(write, "amq.default") and not allowed(write, "")  # no way into another's queue by name


def test_a_consumer_may_bind_to_the_events_it_handles_but_not_write_to_them():
    granted = permissions_of(BY_NAME["inventory"])
    queue = "evt-orders-order_created--inventory.handle_order_created"
    assert allowed(granted.read, "orders.events") and allowed(granted.configure, "orders.events")
    assert not allowed(granted.write, "orders.events")
    assert all(
        allowed(getattr(granted, right), name)
        for right in ("configure", "write", "read")
        for name in (queue, f"{queue}.backoff", "rpc-inventory", "inventory.dead-letters")
    )
    assert not allowed(granted.read, "evt-inventory-stock_reserved--orders.handle_stock_reserved")
    assert not allowed(granted.read, "rpc-orders")


def test_only_a_service_that_calls_others_gets_reply_queues():
    assert allowed(permissions_of(BY_NAME["gateway"]).configure, "rpc.reply-gateway-0123abcd")
    assert not allowed(permissions_of(BY_NAME["inventory"]).configure, "rpc.reply-gateway-0123abcd")
    assert not allowed(permissions_of(BY_NAME["orders"]).configure, "rpc.reply-gateway-0123abcd")  # its own alone


REPLY_KEY = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


def test_a_service_takes_requests_for_itself_and_sends_only_replies():
    granted = permissions_of(BY_NAME["inventory"])
    assert allowed(granted.rpc_read, "inventory.*") and allowed(granted.rpc_write, REPLY_KEY)
    assert not allowed(granted.rpc_write, "orders.create_order")  # cannot call what it does not depend on
    assert not any(allowed(granted.rpc_read, key) for key in ("#", "orders.*", REPLY_KEY))  # nor listen in


def test_orders_calls_payments_alone():
    granted = permissions_of(BY_NAME["orders"])
    assert allowed(granted.rpc_write, "payments.refund_payment") and allowed(granted.rpc_read, REPLY_KEY)
    assert not allowed(granted.rpc_write, "inventory.release_stock")
    assert not any(allowed(granted.rpc_read, key) for key in ("#", "inventory.*", "payments.*"))


def test_the_gateway_calls_the_services_it_depends_on_and_takes_its_replies():
    granted = permissions_of(BY_NAME["gateway"])
    assert allowed(granted.rpc_write, "orders.create_order") and allowed(granted.rpc_write, "inventory.restock")
    assert not allowed(granted.rpc_write, "notifications.list_notifications")
    assert allowed(granted.rpc_read, REPLY_KEY) and not allowed(granted.rpc_read, "#")


def test_a_password_comes_from_the_environment_or_a_file_it_names(tmp_path):
    secret = tmp_path / "orders-amqp"
    secret.write_text("from-a-file\n")
    assert password_from_environment("orders", {"ORDERS_AMQP_PASSWORD_FILE": str(secret)}) == "from-a-file"
    assert password_from_environment("orders", {"ORDERS_AMQP_PASSWORD": "from-env"}) == "from-env"
    with pytest.raises(SystemExit, match="ORDERS_AMQP_PASSWORD"):
        password_from_environment("orders", {})
