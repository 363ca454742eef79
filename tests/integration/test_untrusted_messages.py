"""Whatever a peer on the broker publishes, a service neither crashes, nor loops, nor loses the message.

Each test publishes what a buggy or hostile peer could, straight to the
exchanges and queues a real service container consumes.
"""

import json
import time
import uuid

import pytest
from kombu import Connection, Exchange, Queue
from marshmallow import fields
from nameko.exceptions import RemoteError

from harness.waiting import wait_until
from shop_common.identity.caller import OPERATOR, Caller
from shop_common.messaging import dead_letters
from shop_common.messaging.entrypoints import rpc
from shop_common.messaging.handlers import event_handler
from shop_common.messaging.request_context import RequestContext, current_request_id
from shop_common.observability.tracing import Traced, current_ids
from shop_common.vocabulary.events import EventEnvelope, new_event

HANDLED = []
CONTEXTS = []
CALLERS = []
TRACES = []


class Greeting(EventEnvelope):
    name = fields.String(required=True)


class WaryService(dead_letters.DeadLetterAdmin):
    """A consumer like the shop's: one checked event handler, one RPC method."""

    name = "wary"
    caller = RequestContext()
    traces = Traced()

    @event_handler("peer", "greeted", payload=Greeting)
    def handle_greeted(self, event):
        HANDLED.append(event["name"])
        if event["name"] == "fail":
            raise RuntimeError("cannot handle this one")

    @rpc
    def echo(self, value):
        CONTEXTS.append(current_request_id())
        CALLERS.append(self.caller)
        TRACES.append(current_ids()[0])
        return value


@pytest.fixture
def wary(container_factory, config, rpc_client):
    HANDLED.clear()
    CONTEXTS.clear()
    CALLERS.clear()
    TRACES.clear()
    retry = {"MAX_ATTEMPTS": 3, "BACKOFF_SECONDS": 0.05, "MAX_BACKOFF_SECONDS": 0.1}
    container = container_factory(WaryService, {**config, "EVENT_RETRY": retry})
    container.start()
    client = rpc_client("wary")
    client.container = container
    return client


@pytest.fixture
def publish_raw(config):
    """Publish any body with any headers and content type, as a peer on the broker can."""
    connection = Connection(config["AMQP_URI"])
    producer = connection.Producer()

    def publish(
        body, exchange="peer.events", routing_key="greeted", headers=None, content_type="application/json", **properties
    ):
        producer.publish(
            body,
            exchange=Exchange(exchange, type="topic", durable=True) if exchange else "",
            routing_key=routing_key,
            headers=headers or {},
            content_type=content_type,
            content_encoding="utf-8",
            **properties,
        )

    yield publish
    connection.release()


def greeting(name):
    return new_event(name=name)


def the_dead_letter(wary):
    [dead] = wait_until(wary.list_dead_letters, 10, "a message in the dead letters")
    return dead


def still_serves(wary, publish_raw):
    """The container lives and its handler still takes a good event."""
    assert wary.echo("ping") == "ping"
    publish_raw(json.dumps(greeting("after")))
    wait_until(lambda: "after" in HANDLED, 10, "the good event after it handled")
    assert not wary.container._died.ready()


@pytest.mark.parametrize("stack", [[1], 7, "a", [["x"]], ["bad id with spaces"], ["x"] * 50])
def test_a_malformed_call_id_stack_header_on_an_event_is_ignored_not_fatal(wary, publish_raw, stack):
    publish_raw(json.dumps(greeting("ada")), headers={"nameko.call_id_stack": stack})
    wait_until(lambda: "ada" in HANDLED, 10, "the event handled")
    still_serves(wary, publish_raw)


def raw_rpc(config, method, args, headers):
    """An RPC request to ``wary`` with any headers (nameko's own clients refuse to send malformed ones)."""
    with Connection(config["AMQP_URI"]) as connection:
        reply_queue = Queue(
            exclusive=True,
            exchange=Exchange("nameko-rpc", type="topic", durable=True),
            routing_key=str(uuid.uuid4()),  # a reply queue is keyed by a uuid, as nameko's clients key theirs
            channel=connection.default_channel,
        )
        reply_queue.declare()
        connection.Producer().publish(
            {"args": args, "kwargs": {}},
            exchange="nameko-rpc",
            routing_key=f"wary.{method}",
            headers=headers,
            reply_to=reply_queue.routing_key,
            correlation_id=uuid.uuid4().hex,
            serializer="json",
        )
        reply = wait_until(lambda: reply_queue.get(no_ack=True), 10, f"the reply to {method}")
        return reply.payload


