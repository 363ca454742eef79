"""The pieces of every service's operations endpoints that need no broker: readiness of consumers, kinds, outcomes."""

from types import SimpleNamespace

from nameko.events import EventHandler
from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler

from gateway.http import JsonHttpEntrypoint
from shop_common.messaging.entrypoints import GuardedQueueConsumer, ResilientRpc
from shop_common.messaging.reliable_events import ReliableEventHandler
from shop_common.observability.tracing import kind_of
from shop_common.operations.operated import consumers_attached, outcome_of, ready_answer
from shop_common.vocabulary.errors import NotFound


def started_consumer():
    consumer = GuardedQueueConsumer()
    consumer.container = SimpleNamespace(config={"AMQP_URI": "amqp://guest:guest@localhost:5672/"})
    consumer.on_consume_ready(connection=None, channel=None, consumers=[])
    return consumer


def test_consumers_are_attached_once_ready_and_detached_while_the_broker_cannot_be_reached():
    assert not consumers_attached(GuardedQueueConsumer())
    consumer = started_consumer()
    assert consumers_attached(consumer)
    consumer.on_connection_error(ConnectionRefusedError("broker down"), interval=1)
    assert not consumers_attached(consumer)
    consumer.on_consume_ready(connection=None, channel=None, consumers=[])  # reconnected
    assert consumers_attached(consumer)


def test_an_entrypoint_kind_is_read_from_its_class():
    assert [
        kind_of(cls.__new__(cls))
        for cls in (Rpc, ResilientRpc, EventHandler, ReliableEventHandler, HttpRequestHandler, JsonHttpEntrypoint)
    ] == ["rpc", "rpc", "event", "event", "http", "http"]


def test_a_callers_mistake_is_refused_not_an_error():
    assert outcome_of(None) == "ok"
    assert outcome_of((NotFound, NotFound("no such order"), None)) == "refused"
    assert outcome_of((RuntimeError, RuntimeError("bug"), None)) == "error"


def test_not_ready_names_each_failing_check():
    status, body, content_type = ready_answer({"database": "does not answer: OperationalError"})
    assert (status, content_type) == (503, "application/json")
    assert '"failing": {"database": "does not answer: OperationalError"}' in body
    assert ready_answer({})[:2] == (200, '{"status": "ready"}')
