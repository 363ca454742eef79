"""Attacks from the broker: what a buggy or hostile peer can publish to the queues the services consume.

The services run with accounts of their own; these tests publish as an
administrator (who can reach every queue) to show that even then no message
crashes a service, loops, or is lost, and as a service's account to show
what the broker refuses it.
"""

import json
import pickle
import uuid

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange, Queue

from harness.broker import queue_names, queue_state, wait_until_drained
from harness.waiting import wait_until
from shop_common.operations.services import SERVICES
from shop_common.vocabulary.clock import utc_now

pytestmark = pytest.mark.hostile


def consumed_queues(stack):
    """Every queue a service consumes: event handlers' and RPC."""
    return sorted(
        name
        for name in queue_names(stack.vhost)
        if (name.startswith("evt-") or name.startswith("rpc-")) and not name.endswith(".backoff")
    )


def dead_letters(stack):
    return sum((queue_state(stack.amqp_uri, f"{service.name}.dead-letters") or (0, 0))[0] for service in SERVICES)


def publish(amqp_uri, body, routing_key, exchange="", content_type="application/json", headers=None, **properties):
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        producer.publish(
            body,
            exchange=exchange,
            routing_key=routing_key,
            headers=headers or {},
            content_type=content_type,
            content_encoding="utf-8",
            **properties,
        )


def an_order_event(order_id=None):
    """A well-formed order event for an order nobody placed."""
    now = utc_now().isoformat()
    return {
        "event_id": uuid.uuid4().hex,
        "occurred_at": now,
        "order": {
            "id": order_id or uuid.uuid4().hex,
            "customer_email": "forger@example.com",
            "status": "cancelled",
            "rejection_reason": None,
            "items": [{"sku": "NO-SUCH-SKU", "quantity": 1, "unit_price": None}],
            "total": None,
            "created_at": now,
            "updated_at": now,
        },
    }


UNDECODABLE = [
    ("broken json", b"{not json", "application/json"),
    ("a pickle, never unpickled", pickle.dumps({"event_id": "x"}), "application/x-python-serialize"),
    ("plain text", b"hello", "text/plain"),
    ("binary", b"\xff\xfe\x00\x01", "application/octet-stream"),
]

MALFORMED = [
    ("a list", [1, 2, 3]),
    ("a string", "order"),
    ("null", None),
    ("an empty object", {}),
    ("an order of the wrong types", {**an_order_event(), "order": {"id": 5, "items": "all"}}),
    ("RPC args of the wrong types", {"args": 7, "kwargs": []}),
]


def test_undecodable_messages_on_every_queue_are_dead_lettered_not_dropped(stack, shop):
    queues = consumed_queues(stack)
    before = dead_letters(stack)
    for queue in queues:
        for _, body, content_type in UNDECODABLE:
            publish(stack.amqp_uri, body, queue, content_type=content_type, reply_to="nowhere", correlation_id="c")
    wait_until_drained(stack.amqp_uri, stack.vhost, timeout=60)
    assert dead_letters(stack) - before == len(queues) * len(UNDECODABLE)


def test_malformed_payloads_on_every_queue_neither_crash_nor_loop(stack, shop):
    queues = consumed_queues(stack)
    before = dead_letters(stack)
    for queue in queues:
        for _, payload in MALFORMED:
            publish(stack.amqp_uri, json.dumps(payload), queue, reply_to="nowhere", correlation_id="c")
    wait_until_drained(stack.amqp_uri, stack.vhost, timeout=60)
    events_queues = [queue for queue in queues if queue.startswith("evt-")]
    assert dead_letters(stack) - before == len(events_queues) * len(MALFORMED)  # RPC answers them with errors
    shop.assert_serving()


@pytest.mark.parametrize(
    "header, value",
    [
        ("nameko.call_id_stack", [1]),
        ("nameko.call_id_stack", 7),
        ("nameko.call_id_stack", ["x"] * 1000),
        ("nameko.request_id", {"nested": ["table"]}),
        ("nameko.request_id", "x" * 100_000),
        ("x-shop-attempt", "many"),
        ("x-shop-attempt", -1),
        ("x-death", "not a list"),
    ],
)
def test_malformed_headers_on_an_event_do_not_crash_the_consumer(stack, shop, header, value):
    for event_type in ("order_cancelled", "order_shipped"):  # no effect for an order nobody placed
        publish(
            stack.amqp_uri,
            json.dumps(an_order_event()),
            event_type,
            exchange=Exchange("orders.events", type="topic", durable=True),
            headers={header: value},
        )
    wait_until_drained(stack.amqp_uri, stack.vhost, timeout=30)
    shop.assert_serving()


