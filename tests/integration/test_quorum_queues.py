"""QUEUE_TYPE: quorum: a service's durable queues are quorum queues, and retries and dead letters work on them.

The service is test_dead_letters' ``FlakyService`` (with an RPC proxy of its
own, so it has a reply queue as the gateway does), on a fresh virtual host;
test_dead_letters' tests run here again on quorum queues.
"""

import pytest
import requests

from harness.broker import MANAGEMENT_API
from harness.waiting import wait_until
from shop_common.messaging.queues import QueueTypeError
from shop_common.messaging.rpc_proxy import GuardedRpcProxy
from tests.integration import test_dead_letters as on_classic_queues
from tests.integration.test_dead_letters import FAILURES_LEFT, HANDLED, FlakyService

HANDLER_QUEUE = "evt-orders-order_created--flaky.handle_order_created"
RETRY = {"MAX_ATTEMPTS": 3, "BACKOFF_SECONDS": 0.05, "MAX_BACKOFF_SECONDS": 0.2}


class CallingFlakyService(FlakyService):
    """``FlakyService`` with an RPC proxy, so a reply queue of its own, like the gateway's."""

    peer = GuardedRpcProxy("flaky")


@pytest.fixture
def quorum_config(config):
    return {**config, "QUEUE_TYPE": "quorum", "EVENT_RETRY": RETRY}


@pytest.fixture
def flaky(container_factory, quorum_config, rpc_client):
    FAILURES_LEFT.clear()
    HANDLED.clear()
    container_factory(CallingFlakyService, quorum_config).start()
    return rpc_client("flaky")


def queues_of(vhost):
    """name -> (type, durable, exclusive, auto_delete) of every queue of ``vhost``, by the management API."""
    response = requests.get(
        f"{MANAGEMENT_API}/queues/{vhost}", timeout=5, params={"columns": "name,type,durable,exclusive,auto_delete"}
    )
    response.raise_for_status()
    return {
        queue["name"]: (queue["type"], queue["durable"], queue["exclusive"], queue["auto_delete"])
        for queue in response.json()
    }


def test_every_durable_queue_of_the_service_is_a_quorum_queue_and_its_reply_queue_is_classic_and_transient(
    flaky, rabbit_config
):
    assert flaky.list_dead_letters() == []  # a call: the RPC client's reply queue exists too
    queues = wait_until(lambda: len(found := queues_of(rabbit_config["vhost"])) == 6 and found, 10, "six queues")
    replies = {name: state for name, state in queues.items() if name.startswith("rpc.reply-")}
    durable = {name: state for name, state in queues.items() if name not in replies}
    assert durable == dict.fromkeys(
        ("rpc-flaky", HANDLER_QUEUE, f"{HANDLER_QUEUE}.backoff", "flaky.dead-letters"), ("quorum", True, False, False)
    )
    assert sorted(name.rsplit("-", 5)[0] for name in replies) == [
        "rpc.reply-flaky",
        "rpc.reply-standalone_rpc_proxy",
    ]  # the service's own, and the test's client's
    assert {state[0] for state in replies.values()} == {"classic"}
    [own] = [state for name, state in replies.items() if name.startswith("rpc.reply-flaky-")]
    assert own == ("classic", False, False, False)  # transient: on a cluster it goes with its node (rpc_proxy)


# test_dead_letters' tests, on quorum queues (with the ``flaky`` fixture above): retried through the
# ``.backoff`` queue (per-message TTL, dead-lettered back), then dead-lettered, then replayed.
test_a_handler_that_fails_a_few_times_handles_the_event_once = (
    on_classic_queues.test_a_handler_that_fails_a_few_times_handles_the_event_once
)
test_a_handler_that_keeps_failing_sends_the_event_to_the_dead_letters = (
    on_classic_queues.test_a_handler_that_keeps_failing_sends_the_event_to_the_dead_letters
)
test_replayed_dead_letters_go_back_to_their_handler = (
    on_classic_queues.test_replayed_dead_letters_go_back_to_their_handler
)


@pytest.mark.parametrize("queue_type", ["stream", ""])
def test_a_queue_type_the_shop_does_not_know_stops_the_service_at_start(container_factory, config, queue_type):
    container = container_factory(FlakyService, {**config, "QUEUE_TYPE": queue_type})
    with pytest.raises(QueueTypeError, match="QUEUE_TYPE"):
        container.start()
