"""Event handlers that check what they receive, retry with backoff, and set aside what they cannot handle.

Nameko's own ``event_handler`` acknowledges a message whatever its handler
did, so an event whose handler failed is gone. This one:

- checks every message before a worker sees it: context headers
  (``trusted_context``), size (``MAX_EVENT_BYTES``) and payload (the
  handler's ``payload`` schema, the bare envelope by default). A message that
  cannot be decoded or fails the checks goes straight to the dead letters
  with the reason: retrying would not mend it;
- on a handler's failure, sends the message to ``<queue>.backoff``, where it
  waits ``backoff(attempt)`` seconds, then comes back to the handler's queue;
  after ``MAX_ATTEMPTS`` (counted in the ``x-shop-attempt`` header; one that
  is not a whole number from 1 on counts as the last) it goes to
  ``<service>.dead-letters`` with the error, for an operator to inspect and
  replay (``dead_letters``).

Only once the copy is confirmed by the broker is the original acknowledged;
if that publish fails, the original goes back to its queue after a pause.

Configured by ``EVENT_RETRY`` in config.yaml (``MAX_ATTEMPTS``,
``BACKOFF_SECONDS``, ``MAX_BACKOFF_SECONDS``); the queues' type by
``QUEUE_TYPE`` (``queues``).
"""

from functools import partial
from logging import getLogger

import eventlet
from kombu import Queue, binding
from nameko.events import EventHandler

from shop_common.messaging.entrypoints import GuardedQueueConsumer, set_aside_undecodable, settle
from shop_common.messaging.queues import queue_arguments
from shop_common.messaging.request_context import TrustedContextDecoder
from shop_common.messaging.set_aside import ATTEMPT_HEADER, SetAside, backoff_queue, headers_of, replay_binding
from shop_common.vocabulary.events import EventEnvelope, payload_problems

_log = getLogger(__name__)

MAX_EVENT_BYTES = 256 * 1024  # far above any event the shop publishes
REQUEUE_PAUSE_SECONDS = 1.0  # when a message cannot be set aside (broker trouble), wait before requeueing


def backoff_seconds(attempt, base, ceiling):
    """Wait before attempt ``attempt + 1``: base, 2 x base, 4 x base, ... at most ``ceiling``."""
    return min(base * 2 ** (attempt - 1), ceiling)


def attempt_of(headers):
    """Which attempt this delivery is: 1 without the header; None when the header is not a whole number >= 1."""
    attempt = headers.get(ATTEMPT_HEADER, 1)
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        return None
    return attempt


class InvalidEvent(Exception):
    """A message that no attempt could handle: undecodable, too large, or not the event's shape."""


class ReliableEventHandler(TrustedContextDecoder, EventHandler):
    queue_consumer = GuardedQueueConsumer()

    def __init__(self, source_service, event_type, payload=EventEnvelope, **kwargs):
        super().__init__(source_service, event_type, **kwargs)
        self.payload_schema = payload() if isinstance(payload, type) else payload

    def setup(self):
        super().setup()
        config = self.container.config
        service_name = self.container.service_name
        settings = config["EVENT_RETRY"]
        self.max_attempts = int(settings["MAX_ATTEMPTS"])
        self.backoff = float(settings["BACKOFF_SECONDS"])
        self.max_backoff = float(settings["MAX_BACKOFF_SECONDS"])
        arguments = queue_arguments(config)
        events = self.queue
        self.queue = Queue(
            events.name,
            durable=True,
            queue_arguments=arguments,
            bindings=[
                binding(events.exchange, routing_key=events.routing_key),
                replay_binding(service_name, events.name),
            ],
        )
        self.backoff_queue = backoff_queue(service_name, events.name, arguments)
        self.set_aside = SetAside(config["AMQP_URI"], service_name, arguments)

    def start(self):
        self.set_aside.declare(self.backoff_queue)
        super().start()

    def handle_message(self, body, message):
        if not self.set_aside_if_invalid(body, message):
            super().handle_message(body, message)

    def set_aside_if_invalid(self, body, message):
        """Dead-letter ``message`` (in a thread of its own) when no attempt could handle it; whether it was."""
        problem = self._problem_with(body, message)
        if problem is not None:
            self.container.spawn_managed_thread(
                partial(self._give_up, message, InvalidEvent(problem), 1), identifier=f"{self.event_type}.invalid"
            )
        return problem is not None

    def _problem_with(self, body, message):
        if len(message.body or b"") > MAX_EVENT_BYTES:
            return f"the message is over {MAX_EVENT_BYTES} bytes"
        problems = payload_problems(self.payload_schema, body)
        return problems and f"invalid {self.event_type} payload: {problems}"

    def undecodable(self, message, error):
        set_aside_undecodable(self.set_aside, self.queue.name, message, error)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            settle(message)
            return
        attempt = attempt_of(headers_of(message))
        if attempt is not None and attempt < self.max_attempts:
            self._settle_after(message, partial(self._retry, message, exc_info[1], attempt))
        else:
            self._give_up(message, exc_info[1], attempt)

    def _retry(self, message, error, attempt):
        delay = backoff_seconds(attempt, self.backoff, self.max_backoff)
        _log.warning(
            "%s handler failed (attempt %s of %s), retrying in %.2fs: %r",
            self.event_type,
            attempt,
            self.max_attempts,
            delay,
            error,
        )
        self.set_aside.forward(
            message, self.backoff_queue.name, {**headers_of(message), ATTEMPT_HEADER: attempt + 1}, expiration=delay
        )

    def _give_up(self, message, error, attempt):
        if attempt is None:
            error = InvalidEvent(f"the {ATTEMPT_HEADER} header is not a whole number from 1 on; last error: {error!r}")
        _log.error("%s event dead-lettered after %s attempt(s): %r", self.event_type, attempt or "?", error)
        self._settle_after(
            message,
            partial(self.set_aside.dead_letter, message, self.queue.name, repr(error), self.event_type, attempt),
        )

    def _settle_after(self, message, set_aside):
        """Acknowledge ``message`` once ``set_aside()`` succeeded; otherwise requeue it after a pause."""
        try:
            set_aside()
        except Exception:
            _log.exception("could not set aside a %s event; it goes back to its queue", self.event_type)
            eventlet.sleep(REQUEUE_PAUSE_SECONDS)
            settle(message, requeue=True)
        else:
            settle(message)
