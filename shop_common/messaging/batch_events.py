"""Event handlers that apply the events waiting in their queue together: one worker, one transaction for many.

``@event_handler(source, event_type, payload=..., inbox=..., batch=True)`` declares one (``handlers``); its
method takes ``batch``, a ``Batch`` (a list of payloads in the order they came), and applies them with
set-based statements and one commit (``DomainService.commit_batch``). Each event keeps what a one-at-a-time handler
gives it: its payload checked before any worker sees it (an invalid one is dead-lettered alone), its effect
applied once (``inbox``: the event ids of the whole batch recorded in one statement), its own retries and its
own dead letter.

How a batch is gathered and settled:

- the service's batch handlers share a connection of their own (``BatchQueueConsumer``), each handler on a
  channel of its own with a prefetch of twice ``EVENT_BATCH.MAX_EVENTS``, so the next batch gathers while one is
  applied, and no other consumer's messages share its delivery tags;
- a handler applies one batch at a time per instance: the events that arrived while the last one was applied,
  up to ``MAX_EVENTS``; when fewer wait, it waits ``WAIT_SECONDS`` for more first;
- the batch's worker acknowledges its messages after its commit, in the worker's own thread, as nameko's own
  handlers do: a stopping service finishes the batch it applies, and hands the gathered events that no worker
  has taken back to their queue;
- when the batch fails, its transaction is rolled back and the same worker applies its events one at a time
  (``one_at_a_time``), each in its own transaction: a poison event fails alone, goes to its ``.backoff`` queue
  or its dead letter as a one-at-a-time handler's would, and the others are applied.

What a batch publishes carries the context of the event that caused it (``Batch.contexts``, which
``commit_batch`` passes on): its request id, its caller, its trace. The worker's span (``process <exchange>``)
links to every event of the batch.
"""

from collections import deque
from functools import partial, wraps
from logging import getLogger

import eventlet
from eventlet.event import Event
from kombu import Consumer
from nameko.exceptions import ContainerBeingKilled

from shop_common import internals
from shop_common.messaging.entrypoints import GuardedQueueConsumer, settle
from shop_common.messaging.reliable_events import ReliableEventHandler
from shop_common.persistence.models import first_deliveries

_log = getLogger(__name__)


class Batch(list):
    """The events a batch worker applies, in the order they came, and the context each came with."""

    def __init__(self, deliveries):
        """``deliveries``: ``(payload, context)`` pairs (the context as ``trusted_context`` kept it)."""
        super().__init__(payload for payload, _ in deliveries)
        self.contexts = [context for _, context in deliveries]

    @staticmethod
    def of(worker_ctx):
        """The batch a worker applies; None for any other worker."""
        return next((arg for arg in worker_ctx.args if isinstance(arg, Batch)), None)

    def deliveries(self):
        """``(payload, context)`` of each event, in order."""
        return zip(self, self.contexts, strict=True)

    def first_of_each(self, event_ids):
        """The batch's events whose ids are among ``event_ids``, the first of each id alone, in order."""
        wanted, kept = set(event_ids), []
        for event, context in self.deliveries():
            if event["event_id"] in wanted:
                wanted.discard(event["event_id"])
                kept.append((event, context))
        return Batch(kept)


class BatchQueueConsumer(GuardedQueueConsumer):
    """The service's batch handlers' consumer: a connection of its own (nameko shares one extension per class), a
    channel for each handler with the handler's prefetch, and each message handed to its handler at once, in the
    consumer's thread (the handler only gathers it)."""

    def get_consumers(self, consumer_cls, channel):
        consumers = internals.consumers_by_provider(self)
        for provider in internals.registered_providers(self):
            consumer = Consumer(
                channel.connection.channel(),
                queues=[provider.queue],
                callbacks=[provider.handle_message],
                accept=self.accept,
                on_decode_error=partial(self.undecodable, provider),
            )
            consumer.qos(prefetch_count=provider.prefetch_count)
            consumers[provider] = consumer
        return consumers.values()


class BatchEventHandler(ReliableEventHandler):
    queue_consumer = BatchQueueConsumer()

    def setup(self):
        super().setup()
        settings = self.container.config["EVENT_BATCH"]
        self.max_events = int(settings["MAX_EVENTS"])
        self.wait_seconds = float(settings["WAIT_SECONDS"])
        self.prefetch_count = 2 * self.max_events
        self.gathered = deque()  # (payload, message) that no worker has taken yet
        self.applier = None

    def handle_message(self, body, message):
        if self.set_aside_if_invalid(body, message):
            return
        self.gathered.append((body, message))
        if self.applier is None:  # no green-thread switch between this test and the applier's own
            self.applier = self.container.spawn_managed_thread(
                self._apply_gathered, identifier=f"{self.event_type} batches"
            )

    def stop(self):
        super().stop()  # the consumer is cancelled: nothing more is gathered
        if self.gathered:
            _log.info("handing back %d %s event(s) that no batch had taken", len(self.gathered), self.event_type)
        while self.gathered:
            settle(self.gathered.popleft()[1], requeue=True)

    def _apply_gathered(self):
        try:
            while self.gathered:
                if len(self.gathered) < self.max_events and self.wait_seconds:
                    eventlet.sleep(self.wait_seconds)
                taken = [self.gathered.popleft() for _ in range(min(len(self.gathered), self.max_events))]
                if taken:
                    self._apply(taken)
        finally:
            self.applier = None

    def _apply(self, taken):
        messages = [message for _, message in taken]
        contexts = [self.unpack_message_headers(message) for message in messages]
        done = Event()
        try:
            self.container.spawn_worker(
                self,
                (Batch([(body, context) for (body, _), context in zip(taken, contexts, strict=True)]),),
                {},
                context_data=contexts[0],
                handle_result=partial(self._settle_batch, messages, done),
            )
        except ContainerBeingKilled:
            for message in messages:
                settle(message, requeue=True)
            return
        done.wait()

    def _settle_batch(self, messages, done, worker_ctx, result, exc_info):
        """Settle each message by its event's outcome: the worker's result, one error (or None) per event."""
        try:
            errors = result if exc_info is None else [exc_info[1]] * len(messages)
            for message, error in zip(messages, errors, strict=True):
                self.handle_message_processed(message, exc_info=None if error is None else _exc_info(error))
        finally:
            done.send()
        return result, exc_info


def _exc_info(error):
    return type(error), error, error.__traceback__


def in_batches(method, inbox=None):
    """The method a ``BatchEventHandler`` runs: ``method(self, batch)`` applied to the batch's events not handled
    before (``inbox``), and, when that fails, to each event alone. Returns one error (or None) per event."""

    @wraps(method)
    def apply(self, batch):
        try:
            _apply_once(self, method, inbox, batch)
            return [None] * len(batch)
        except Exception as error:
            if len(batch) == 1:
                return [error]
            _log.warning("a batch of %d events failed (%r); applying them one at a time", len(batch), error)
        return [_one_at_a_time(self, method, inbox, Batch([delivery])) for delivery in batch.deliveries()]

    return apply


def _apply_once(service, method, inbox, batch):
    events = batch if inbox is None else batch.first_of_each(first_deliveries(service.db, inbox, _ids(batch)))
    if events:
        method(service, events)


def _ids(batch):
    return [event["event_id"] for event in batch]


def _one_at_a_time(service, method, inbox, batch):
    service.db.rollback()
    try:
        _apply_once(service, method, inbox, batch)
    except Exception as error:
        return error
    return None