@pytest.mark.parametrize("stack", [[1], 7, {"a": 1}, ["ok", None]])
def test_a_malformed_call_id_stack_header_on_an_rpc_request_is_ignored_not_fatal(wary, config, stack):
    reply = raw_rpc(config, "echo", ["hi"], {"nameko.call_id_stack": stack, "nameko.request_id": "r-1"})
    assert reply == {"result": "hi", "error": None}
    assert CONTEXTS == ["r-1"]
    assert not wary.container._died.ready()


def test_a_malformed_request_id_header_is_dropped(wary, config):
    assert raw_rpc(config, "echo", ["hi"], {"nameko.request_id": "x" * 10000})["result"] == "hi"
    assert raw_rpc(config, "echo", ["hi"], {"nameko.request_id": 42})["result"] == "hi"
    assert CONTEXTS == [None, None]


def test_the_caller_header_names_who_the_call_acts_for_and_none_means_the_operator(wary, config):
    raw_rpc(config, "echo", ["hi"], {"nameko.caller": "customer:acc-1"})
    raw_rpc(config, "echo", ["hi"], {})
    assert [Caller("customer", "acc-1"), OPERATOR] == CALLERS


@pytest.mark.parametrize("caller", ["staff", "root:acc-1", "customer:", 42, {"role": "staff"}, "staff:" + "a" * 65])
def test_a_malformed_caller_header_acts_for_nobody_never_for_the_operator(wary, config, caller):
    assert raw_rpc(config, "echo", ["hi"], {"nameko.caller": caller})["result"] == "hi"
    assert [Caller("anonymous")] == CALLERS
    assert not CALLERS[0].may_act_for("acc-1")


TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


def test_a_call_continues_the_trace_its_traceparent_header_names(wary, config):
    assert (
        raw_rpc(config, "echo", ["hi"], {"nameko.traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-01"})["result"] == "hi"
    )
    assert TRACES == [TRACE_ID]


@pytest.mark.parametrize(
    "traceparent", [f"00-{TRACE_ID}-b7ad6b7169203331-01\n", f"00-{TRACE_ID}", 42, ["x"], "-" * 5000]
)
def test_a_malformed_traceparent_header_starts_a_trace_of_its_own_and_harms_nothing(wary, config, traceparent):
    assert raw_rpc(config, "echo", ["hi"], {"nameko.traceparent": traceparent})["result"] == "hi"
    assert len(TRACES) == 1 and TRACES[0] != TRACE_ID
    assert not wary.container._died.ready()


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("{not json", "application/json"),
        ("plain words", "text/plain"),
        (b"\x80\x04K\x01.", "application/x-python-serialize"),  # a pickle: never unpickled
    ],
    ids=["broken-json", "text", "pickle"],
)
def test_an_event_body_that_cannot_be_decoded_is_dead_lettered_with_the_reason(wary, publish_raw, body, content_type):
    publish_raw(body, content_type=content_type)
    dead = the_dead_letter(wary)
    assert "cannot decode" in dead["error"]
    assert dead["queue"] == "evt-peer-greeted--wary.handle_greeted"
    assert "undecodable_body" in dead["payload"] or dead["payload"] == body
    assert HANDLED == []
    still_serves(wary, publish_raw)


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2, 3],
        "text",
        7,
        None,
        {},
        {"event_id": "e", "occurred_at": "2026-01-01T00:00:00+00:00"},
        {**greeting("x"), "event_id": 5},
        {**greeting("x"), "occurred_at": "yesterday"},
        {**greeting("x"), "version": 2},
    ],
    ids=["list", "string", "number", "null", "empty", "no-name", "numeric-id", "bad-time", "unknown-version"],
)
def test_an_event_of_the_wrong_shape_is_dead_lettered_at_once_not_retried(wary, publish_raw, payload):
    publish_raw(json.dumps(payload))
    dead = the_dead_letter(wary)
    assert "invalid greeted payload" in dead["error"] and dead["attempts"] == 1
    assert HANDLED == []
    still_serves(wary, publish_raw)


