"""Dead letters: messages a service gave up on, kept for an operator.

A service that handles events mixes in ``DeadLetterAdmin`` and so offers,
over RPC (and so from ``nameko shell``)::

    n.rpc.inventory.list_dead_letters()      # what is there, and why
    n.rpc.inventory.replay_dead_letters()    # send them back to their handlers

Both work whatever lies in the queue: a body that is not JSON is shown as
text, headers of any type are shown as plain values. Replay sends a message
back to the handler queue it came from, through the service's own exchange;
one whose queue is not a handler queue of this service (an undecodable RPC
request, a message with no origin) stays in the dead letters.
"""

from kombu import Connection
from nameko.amqp.publish import UndeliverableMessage
from nameko.dependency_providers import Config
from nameko.extensions import DependencyProvider

from shop_common.messaging.entrypoints import rpc
from shop_common.messaging.queues import queue_arguments
from shop_common.messaging.set_aside import (
    ATTEMPT_HEADER,
    DEAD_AT_HEADER,
    ERROR_HEADER,
    EVENT_TYPE_HEADER,
    ORIGINAL_QUEUE_HEADER,
    SET_ASIDE_HEADERS,
    SetAside,
    dead_letter_queue,
    headers_of,
)
from shop_common.vocabulary.errors import InvalidInput

MAX_LISTED = 100
MAX_SHOWN_CHARS = 2000  # of a body that is not JSON, or of a header value


def _plain(value):
    """A header value as something JSON can carry, cut to ``MAX_SHOWN_CHARS``."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value)[:MAX_SHOWN_CHARS]


def _payload(message):
    try:
        return message.decode()
    except Exception:
        return {
            "undecodable_body": message.body[:MAX_SHOWN_CHARS].decode("utf-8", errors="replace")
            if isinstance(message.body, bytes)
            else _plain(message.body),
            "content_type": _plain(message.content_type),
        }


def _describe(message):
    headers = headers_of(message)
    return {
        "queue": _plain(headers.get(ORIGINAL_QUEUE_HEADER)),
        "event_type": _plain(headers.get(EVENT_TYPE_HEADER)),
        "payload": _payload(message),
        "error": _plain(headers.get(ERROR_HEADER)),
        "attempts": _plain(headers.get(ATTEMPT_HEADER)),
        "dead_at": _plain(headers.get(DEAD_AT_HEADER)),
    }


def _messages(connection, service_name, limit, arguments):
    """Up to ``limit`` messages from the dead letters, unacknowledged (they return unless acknowledged).

    Only those waiting when it begins: a replayed event that fails at once again comes back behind them, and
    is not taken (and replayed) a second time by the same call.
    """
    queue = dead_letter_queue(service_name, arguments)(connection.default_channel)
    queue.declare()
    waiting = queue.queue_declare(passive=True).message_count
    for _ in range(min(limit, waiting)):
        message = queue.get(no_ack=False, accept=["json"])
        if message is None:
            return
        yield message


def list_dead_letters(amqp_uri, service_name, limit=MAX_LISTED, arguments=None):
    """Up to ``limit`` dead letters, left in their queue (declared with ``arguments``: ``queues.queue_arguments``)."""
    with Connection(amqp_uri) as connection:
        return [_describe(message) for message in _messages(connection, service_name, limit, arguments)]


def replay_dead_letters(amqp_uri, service_name, limit=MAX_LISTED, arguments=None):
    """Send up to ``limit`` dead letters back to their handler's queue, attempts reset.

    Returns how many went back, and how many stayed (no handler queue of this service to go back to).
    """
    set_aside = SetAside(amqp_uri, service_name, arguments)
    replayed = kept = 0
    with Connection(amqp_uri) as connection:
        for message in _messages(connection, service_name, limit, arguments):
            headers = headers_of(message)
            queue = headers.get(ORIGINAL_QUEUE_HEADER)
            try:
                if not isinstance(queue, str):
                    raise UndeliverableMessage()
                set_aside.forward(
                    message,
                    queue,
                    {key: value for key, value in headers.items() if key not in SET_ASIDE_HEADERS},
                    mandatory=True,
                )
            except UndeliverableMessage:
                kept += 1
                continue
            message.ack()
            replayed += 1
    return {"replayed": replayed, "kept": kept}


def _limit(limit):
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidInput("invalid limit", {"limit": [f"must be a whole number from 1 to {MAX_LISTED}"]})
    return min(limit, MAX_LISTED)


class DeadLetterCount(DependencyProvider):
    """``shop_dead_letters``: how many messages wait in the service's dead letters, read when Prometheus scrapes."""

    def figures(self):
        config, service = self.container.config, self.container.service_name
        with Connection(config["AMQP_URI"], connect_timeout=2) as connection:
            _, waiting, _ = dead_letter_queue(service, queue_arguments(config))(
                connection.default_channel
            ).queue_declare(passive=True)
        return {"shop_dead_letters": {(service,): waiting}}


class DeadLetterAdmin:
    """RPC for operators: list and replay this service's dead letters (and their count, in the metrics)."""

    config = Config()
    dead_letter_count = DeadLetterCount()

    @rpc
    def list_dead_letters(self, limit=MAX_LISTED):
        return list_dead_letters(self.config["AMQP_URI"], self.name, _limit(limit), queue_arguments(self.config))

    @rpc
    def replay_dead_letters(self, limit=MAX_LISTED):
        return replay_dead_letters(self.config["AMQP_URI"], self.name, _limit(limit), queue_arguments(self.config))
