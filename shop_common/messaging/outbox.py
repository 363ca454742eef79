"""The transactional outbox: events leave with the change that caused them, or not at all.

A worker adds its events to the outbox table in its own transaction; after
it returns, a relay thread publishes unpublished rows to the service's events
exchange, in the order they were written, in batches (all of a wake-up's rows,
up to ``BATCH_SIZE``, then one wait for the broker's confirms), and marks them
published in one statement. A rolled-back transaction leaves no row, so it publishes
nothing; while the broker is down rows wait, and are published when it is back.

Delivery is at least once (a relay that dies between publishing and marking
publishes that row again), which the consumers' idempotency turns into
exactly-once effects. Only one relay per service publishes at a time (a
PostgreSQL advisory lock), so several instances keep the order too.
"""

import time
import zlib
from contextlib import contextmanager, nullcontext, suppress
from datetime import timedelta
from logging import getLogger

import eventlet
from eventlet.queue import Empty, LightQueue
from kombu import Connection, Producer
from nameko.constants import PERSISTENT
from nameko.extensions import DependencyProvider
from nameko.messaging import HeaderEncoder
from nameko.standalone.events import get_event_exchange
from sqlalchemy import create_engine, delete, func, select, update

from shop_common.messaging.request_context import TRACEPARENT_KEY
from shop_common.messaging.traces import TRACEPARENT_HEADER, creation_traceparent, send_span, within
from shop_common.vocabulary.clock import utc_now

_log = getLogger(__name__)

BATCH_SIZE = 100
CONFIRM_SECONDS = 10.0  # the broker confirms a batch within this long, or it is sent again
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
    ``traceparent``, the context of its own ``create`` span (``tracing``). An event a batch worker adds for one
    of its events names that event's ``context`` (``Batch.contexts``): it carries that event's request id and
    caller, and its ``create`` span is in that event's trace.
    """

    def __init__(self, message_model, headers, exchange_name, worker_traceparent=None):
        self.message_model = message_model
        self.headers = headers
        self.exchange_name = exchange_name
        self.worker_traceparent = worker_traceparent
        self.added = False

    def add(self, session, event_type, payload, context=None):
        headers, traceparent = self.headers, None
        if context is not None:
            headers = _propagated({f"{HeaderEncoder.header_prefix}.{key}": value for key, value in context.items()})
            traceparent = context.get(TRACEPARENT_KEY)
        with nullcontext() if traceparent in (None, self.worker_traceparent) else within(traceparent):
            created = creation_traceparent(self.exchange_name, event_type, payload.get("event_id"))
        headers = {**headers, TRACEPARENT_HEADER: created} if created else headers
        session.add(self.message_model(event_type=event_type, payload=payload, headers=headers, created_at=utc_now()))
        self.added = True


def _propagated(headers):
    return {key: value for key, value in headers.items() if key in PROPAGATED_HEADERS}


class BatchNotConfirmed(Exception):
    """The broker did not confirm every message of a batch (it refused some, or the wait ran out)."""


class ConfirmingPublisher:
    """Publishes to one exchange in batches over a connection it keeps: every message of a batch is sent, then the
    broker's confirms (RabbitMQ's publisher confirms) are awaited once, not after each message.

    ``with publisher.batch() as publish: publish(payload, routing_key, headers)``; when the block ends, every
    message is confirmed, or ``BatchNotConfirmed`` (or the broker's error) is raised and ``publisher.confirmed``
    says how many of the batch, from its first, the broker took. A failure drops the connection: the next batch
    opens a new one.
    """

    def __init__(self, amqp_uri, exchange, retry=True, confirm_seconds=CONFIRM_SECONDS):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.retry = retry
        self.confirm_seconds = confirm_seconds
        self.connection = self.producer = None
        self.confirmed = 0

    def _open(self):
        """The kept connection's producer, on a channel in confirm mode; a new connection when there is none."""
        if self.producer is None:
            connection = Connection(self.amqp_uri)
            connection.ensure_connection(max_retries=3 if self.retry else 1)
            channel = connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._acknowledged)
            channel.events["basic_nack"].add(self._refused)
            self.connection, self.producer = connection, Producer(channel, exchange=self.exchange, serializer="json")
            self.producer.declare()
            self.sent = self.acknowledged = 0  # delivery tags of this channel: 1, 2, ...
            self.refused = False
        return self.producer

    def _acknowledged(self, delivery_tag, multiple):
        self.acknowledged = max(self.acknowledged, delivery_tag)  # RabbitMQ confirms in order

    def _refused(self, delivery_tag, multiple):
        self.refused = True

    def close(self):
        """Drop the connection at once, without the closing handshake (the broker may be gone)."""
        if self.connection is not None:
            with suppress(Exception):
                self.connection.collect()
        self.connection = self.producer = None

    @contextmanager
    def batch(self):
        first = None
        try:
            producer = self._open()
            first = self.sent + 1
            self.confirmed = 0

            def publish(payload, routing_key, headers):
                producer.publish(payload, routing_key=routing_key, headers=headers, delivery_mode=PERSISTENT)
                self.sent += 1

            yield publish
            deadline = time.monotonic() + self.confirm_seconds
            while self.acknowledged < self.sent and not self.refused:
                self.connection.drain_events(timeout=max(deadline - time.monotonic(), 0.001))
            self.confirmed = max(self.acknowledged - first + 1, 0)
            if self.refused:
                raise BatchNotConfirmed(f"the broker refused a message of the batch ({self.confirmed} confirmed)")
        except Exception:
            if first is not None:
                self.confirmed = max(self.acknowledged - first + 1, 0)
            self.close()
            raise


