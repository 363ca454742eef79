"""The outbox relay against a real PostgreSQL and a real RabbitMQ."""

from datetime import timedelta

import pytest
from kombu.exceptions import OperationalError
from nameko.standalone.events import get_event_exchange
from sqlalchemy import func, select

from order_service.models import OutboxMessage
from shop_common.messaging.outbox import ConfirmingPublisher, OutboxWriter, Relay
from shop_common.messaging.traces import TRACEPARENT_HEADER, within
from shop_common.observability.tracing import trace_id_of

LOCK_KEY = 4242


@pytest.fixture
def make_relay(config, clean_databases):
    exchange = get_event_exchange("orders", config)

    def make(amqp_uri=config["AMQP_URI"]):
        return Relay(
            clean_databases.engine("orders"),
            OutboxMessage,
            ConfirmingPublisher(amqp_uri, exchange, retry=False),
            LOCK_KEY,
        )

    return make


def write(databases, *numbers, commit=True):
    with databases.session("orders") as session:
        writer = OutboxWriter(OutboxMessage, {"nameko.request_id": "req-1"}, "orders.events")
        for number in numbers:
            writer.add(session, "order_created", {"event_id": f"e{number}", "n": number})
        session.commit() if commit else session.rollback()


def test_a_rolled_back_transaction_publishes_nothing(make_relay, clean_databases, event_tap):
    tap = event_tap("orders")
    write(clean_databases, 1, commit=False)
    assert make_relay().publish_pending() == 0
    assert tap.events() == []


def test_events_are_published_once_in_the_order_they_were_written(make_relay, clean_databases, event_tap):
    tap = event_tap("orders")
    for number in range(5):
        write(clean_databases, number)
    relay = make_relay()
    assert relay.publish_pending() == 5
    assert relay.publish_pending() == 0
    assert [event["n"] for event in tap.wait_for("order_created", count=5)] == [0, 1, 2, 3, 4]
    assert tap.seen[0].headers["nameko.request_id"] == "req-1"
    assert relay.unpublished_count() == 0


def test_an_event_written_within_a_trace_is_published_with_that_traces_context_and_no_other(
    make_relay, clean_databases, event_tap
):
    tap = event_tap("orders")
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    with within(f"00-{trace_id}-b7ad6b7169203331-01"):
        write(clean_databases, 1)
    write(clean_databases, 2)
    assert make_relay().publish_pending() == 2
    traced, untraced = tap.wait_for("order_created", count=2) and tap.seen
    assert trace_id_of(traced.headers[TRACEPARENT_HEADER]) == trace_id
    assert trace_id_of(untraced.headers.get(TRACEPARENT_HEADER)) != trace_id  # a trace of its own, or none


def test_while_the_broker_is_unreachable_events_wait_and_none_is_lost(make_relay, clean_databases, event_tap):
    tap = event_tap("orders")
    write(clean_databases, 1, 2, 3)
    with pytest.raises(OperationalError):  # kombu's: the broker cannot be reached
        make_relay("amqp://guest:guest@127.0.0.1:1/").publish_pending()
    relay = make_relay()
    assert relay.unpublished_count() == 3
    assert relay.publish_pending() == 3
    assert [event["n"] for event in tap.wait_for("order_created", count=3)] == [1, 2, 3]


def test_a_relay_keeps_its_connection_and_opens_a_new_one_when_it_is_lost(make_relay, clean_databases, event_tap):
    tap = event_tap("orders")
    relay = make_relay()
    write(clean_databases, 1, 2)
    assert relay.publish_pending() == 2
    kept = relay.publisher.connection
    write(clean_databases, 3)
    assert relay.publish_pending() == 1
    assert relay.publisher.connection is kept and relay.publisher.confirmed == 1
    kept.connection.sock.close()  # the broker's side went away
    write(clean_databases, 4)
    with pytest.raises(OSError):  # the closed socket: the row waits
        relay.publish_pending()
    assert relay.unpublished_count() == 1
    assert relay.publish_pending() == 1
    assert [event["n"] for event in tap.wait_for("order_created", count=4)] == [1, 2, 3, 4]


def test_only_one_relay_publishes_at_a_time(make_relay, clean_databases):
    write(clean_databases, 1)
    with clean_databases.session("orders") as other_relay:
        other_relay.scalar(select(func.pg_advisory_xact_lock(LOCK_KEY)))
        assert make_relay().publish_pending() is None
    assert make_relay().publish_pending() == 1


def test_published_rows_are_purged_after_the_keeping_time(make_relay, clean_databases):
    write(clean_databases, 1)
    relay = make_relay()
    relay.publish_pending()
    relay.purge_published(timedelta(days=1))
    assert clean_databases.scalar("orders", "SELECT count(*) FROM outbox") == 1
    relay.purge_published(timedelta(0))
    assert clean_databases.scalar("orders", "SELECT count(*) FROM outbox") == 0
