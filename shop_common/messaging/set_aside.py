"""Where a service puts the messages it cannot handle now: retries after a backoff, and dead letters.

Each service has an exchange of its own, ``<service>.redelivery`` (direct),
that routes only to its own queues:

- ``<queue>.backoff``: a failed event waits there ``expiration`` seconds, then
  the broker dead-letters it through the same exchange back to ``<queue>``;
- ``<service>.dead-letters``: messages given up on, with the reason, for an
  operator (``dead_letters``);
- every event handler's queue, bound by its own name, so a replayed dead
  letter can only reach a queue of the same service.

Nothing goes through the default exchange, so a service's broker account
needs no right to publish into other services' queues.

Messages are forwarded as they came: the raw body, its content type and
encoding, so a body that cannot be decoded is kept just the same.

The queues are of the type ``QUEUE_TYPE`` says (``queues``): a quorum
``.backoff`` queue dead-letters expired messages just as a classic one
(per-message TTL on quorum queues: RabbitMQ 3.10 on).
"""

from kombu import Connection, Exchange, Queue, binding
from nameko.amqp.publish import Publisher

from shop_common.vocabulary.clock import utc_now

ATTEMPT_HEADER = "x-shop-attempt"
EVENT_TYPE_HEADER = "x-shop-event-type"
ORIGINAL_QUEUE_HEADER = "x-shop-original-queue"
ERROR_HEADER = "x-shop-error"
DEAD_AT_HEADER = "x-shop-dead-at"
SET_ASIDE_HEADERS = (ATTEMPT_HEADER, DEAD_AT_HEADER, ERROR_HEADER, EVENT_TYPE_HEADER, ORIGINAL_QUEUE_HEADER, "x-death")

MAX_REASON_CHARS = 1000


def redelivery_exchange(service_name):
    return Exchange(f"{service_name}.redelivery", type="direct", durable=True)


def dead_letter_queue(service_name, queue_arguments=None):
    """``<service>.dead-letters``; ``queue_arguments`` as ``queues.queue_arguments`` gives them."""
    name = f"{service_name}.dead-letters"
    return Queue(
        name,
        exchange=redelivery_exchange(service_name),
        routing_key=name,
        durable=True,
        queue_arguments=dict(queue_arguments or {}),
    )


def backoff_queue(service_name, queue_name, queue_arguments=None):
    """``<queue>.backoff``, dead-lettering what expires there back to ``queue_name``."""
    exchange = redelivery_exchange(service_name)
    name = f"{queue_name}.backoff"
    return Queue(
        name,
        exchange=exchange,
        routing_key=name,
        durable=True,
        queue_arguments={
            **(queue_arguments or {}),
            "x-dead-letter-exchange": exchange.name,
            "x-dead-letter-routing-key": queue_name,
        },
    )


def replay_binding(service_name, queue_name):
    """The binding that lets ``queue_name`` receive its replayed dead letters."""
    return binding(redelivery_exchange(service_name), routing_key=queue_name)


class SetAside:
    """Publishes a service's set-aside messages, each confirmed by the broker before it returns."""

    def __init__(self, amqp_uri, service_name, queue_arguments=None):
        self.exchange = redelivery_exchange(service_name)
        self.dead_letter_queue = dead_letter_queue(service_name, queue_arguments)
        self.publisher = Publisher(amqp_uri, use_confirms=True, declare=[self.exchange, self.dead_letter_queue])

    def declare(self, *queues):
        """Declare the exchange, the dead letters and ``queues`` now, so nothing routed there is dropped."""
        with Connection(self.publisher.amqp_uri) as connection:
            channel = connection.default_channel
            for entity in (self.exchange, self.dead_letter_queue, *queues):
                entity(channel).declare()

    def forward(self, message, routing_key, headers, **options):
        """Publish ``message``'s raw body to ``routing_key`` on the service's exchange."""
        self.publisher.publish(
            message.body,
            exchange=self.exchange,
            routing_key=routing_key,
            headers=headers,
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
            **options,
        )

    def dead_letter(self, message, queue_name, reason, event_type=None, attempts=None):
        headers = {
            **headers_of(message),
            ORIGINAL_QUEUE_HEADER: queue_name,
            ERROR_HEADER: str(reason)[:MAX_REASON_CHARS],
            DEAD_AT_HEADER: utc_now().isoformat(),
        }
        if event_type is not None:
            headers[EVENT_TYPE_HEADER] = event_type
        if attempts is not None:
            headers[ATTEMPT_HEADER] = attempts
        self.forward(message, self.dead_letter_queue.name, headers)


def headers_of(message):
    """A message's headers; {} when a peer sent none, or something that is not a table."""
    return message.headers if isinstance(message.headers, dict) else {}
