"""Event handlers that retry with backoff, then set a message aside instead of losing it.

Nameko's own ``event_handler`` acknowledges a message whatever its handler
did, so an event whose handler failed is gone. This one, on failure,
publishes the message to ``<queue>.retry``, where it waits ``backoff(attempt)``
seconds (a per-message TTL) and then dead-letters straight back to the
handler's queue; after ``MAX_ATTEMPTS`` it goes to ``<service>.dead-letters``
with the error, for an operator to inspect and replay (``dead_letters``).
Only once the copy is confirmed by the broker is the original acknowledged;
if that publish fails, the original goes back to its queue.

Configured by ``EVENT_RETRY`` (``MAX_ATTEMPTS``, ``BACKOFF_SECONDS``,
``MAX_BACKOFF_SECONDS``).
"""

from logging import getLogger

from kombu import Queue
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler

from shop_common.clock import utc_now
from shop_common.entrypoints import settle

_log = getLogger(__name__)

ATTEMPT_HEADER = "x-shop-attempt"
EVENT_TYPE_HEADER = "x-shop-event-type"
ORIGINAL_QUEUE_HEADER = "x-shop-original-queue"
ERROR_HEADER = "x-shop-error"
DEAD_AT_HEADER = "x-shop-dead-at"

DEFAULTS = {"MAX_ATTEMPTS": 8, "BACKOFF_SECONDS": 0.25, "MAX_BACKOFF_SECONDS": 30.0}


def backoff_seconds(attempt, base, ceiling):
    """Wait before attempt ``attempt + 1``: base, 2 x base, 4 x base, ... at most ``ceiling``."""
    return min(base * 2 ** (attempt - 1), ceiling)


def dead_letter_queue(service_name):
    return Queue(f"{service_name}.dead-letters", durable=True)


def retry_queue(queue_name):
    return Queue(
        f"{queue_name}.retry", durable=True,
        queue_arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue_name},
    )


class ReliableEventHandler(EventHandler):
    def setup(self):
        super().setup()
        settings = {**DEFAULTS, **self.container.config.get("EVENT_RETRY", {})}
        self.max_attempts = int(settings["MAX_ATTEMPTS"])
        self.backoff = float(settings["BACKOFF_SECONDS"])
        self.max_backoff = float(settings["MAX_BACKOFF_SECONDS"])
        self.retry_queue = retry_queue(self.queue.name)
        self.dead_letter_queue = dead_letter_queue(self.container.service_name)
        self.publisher = Publisher(
            self.container.config["AMQP_URI"], use_confirms=True,
            declare=[self.retry_queue, self.dead_letter_queue],
        )

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            settle(message)
            return
        try:
            self._set_aside(message, exc_info[1])
        except Exception:
            _log.exception("could not set aside a failed %s event; it goes back to its queue", self.event_type)
            settle(message, requeue=True)
        else:
            settle(message)

    def _set_aside(self, message, error):
        attempt = int(message.headers.get(ATTEMPT_HEADER, 1))
        headers = {**message.headers, ATTEMPT_HEADER: attempt + 1}
        if attempt < self.max_attempts:
            delay = backoff_seconds(attempt, self.backoff, self.max_backoff)
            _log.warning("%s handler failed (attempt %s of %s), retrying in %.2fs: %r",
                         self.event_type, attempt, self.max_attempts, delay, error)
            self.publisher.publish(message.payload, exchange="", routing_key=self.retry_queue.name,
                                   headers=headers, expiration=delay)
        else:
            _log.error("%s handler failed %s times, dead-lettered: %r", self.event_type, attempt, error)
            headers.update({ORIGINAL_QUEUE_HEADER: self.queue.name, EVENT_TYPE_HEADER: self.event_type,
                            ERROR_HEADER: repr(error)[:1000],
                            DEAD_AT_HEADER: utc_now().isoformat(), ATTEMPT_HEADER: attempt})
            self.publisher.publish(message.payload, exchange="", routing_key=self.dead_letter_queue.name,
                                   headers=headers)


event_handler = ReliableEventHandler.decorator
