"""``call_guarded``: what counts against a service's circuit breaker, and what does not.

``Method`` stands in for nameko's ``MethodProxy``: its ``call_async`` takes
``send_seconds`` to get the request out, and the answer comes ``answer_seconds``
later (never, when None).
"""

import eventlet
import pytest
from eventlet.event import Event
from eventlet.patcher import original
from kombu import Message
from nameko.containers import ServiceContainer
from nameko.exceptions import UnknownService
from nameko.rpc import ReplyListener

from gateway.service import GatewayService
from shop_common.messaging.circuit_breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from shop_common.messaging.rpc_proxy import SettlingReplyListener, call_guarded
from shop_common.operations.config import load_config
from shop_common.vocabulary.errors import ServiceUnavailable

TIMEOUT = 0.1
blocking_sleep = original("time").sleep  # holds the whole event loop, as a swamped gateway does


class Reply:
    def __init__(self):
        self.reply_event = Event()
        self.resp_body = None

    def result(self):
        return self.resp_body["result"]


class Method:
    service_name = "inventory"

    def __init__(self, send_seconds=0.0, answer_seconds=0.0, running=True, answer=None):
        self.send_seconds = send_seconds
        self.answer_seconds = answer_seconds
        self.running = running
        self.answer = {"result": "stock", "error": None} if answer is None else answer

    def call_async(self, *args, **kwargs):
        eventlet.sleep(self.send_seconds)
        if not self.running:
            raise UnknownService(self.service_name)
        reply = Reply()
        if self.answer_seconds is not None:
            eventlet.spawn_after(self.answer_seconds, reply.reply_event.send, self.answer)
        return reply


def breaker():
    return CircuitBreaker(failure_threshold=2, reset_seconds=60)


def unavailable(method, guard, times=3):
    for _ in range(times):
        with pytest.raises(ServiceUnavailable):
            call_guarded(method, TIMEOUT, guard)


def test_a_service_that_answers_in_time_is_called():
    assert call_guarded(Method(answer_seconds=0.01), TIMEOUT, breaker()) == "stock"


def test_a_service_that_does_not_answer_opens_its_breaker():
    guard = breaker()
    unavailable(Method(answer_seconds=None), guard, times=2)
    assert guard.state == OPEN


def test_a_service_that_is_not_running_opens_its_breaker():
    guard = breaker()
    unavailable(Method(running=False), guard, times=2)
    assert guard.state == OPEN


def test_a_request_the_gateway_could_not_send_in_time_does_not_count_against_the_service():
    guard = breaker()
    unavailable(Method(send_seconds=2 * TIMEOUT), guard, times=3)
    assert guard.state == CLOSED


def test_the_service_gets_its_whole_timeout_once_the_request_is_out():
    method = Method(send_seconds=0.7 * TIMEOUT, answer_seconds=0.7 * TIMEOUT)
    assert call_guarded(method, TIMEOUT, breaker()) == "stock"


def test_an_answer_received_while_the_gateway_was_too_busy_to_hand_it_over_is_used():
    def swamped_gateway(reply_event):
        blocking_sleep(2 * TIMEOUT)  # nothing runs meanwhile; the deadline passes
        reply_event.send({"result": "stock", "error": None})  # the answer is in before the deadline is handled

    class Swamped(Method):
        def call_async(self, *args, **kwargs):
            reply = Reply()
            eventlet.spawn_after(TIMEOUT / 2, swamped_gateway, reply.reply_event)
            return reply

    guard = breaker()
    assert call_guarded(Swamped(), TIMEOUT, guard) == "stock"
    assert guard.failures == 0


def test_a_trial_call_that_could_not_be_sent_lets_the_next_call_try():
    clock = [0.0]
    guard = CircuitBreaker(failure_threshold=1, reset_seconds=10, clock=lambda: clock[0])
    unavailable(Method(answer_seconds=None), guard, times=1)
    clock[0] = 10
    assert guard.state == HALF_OPEN
    unavailable(Method(send_seconds=2 * TIMEOUT), guard, times=1)
    assert call_guarded(Method(answer_seconds=0.01), TIMEOUT, guard) == "stock"
    assert guard.state == CLOSED


@pytest.mark.parametrize("answer", [[1, 2], "text", 7])
def test_a_malformed_reply_is_a_503_not_a_crash(answer):
    with pytest.raises(ServiceUnavailable, match="malformed reply"):
        call_guarded(Method(answer=answer), TIMEOUT, breaker())


class ResetChannel:
    """A broker channel whose connection was reset by the broker (kombu's, as RabbitMQ restarting leaves it)."""

    no_ack_consumers = None

    def basic_ack(self, delivery_tag, multiple=False):
        raise ConnectionResetError(104, "Connection reset by peer")


def test_a_reply_that_cannot_be_acknowledged_still_reaches_its_caller_and_kills_nothing():
    listener = SettlingReplyListener()
    waiting = listener.get_reply_event("call-1")
    reply = {"result": "stock", "error": None}
    listener.handle_message(
        reply, Message(body=b"", channel=ResetChannel(), delivery_tag=1, properties={"correlation_id": "call-1"})
    )
    assert waiting.wait() == reply


def test_the_gateways_rpc_replies_reach_it_through_the_settling_listener_alone():
    container = ServiceContainer(GatewayService, load_config())
    assert [type(extension) for extension in container.extensions if isinstance(extension, ReplyListener)] == [
        SettlingReplyListener
    ]