class Relay:
    """Publishes a service's unpublished outbox rows; one batch per ``publish_pending`` call. SQLAlchemy Core on
    ``engine``: no ORM session, whose flush would cost more than the statements."""

    def __init__(self, engine, message_model, publisher, lock_key):
        self.engine = engine
        self.table = message_model.__table__
        self.publisher = publisher
        self.lock_key = lock_key

    def publish_pending(self):
        """Publish up to a batch; the number published, or None when another relay holds the lock."""
        table = self.table
        with self.engine.begin() as connection:
            if not connection.scalar(select(func.pg_try_advisory_xact_lock(self.lock_key))):
                return None
            rows = connection.execute(
                select(table.c.id, table.c.event_type, table.c.payload, table.c.headers)
                .where(table.c.published_at.is_(None))
                .order_by(table.c.id)
                .limit(BATCH_SIZE)
            ).all()
            try:
                if rows:
                    with self.publisher.batch() as publish:
                        for row in rows:
                            with send_span(self.publisher.exchange.name, row.event_type, row.headers):
                                publish(row.payload, row.event_type, row.headers)
            finally:
                published = [row.id for row in rows[: self.publisher.confirmed]] if rows else []
                if published:
                    connection.execute(update(table).where(table.c.id.in_(published)).values(published_at=utc_now()))
            return len(published)

    def purge_published(self, older_than):
        """Forget rows published before ``older_than`` ago; they only served the relay."""
        with self.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.published_at < utc_now() - older_than))

    def unpublished_count(self):
        return self.backlog()[0]

    def backlog(self):
        """How many rows wait to be published, and how many seconds the oldest has waited (0 with none)."""
        table = self.table
        with self.engine.connect() as connection:
            count, oldest = connection.execute(
                select(func.count(), func.min(table.c.created_at)).where(table.c.published_at.is_(None))
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
        self.publisher = ConfirmingPublisher(config["AMQP_URI"], self.exchange)
        self.relay = Relay(
            self.engine,
            self.message_model,
            self.publisher,
            lock_key=zlib.crc32(f"outbox:{service_name}".encode()),
        )
        self.wakeups = LightQueue(maxsize=1)
        self.writers = {}
        self.relay_thread = None

    def start(self):
        self.relay_thread = self.container.spawn_managed_thread(self._run_relay, identifier="outbox relay")
        super().start()

    def stop(self):
        super().stop()
        if self.relay_thread is not None:  # first: the relay alone reads from its connection
            self.relay_thread.kill()  # what it had not marked published waits for the next relay
        self.publisher.close()
        self.engine.dispose()

    def figures(self):
        count, oldest_age = self.relay.backlog()
        service = (self.container.service_name,)
        return {
            "shop_outbox_unpublished_events": {service: count},
            "shop_outbox_oldest_unpublished_age_seconds": {service: oldest_age},
        }

    def get_dependency(self, worker_ctx):
        writer = OutboxWriter(
            self.message_model,
            _propagated(self.get_message_headers(worker_ctx)),
            self.exchange.name,
            worker_ctx.data.get(TRACEPARENT_KEY),
        )
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
