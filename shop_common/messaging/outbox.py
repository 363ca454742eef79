"""The transactional outbox: events leave with the change that caused them, or not at all.

A worker adds its events to the outbox table in its own transaction; after
it returns, a relay thread publishes unpublished rows to the service's events
exchange, in the order they were written, with publisher confirms, and marks
them published. A rolled-back transaction leaves no row, so it publishes
nothing; while the broker is down rows wait, and are published when it is back.

Delivery is at least once (a relay that dies between publishing and marking
publishes that row again), which the consumers' idempotency turns into
exactly-once effects. Only one relay per service publishes at a time (a
PostgreSQL advisory lock), so several instances keep the order too.
"""

import time
import zlib
from contextlib import contextmanager, suppress
from datetime import timedelta
from logging import getLogger

import eventlet
from eventlet.queue import Empty, LightQueue
from nameko.amqp.publish import get_producer
from nameko.constants import DEFAULT_RETRY_POLICY, PERSISTENT
from nameko.extensions import DependencyProvider
from nameko.messaging import HeaderEncoder
from nameko.standalone.events import get_event_exchange
from sqlalchemy import create_engine, delete, func, select, update
from sqlalchemy.orm import sessionmaker

from shop_common.messaging.traces import TRACEPARENT_HEADER, creation_traceparent, send_span
from shop_common.vocabulary.clock import utc_now

_log = getLogger(__name__)

BATCH_SIZE = 100
POLL_SECONDS = 1.0  # a relay looks for rows at least this often, woken or not
LOCK_RETRY_SECONDS = 0.02  # another instance is relaying: look again this soon...
LOCK_RETRIES = 50  # ...this many times, then leave it to that instance and the next poll
MAX_BACKOFF_SECONDS = 5.0  # after failures (broker or database down), wait at most this long

KEEP_PUBLISHED = timedelta(days=1)  # published rows are deleted after this long...
PURGE_EVERY_SECONDS = 600  # ...looked for this often

# The worker's context that travels with its events (nameko's context headers).
PROPAGATED_HEADERS = ("nameko.request_id", "nameko.call_id_stack", "nameko.caller")


class OutboxWriter:
    """What a worker gets: ``add(session, event_type, payload)`` within its transaction.

    Each event is stored with the worker's context headers and, as its
    ``traceparent``, the context of its own ``create`` span (``tracing``).
    """

    def __init__(self, message_model, headers, exchange_name):
        self.message_model = message_model
        self.headers = headers
        self.exchange_name = exchange_name
        self.added = False

    def add(self, session, event_type, payload):
        traceparent = creation_traceparent(self.exchange_name, event_type, payload.get("event_id"))
        headers = {**self.headers, TRACEPARENT_HEADER: traceparent} if traceparent else self.headers
        session.add(self.message_model(event_type=event_type, payload=payload, headers=headers, created_at=utc_now()))
        self.added = True


class BatchPublisher:
    """Publishes to one exchange over one pooled connection per batch, each message confirmed.

    ``with publisher.batch() as publish: publish(payload, routing_key, headers)``
    returns only once the broker has taken the message (or raises).
    """

    def __init__(self, amqp_uri, exchange, retry=True):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.retry = retry

    @contextmanager
    def batch(self):
        with get_producer(self.amqp_uri, confirms=True) as producer:

            def publish(payload, routing_key, headers):
                producer.publish(
                    payload,
                    exchange=self.exchange,
                    routing_key=routing_key,
                    headers=headers,
                    delivery_mode=PERSISTENT,
                    serializer="json",
                    declare=[self.exchange],
                    retry=self.retry,
                    retry_policy=DEFAULT_RETRY_POLICY,
                )

            yield publish


