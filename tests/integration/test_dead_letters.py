"""Failing event handlers: bounded retries with backoff, then the dead-letter queue, then replay."""

import time

import pytest

from harness.waiting import wait_until
from shop_common.messaging import dead_letters
from shop_common.messaging.handlers import event_handler
from shop_common.vocabulary.events import new_event

FAILURES_LEFT = {}  # event id -> how many more times the handler fails on it
HANDLED = []


class FlakyService(dead_letters.DeadLetterAdmin):
    """A consumer like the shop's, whose handler fails as often as a test says."""

    name = "flaky"

    @event_handler("orders", "order_created")
    def handle_order_created(self, event):
        if FAILURES_LEFT.get(event["event_id"], 0) > 0:
            FAILURES_LEFT[event["event_id"]] -= 1
            raise RuntimeError(f"cannot handle {event['event_id']} yet")
        HANDLED.append(event["event_id"])


@pytest.fixture
def flaky(container_factory, config, rpc_client):
    FAILURES_LEFT.clear()
    HANDLED.clear()
    retry = {"MAX_ATTEMPTS": 3, "BACKOFF_SECONDS": 0.05, "MAX_BACKOFF_SECONDS": 0.2}
    container_factory(FlakyService, {**config, "EVENT_RETRY": retry}).start()
    return rpc_client("flaky")


def test_a_handler_that_fails_a_few_times_handles_the_event_once(flaky, publish_event):
    event = new_event(n=1)
    FAILURES_LEFT[event["event_id"]] = 2
    publish_event("orders", "order_created", event)
    wait_until(lambda: [event["event_id"]] == HANDLED, 10, "the event handled")
    time.sleep(0.3)
    assert [event["event_id"]] == HANDLED
    assert flaky.list_dead_letters() == []


def test_a_handler_that_keeps_failing_sends_the_event_to_the_dead_letters(flaky, publish_event):
    event = new_event(n=2)
    FAILURES_LEFT[event["event_id"]] = 1000
    publish_event("orders", "order_created", event)
    wait_until(flaky.list_dead_letters, 10, "the event in the dead letters")
    [dead] = flaky.list_dead_letters()
    assert dead["payload"] == event
    assert dead["event_type"] == "order_created"
    assert dead["queue"] == "evt-orders-order_created--flaky.handle_order_created"
    assert dead["attempts"] == 3
    assert "cannot handle" in dead["error"] and dead["dead_at"].endswith("+00:00")
    assert HANDLED == [] and FAILURES_LEFT[event["event_id"]] == 997
    assert len(flaky.list_dead_letters()) == 1  # listing leaves them where they are


def test_replayed_dead_letters_go_back_to_their_handler(flaky, publish_event):
    event = new_event(n=3)
    FAILURES_LEFT[event["event_id"]] = 3
    publish_event("orders", "order_created", event)
    wait_until(flaky.list_dead_letters, 10, "the event in the dead letters")
    assert flaky.replay_dead_letters() == {"replayed": 1, "kept": 0}
    wait_until(lambda: [event["event_id"]] == HANDLED, 10, "the replayed event handled")
    assert flaky.list_dead_letters() == []
