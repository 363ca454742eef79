"""What the shop's entrypoints do beyond nameko's own, on a real RabbitMQ: here, how a stopping service lets go."""

import eventlet
import pytest
from kombu import Connection
from nameko.standalone.rpc import ServiceRpcProxy

from harness.waiting import wait_until
from shop_common.messaging.entrypoints import rpc
from shop_common.messaging.handlers import event_handler
from shop_common.vocabulary.events import new_event

HOLD = {"release": eventlet.Event(), "holding": eventlet.Event()}


class BusyService:
    """One worker, which an event can keep busy for as long as a test likes."""

    name = "busy"

    @event_handler("orders", "order_created")
    def hold_the_worker(self, event):
        if not HOLD["holding"].ready():
            HOLD["holding"].send()
        HOLD["release"].wait()

    @rpc
    def which(self, instance):
        return instance


class InstanceOne(BusyService):
    @rpc
    def which(self, instance):
        return "instance 1"


@pytest.fixture
def hold():
    HOLD.update(release=eventlet.Event(), holding=eventlet.Event())
    yield HOLD
    if not HOLD["release"].ready():
        HOLD["release"].send()


def ready_requests(config, queue):
    """Requests on ``queue`` not yet delivered to any consumer."""
    with Connection(config["AMQP_URI"]) as connection:
        return connection.default_channel.queue_declare(queue, passive=True).message_count


def test_a_stopping_service_hands_back_at_once_the_requests_it_holds_without_a_worker(
    container_factory, config, publish_event, hold
):
    one_worker = {**config, "max_workers": 1}
    stopping = container_factory(BusyService, one_worker)
    stopping.start()
    proxy = ServiceRpcProxy("busy", config, timeout=5)
    client = proxy.start()
    publish_event("orders", "order_created", new_event(n=1))
    hold["holding"].wait()  # the only worker is busy
    reply = client.which.call_async("instance 0")
    # the request is delivered: it waits for the worker
    wait_until(lambda: ready_requests(config, "rpc-busy") == 0, 5, "the request delivered", poll_seconds=0.02)

    stopped = eventlet.spawn(stopping.stop)  # waits for the held worker, not for the request
    container_factory(InstanceOne, one_worker).start()

    try:
        assert reply.result() == "instance 1"  # nameko's RpcTimeout after 5 s if the stopping one kept it
        assert not stopped.dead  # answered while the stopping one still had its worker busy
    finally:
        hold["release"].send()
        with eventlet.Timeout(10, AssertionError("the stopping instance never stopped")):
            stopped.wait()
        proxy.stop()