class Relay:
    """Publishes a service's unpublished outbox rows; one batch per ``publish_pending`` call."""

    def __init__(self, Session, message_model, publisher, lock_key):
        self.Session = Session
        self.message_model = message_model
        self.publisher = publisher
        self.lock_key = lock_key

    def publish_pending(self):
        """Publish up to a batch; the number published, or None when another relay holds the lock."""
        model = self.message_model
        with self.Session() as session:
            if not session.scalar(select(func.pg_try_advisory_xact_lock(self.lock_key))):
                return None
            rows = session.execute(
                select(model.id, model.event_type, model.payload, model.headers)
                .where(model.published_at.is_(None))
                .order_by(model.id)
                .limit(BATCH_SIZE)
            ).all()
            published = []
            try:
                if rows:
                    with self.publisher.batch() as publish:
                        for row in rows:
                            with send_span(self.publisher.exchange.name, row.event_type, row.headers):
                                publish(row.payload, row.event_type, row.headers)
                            published.append(row.id)
            finally:
                if published:
                    session.execute(update(model).where(model.id.in_(published)).values(published_at=utc_now()))
                session.commit()
            return len(published)

    def purge_published(self, older_than):
        """Forget rows published before ``older_than`` ago; they only served the relay."""
        model = self.message_model
        with self.Session() as session:
            session.execute(delete(model).where(model.published_at < utc_now() - older_than))
            session.commit()

    def unpublished_count(self):
        return self.backlog()[0]

    def backlog(self):
        """How many rows wait to be published, and how many seconds the oldest has waited (0 with none)."""
        model = self.message_model
        with self.Session() as session:
            count, oldest = session.execute(
                select(func.count(), func.min(model.created_at)).where(model.published_at.is_(None))
            ).one()
        return count, (utc_now() - oldest).total_seconds() if oldest else 0.0


class Outbox(DependencyProvider, HeaderEncoder):
    """Provides an ``OutboxWriter`` per worker and runs the relay for the service.

    ``Outbox(Base, OutboxMessage)``: the relay uses the database that
    ``DB_URIS["<service>:<Base>"]`` names, with a small pool of its own.
    """

    def __init__(self, declarative_base, message_model):
        self.declarative_base = declarative_base
        self.message_model = message_model

    def setup(self):
        config = self.container.config
        service_name = self.container.service_name
        uri = config["DB_URIS"][f"{service_name}:{self.declarative_base.__name__}"]
        self.engine = create_engine(uri, pool_size=2, max_overflow=0)
        self.exchange = get_event_exchange(service_name, config)
        publisher = BatchPublisher(config["AMQP_URI"], self.exchange)
        self.relay = Relay(
            sessionmaker(self.engine),
            self.message_model,
            publisher,
            lock_key=zlib.crc32(f"outbox:{service_name}".encode()),
        )
        self.wakeups = LightQueue(maxsize=1)
        self.writers = {}

    def start(self):
        self.container.spawn_managed_thread(self._run_relay, identifier="outbox relay")
        super().start()

    def stop(self):
        super().stop()
        self.engine.dispose()

    def figures(self):
        count, oldest_age = self.relay.backlog()
        service = (self.container.service_name,)
        return {
            "shop_outbox_unpublished_events": {service: count},
            "shop_outbox_oldest_unpublished_age_seconds": {service: oldest_age},
        }

    def get_dependency(self, worker_ctx):
        headers = {
            key: value for key, value in self.get_message_headers(worker_ctx).items() if key in PROPAGATED_HEADERS
        }
        writer = OutboxWriter(self.message_model, headers, self.exchange.name)
        self.writers[worker_ctx] = writer
        return writer

    def worker_teardown(self, worker_ctx):
        writer = self.writers.pop(worker_ctx, None)
        if writer is not None and writer.added:
            self.wake()

    def wake(self):
        if not self.wakeups.full():
            self.wakeups.put_nowait(True)

    def _run_relay(self):
        backoff = 0.0
        next_purge = 0.0
        while True:
            with suppress(Empty):
                self.wakeups.get(timeout=backoff or POLL_SECONDS)
            try:
                self._publish_all()
                backoff = 0.0
                if time.monotonic() >= next_purge:
                    self.relay.purge_published(KEEP_PUBLISHED)
                    next_purge = time.monotonic() + PURGE_EVERY_SECONDS
            except Exception as error:  # broker or database away: keep the rows, try again later
                backoff = min(max(backoff * 2, 0.2), MAX_BACKOFF_SECONDS)
                _log.warning("outbox relay failed, retrying in %.1fs: %s", backoff, error)

    def _publish_all(self):
        """Publish until a batch comes back short; give up for now if another instance keeps the lock.

        A row committed after the last batch was read has woken the relay again.
        """
        for _ in range(LOCK_RETRIES):
            published = self.relay.publish_pending()
            if published is None:
                eventlet.sleep(LOCK_RETRY_SECONDS)
            elif published < BATCH_SIZE:
                return