def test_an_oversized_event_is_dead_lettered_at_once(wary, publish_raw):
    publish_raw(json.dumps({**greeting("big"), "padding": "x" * 300_000}))
    dead = the_dead_letter(wary)
    assert "bytes" in dead["error"] and HANDLED == []
    assert len(dead["payload"]["padding"]) == 300_000  # kept whole in the queue, however it is logged
    still_serves(wary, publish_raw)


@pytest.mark.parametrize("attempt", ["many", -3, 0, 2.5, True, None, [1]])
def test_a_failing_event_with_a_malformed_attempt_header_is_dead_lettered_not_looped(wary, publish_raw, attempt):
    publish_raw(json.dumps(greeting("fail")), headers={"x-shop-attempt": attempt})
    dead = the_dead_letter(wary)
    assert "x-shop-attempt" in dead["error"]
    time.sleep(0.3)
    assert HANDLED == ["fail"]  # handled once, never requeued in a loop
    still_serves(wary, publish_raw)


def test_a_failing_event_claiming_a_huge_attempt_number_is_dead_lettered_after_one_try(wary, publish_raw):
    publish_raw(json.dumps(greeting("fail")), headers={"x-shop-attempt": 10**9})
    the_dead_letter(wary)
    assert HANDLED == ["fail"]


def test_an_rpc_request_that_cannot_be_decoded_is_dead_lettered_and_the_service_lives(wary, publish_raw):
    publish_raw("{not json", exchange="nameko-rpc", routing_key="wary.echo", reply_to="nowhere", correlation_id="c-1")
    dead = the_dead_letter(wary)
    assert dead["queue"] == "rpc-wary" and "cannot decode" in dead["error"]
    assert wary.echo("still here") == "still here"


def test_listing_and_replay_work_with_anything_in_the_dead_letters(wary, publish_raw):
    publish_raw(
        b"\xff\xfe binary",
        exchange="wary.redelivery",
        routing_key="wary.dead-letters",
        content_type="application/octet-stream",
        headers={"x-shop-original-queue": 12, "x-shop-error": b"bytes", "odd": [1, {"a": 2}]},
    )
    publish_raw(
        "not json",
        exchange="wary.redelivery",
        routing_key="wary.dead-letters",
        content_type="text/plain",
        headers={"x-shop-original-queue": "rpc-wary"},
    )
    publish_raw(
        json.dumps(greeting("back")),
        exchange="wary.redelivery",
        routing_key="wary.dead-letters",
        headers={"x-shop-original-queue": "evt-peer-greeted--wary.handle_greeted"},
    )
    listed = wait_until(lambda: len(dead := wary.list_dead_letters()) == 3 and dead, 10, "three dead letters")
    assert {dead["queue"] for dead in listed} == {12, "rpc-wary", "evt-peer-greeted--wary.handle_greeted"}
    assert wary.replay_dead_letters() == {"replayed": 1, "kept": 2}
    wait_until(lambda: "back" in HANDLED, 10, "the replayed event handled")
    assert len(wary.list_dead_letters()) == 2  # those with nowhere to go stay for the operator


def test_a_forged_dead_letter_cannot_be_replayed_into_another_services_queue(wary, publish_raw):
    publish_raw(
        json.dumps(greeting("x")),
        exchange="wary.redelivery",
        routing_key="wary.dead-letters",
        headers={"x-shop-original-queue": "rpc-orders"},
    )
    wait_until(wary.list_dead_letters, 10, "the forged letter in the dead letters")
    assert wary.replay_dead_letters() == {"replayed": 0, "kept": 1}


@pytest.mark.parametrize("limit", ["ten", -1, 0, 1.5, None])
def test_a_bad_dead_letter_limit_is_refused_as_invalid_input(wary, limit):
    with pytest.raises(RemoteError) as refused:
        wary.list_dead_letters(limit)
    assert refused.value.exc_type == "InvalidInput"
