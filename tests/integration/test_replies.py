"""RPC replies on a kept channel without confirms (``messaging.replies``), against a real RabbitMQ."""

import time
import uuid

import amqp
import pytest
from kombu import Connection, Exchange, Queue

from harness.waiting import wait_until
from shop_common.messaging.replies import NoReplyAddress, ReplyPublisher

RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)


@pytest.fixture
def connection(rabbit_config):
    with Connection(rabbit_config["AMQP_URI"]) as connection:
        yield connection


@pytest.fixture
def replies(rabbit_config):
    publisher = ReplyPublisher(rabbit_config["AMQP_URI"], RPC_EXCHANGE)
    yield publisher
    publisher.close()


def a_request(connection, reply_to):
    """A request as the broker delivers it: a kombu message with ``reply_to``, taken from a queue."""
    requests = Queue(f"requests-{uuid.uuid4().hex}", exclusive=True, channel=connection.default_channel)
    requests.declare()
    connection.Producer().publish(
        {"args": [], "kwargs": {}}, routing_key=requests.name, reply_to=reply_to, correlation_id=uuid.uuid4().hex
    )
    return wait_until(lambda: requests.get(no_ack=True), 5, "the request")


def a_reply_queue(connection):
    key = str(uuid.uuid4())
    queue = Queue(exclusive=True, exchange=RPC_EXCHANGE, routing_key=key, channel=connection.default_channel)
    queue.declare()
    return key, queue


def test_a_reply_reaches_its_caller_with_the_requests_correlation_id(connection, replies):
    key, reply_queue = a_reply_queue(connection)
    request = a_request(connection, key)
    replies.reply(request, {"answer": 42}, None)
    reply = wait_until(lambda: reply_queue.get(no_ack=True), 5, "the reply")
    assert reply.payload == {"result": {"answer": 42}, "error": None}
    assert reply.properties["correlation_id"] == request.properties["correlation_id"]


def test_the_replies_after_the_broker_closed_the_channel_still_reach_their_callers(connection, replies):
    key, reply_queue = a_reply_queue(connection)
    replies.reply(a_request(connection, key), "first", None)
    wait_until(lambda: reply_queue.get(no_ack=True), 5, "the first reply")
    # Anything the broker refuses closes the channel, and without confirms the publisher is not told.
    replies.producer.channel.basic_publish(amqp.Message(b"x"), exchange="no-such-exchange", routing_key="x")
    time.sleep(0.3)  # the broker's channel.close arrives
    replies.reply(a_request(connection, key), "second", None)
    assert wait_until(lambda: reply_queue.get(no_ack=True), 5, "the second reply").payload["result"] == "second"


@pytest.mark.parametrize("reply_to", [None, "nowhere", "orders.place_order", str(uuid.uuid4()) + "#", "a" * 255])
def test_a_request_naming_no_reply_queue_gets_no_reply(connection, replies, reply_to):
    with pytest.raises(NoReplyAddress):
        replies.reply(a_request(connection, reply_to), "answer", None)
    assert replies.producer is None  # nothing was sent


def test_a_result_that_cannot_be_serialised_is_answered_with_nameko_s_error(connection, replies):
    key, reply_queue = a_reply_queue(connection)
    replies.reply(a_request(connection, key), object(), None)
    reply = wait_until(lambda: reply_queue.get(no_ack=True), 5, "the reply")
    assert reply.payload["result"] is None and reply.payload["error"]["exc_type"] == "UnserializableValueError"
