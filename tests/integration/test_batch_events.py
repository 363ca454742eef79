"""Batch event handlers (``event_handler(..., batch=True)``) on a real RabbitMQ and a real PostgreSQL: many events
in one worker and one transaction, each still applied once, retried and dead-lettered alone."""

import threading
import time

import pytest
from nameko.standalone.events import event_dispatcher
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import create_engine, text

from harness.waiting import wait_until
from inventory_service.models import Base, OutboxMessage, ProcessedEvent, Product
from shop_common.messaging.handlers import event_handler
from shop_common.messaging.outbox import Outbox
from shop_common.messaging.traces import TRACEPARENT_HEADER
from shop_common.observability import tracing
from shop_common.operations import service_base
from shop_common.persistence.database import database_session
from shop_common.vocabulary.change import Change
from shop_common.vocabulary.events import new_event

BATCHES = []  # the event ids each call of the handler was given
HOLD = threading.Event()  # while unset, a batch waits before it commits (set: batches go straight through)


class BatchingService(service_base.DomainService):
    """Makes a product for each ``order_created`` event, many at a time, and tells of each."""

    name = "inventory"  # a service the registry knows, on its database

    db = database_session(Base)
    outbox = Outbox(Base, OutboxMessage)

    @event_handler("orders", "order_created", inbox=ProcessedEvent, batch=True)
    def handle_order_created(self, batch):
        BATCHES.append([event["event_id"] for event in batch])
        if any(event.get("poison") for event in batch):
            raise RuntimeError("a poison event")
        products = [Product(sku=event["sku"], name="made", price="1.00", stock=1) for event in batch]
        self.db.add_all(products)
        HOLD.wait()
        self.commit_batch(batch, [Change(product, True) for product in products], _product_made)


def _product_made(product):
    return "product_made", new_event(sku=product.sku)


@pytest.fixture
def batching_config(config):
    retry = {"MAX_ATTEMPTS": 2, "BACKOFF_SECONDS": 0.05, "MAX_BACKOFF_SECONDS": 0.1}
    return {
        **config,
        "EVENT_RETRY": retry,
        "EVENT_BATCH": {"MAX_EVENTS": 50, "WAIT_SECONDS": 0.3},  # every event a test publishes at once: one batch
    }


@pytest.fixture
def batching(container_factory, batching_config):
    BATCHES.clear()
    HOLD.set()
    container = container_factory(BatchingService, batching_config)
    container.start()
    yield container
    HOLD.set()


@pytest.fixture
def inventory_db(batching_config):
    engine = create_engine(batching_config["DB_URIS"]["inventory:Base"])
    yield engine
    engine.dispose()


def made(engine):
    """``{sku: the id of the transaction that made it}`` of every product made."""
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT sku, xmin::text FROM products")).all())


def order_created(publish_event, count, **extra):
    events = [new_event(sku=f"SKU-{n}", **extra) for n in range(count)]
    for event in events:
        publish_event("orders", "order_created", event)
    return events


def test_the_events_waiting_are_applied_by_one_worker_in_one_transaction(batching, publish_event, inventory_db):
    events = order_created(publish_event, 5)
    wait_until(lambda: len(made(inventory_db)) == 5, 10, "five products made")
    assert [[event["event_id"] for event in events]] == BATCHES
    assert len(set(made(inventory_db).values())) == 1  # one transaction made them all


def test_what_a_batch_publishes_carries_the_request_id_of_the_event_that_caused_it(
    batching, batching_config, event_tap, inventory_db
):
    tap = event_tap("inventory")
    causes = {}
    for n in range(3):
        event = new_event(sku=f"SKU-{n}")
        event_dispatcher(batching_config, headers={"nameko.request_id": f"request-{n}"})(
            "orders", "order_created", event
        )
        causes[f"SKU-{n}"] = f"request-{n}"
    tap.wait_for("product_made", count=3)
    assert len(BATCHES) == 1
    assert {message.payload["sku"]: message.headers["nameko.request_id"] for message in tap.seen} == causes