@pytest.mark.parametrize("value", [[1], 7, ["x"] * 1000, None])
def test_malformed_call_id_stack_on_an_rpc_request_still_gets_an_answer(stack, shop, value):
    with Connection(stack.amqp_uri) as connection:
        reply_queue = Queue(
            exclusive=True,
            exchange=Exchange("nameko-rpc", type="topic", durable=True),
            routing_key=str(uuid.uuid4()),
            channel=connection.default_channel,
        )
        reply_queue.declare()
        connection.Producer().publish(
            {"args": ["NO-SUCH-SKU"], "kwargs": {}},
            exchange="nameko-rpc",
            routing_key="inventory.get_product",
            headers={"nameko.call_id_stack": value},
            reply_to=reply_queue.routing_key,
            correlation_id=uuid.uuid4().hex,
            serializer="json",
        )
        reply = wait_until(lambda: reply_queue.get(no_ack=True), 10, "a reply")
    assert reply.payload["error"]["exc_type"] == "ProductNotFound"


def a_payment_event(order_id=None):
    """A well-formed payment event: an authorisation nobody made."""
    return {
        "event_id": uuid.uuid4().hex,
        "occurred_at": utc_now().isoformat(),
        "payment": {
            "order_id": order_id or uuid.uuid4().hex,
            "status": "authorised",
            "amount": "1.00",
            "currency": "EUR",
            "reference": "pi_forged",
            "decline_code": None,
            "refunded": "0.00",
        },
    }


@pytest.mark.parametrize(
    "source, event_type, event, publisher",
    [
        *(
            ("orders", "order_created", an_order_event, service)
            for service in ("inventory", "notifications", "accounts", "payments", "gateway")
        ),
        *(
            ("payments", "payment_authorised", a_payment_event, service)
            for service in ("orders", "inventory", "notifications", "accounts", "gateway")
        ),
    ],
)
def test_no_account_but_the_source_can_publish_its_events(stack, shop, source, event_type, event, publisher):
    user, password = stack.broker_accounts[publisher]
    with Connection(f"amqp://{user}:{password}@127.0.0.1:5672/{stack.vhost}") as connection:
        producer = connection.Producer(connection.channel())
        with pytest.raises(AccessRefused):
            producer.publish(event(), exchange=f"{source}.events", routing_key=event_type, serializer="json")
            producer.channel.basic_qos(0, 1, False)  # a round trip on the same channel: its refusal came first


@pytest.mark.parametrize(
    "service, target", [("orders", "inventory"), ("notifications", "orders"), ("gateway", "inventory")]
)
def test_no_account_can_publish_into_another_services_queues(stack, shop, service, target):
    user, password = stack.broker_accounts[service]
    with Connection(f"amqp://{user}:{password}@127.0.0.1:5672/{stack.vhost}") as connection:
        for exchange, routing_key in (
            (f"{target}.events", "stock_reserved"),
            ("", f"rpc-{target}"),
            (f"{target}.redelivery", f"{target}.dead-letters"),
        ):
            with pytest.raises(AccessRefused):
                channel = connection.channel()
                channel.basic_publish(
                    channel.prepare_message(b'{"forged": true}'), exchange=exchange, routing_key=routing_key
                )
                channel.basic_qos(0, 1, False)  # a round trip: the refusal has arrived


def account_connection(stack, service):
    user, password = stack.broker_accounts[service]
    return Connection(f"amqp://{user}:{password}@127.0.0.1:5672/{stack.vhost}")


@pytest.mark.parametrize(
    "service, routing_key",
    [
        ("orders", "inventory.release_stock"),
        ("notifications", "orders.cancel_order"),
        ("gateway", "notifications.list_notifications"),
    ],
)
def test_no_account_can_call_a_service_it_does_not_depend_on(stack, shop, service, routing_key):
    with account_connection(stack, service) as connection:
        channel = connection.channel()
        with pytest.raises(AccessRefused):
            channel.basic_publish(
                channel.prepare_message(b'{"args": ["x"], "kwargs": {}}'),
                exchange="nameko-rpc",
                routing_key=routing_key,
            )
            channel.basic_qos(0, 1, False)


@pytest.mark.parametrize("service", ["orders", "notifications", "gateway"])
def test_no_account_can_listen_in_on_other_services_calls(stack, shop, service):
    with account_connection(stack, service) as connection:
        queue = f"rpc-{service}"  # a queue it owns: only the binding key is refused
        with pytest.raises(AccessRefused):
            connection.channel().queue_bind(queue, exchange="nameko-rpc", routing_key="#")


def test_forged_replies_to_the_gateway_neither_crash_it_nor_reach_a_caller(stack, shop):
    [reply_queue] = [name for name in queue_names(stack.vhost) if name.startswith("rpc.reply-gateway-")]
    reply_key = reply_queue.removeprefix("rpc.reply-gateway-")
    for body, content_type in UNDECODABLE_REPLIES:
        publish(
            stack.amqp_uri,
            body,
            reply_key,
            exchange="nameko-rpc",
            content_type=content_type,
            correlation_id=str(uuid.uuid4()),
        )
    wait_until_drained(stack.amqp_uri, stack.vhost, timeout=30)
    shop.assert_serving()


UNDECODABLE_REPLIES = [
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (b"\x80\x04K\x01.", "application/x-python-serialize"),
    (b"null", "application/json"),
]