@pytest.fixture
def recorded_spans(monkeypatch):
    """The spans the service's workers start, recorded by a provider of the test's own (the process's global
    provider is set once, by whichever service started first)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "tracer", provider.get_tracer("test"))
    return exporter


def test_a_batch_workers_span_links_to_the_trace_of_each_event_it_applies(batching, batching_config, recorded_spans):
    for n in range(1, 4):
        event_dispatcher(batching_config, headers={TRACEPARENT_HEADER: f"00-{n:032x}-{n:016x}-01"})(
            "orders", "order_created", new_event(sku=f"SKU-{n}")
        )

    def batch_spans():
        return [span for span in recorded_spans.get_finished_spans() if span.name.startswith("process ")]

    wait_until(batch_spans, 10, "the batch's span ended")
    [span] = batch_spans()
    assert len(BATCHES) == 1
    assert span.attributes["messaging.batch.message_count"] == 3
    assert sorted((link.context.trace_id, link.context.span_id) for link in span.links) == [(n, n) for n in (1, 2, 3)]


def test_a_poison_event_in_a_batch_is_dead_lettered_alone_and_the_others_are_applied(
    batching, publish_event, inventory_db, rpc_client
):
    good = order_created(publish_event, 4)
    poison = new_event(sku="POISON", poison=True)
    publish_event("orders", "order_created", poison)
    wait_until(lambda: rpc_client("inventory").list_dead_letters(), 10, "the poison event dead-lettered")
    [dead] = rpc_client("inventory").list_dead_letters()
    assert dead["payload"] == poison and dead["attempts"] == 2 and "a poison event" in dead["error"]
    assert sorted(made(inventory_db)) == sorted(event["sku"] for event in good)
    # the batch of five failed, then each was applied alone; the poison's retry came alone
    assert BATCHES[0] == [event["event_id"] for event in [*good, poison]]
    assert BATCHES[1:6] == [[event["event_id"]] for event in [*good, poison]]
    assert BATCHES[6:] == [[poison["event_id"]]]


def test_a_redelivered_batch_is_applied_once(batching, publish_event, inventory_db):
    events = order_created(publish_event, 3)
    wait_until(lambda: len(made(inventory_db)) == 3, 10, "three products made")
    for event in [*events, events[0]]:  # all of them again, and the first twice in the same batch
        publish_event("orders", "order_created", event)
    after = new_event(sku="AFTER")
    publish_event("orders", "order_created", after)
    wait_until(lambda: "AFTER" in made(inventory_db), 10, "an event after the redelivered batch applied")
    assert len(made(inventory_db)) == 4
    assert BATCHES[1:] == [[after["event_id"]]]  # the handler never saw a redelivered event


def test_a_service_stopped_during_a_batch_finishes_it_and_hands_back_the_events_it_had_not_started(
    container_factory, batching, batching_config, publish_event, inventory_db
):
    HOLD.clear()
    first = order_created(publish_event, 3)
    wait_until(lambda: len(BATCHES) == 1, 10, "the first batch started")
    later = [new_event(sku=f"LATER-{n}") for n in range(3)]
    for event in later:
        publish_event("orders", "order_created", event)
    time.sleep(0.5)  # the later events gathered behind the batch being applied
    stopping = threading.Thread(target=batching.stop)
    stopping.start()
    time.sleep(0.5)
    assert stopping.is_alive()  # the service waits for the batch it applies...
    HOLD.set()  # ...which commits while the service stops
    stopping.join(timeout=30)
    assert not stopping.is_alive()
    assert sorted(made(inventory_db)) == sorted(event["sku"] for event in first)

    container_factory(BatchingService, batching_config).start()  # the next instance takes what was handed back
    wait_until(lambda: len(made(inventory_db)) == 6, 10, "the handed-back events applied")
    applied = [event_id for batch in BATCHES for event_id in batch]
    assert sorted(applied) == sorted(event["event_id"] for event in [*first, *later])  # each once
