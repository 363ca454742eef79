"""Dead letters: events whose handler kept failing, kept for an operator.

A service that handles events mixes in ``DeadLetterAdmin`` and so offers,
over RPC (and so from ``nameko shell``)::

    n.rpc.inventory.list_dead_letters()      # what is there, and why
    n.rpc.inventory.replay_dead_letters()    # send them back to their handlers
"""

from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.dependency_providers import Config

from shop_common.entrypoints import rpc
from shop_common.reliable_events import (
    ATTEMPT_HEADER, DEAD_AT_HEADER, ERROR_HEADER, EVENT_TYPE_HEADER, ORIGINAL_QUEUE_HEADER, dead_letter_queue)

_DEAD_LETTER_HEADERS = (ATTEMPT_HEADER, DEAD_AT_HEADER, ERROR_HEADER, EVENT_TYPE_HEADER, ORIGINAL_QUEUE_HEADER, "x-death")

MAX_LISTED = 100


def _describe(message):
    headers = message.headers
    return {
        "queue": headers.get(ORIGINAL_QUEUE_HEADER),
        "event_type": headers.get(EVENT_TYPE_HEADER),
        "payload": message.payload,
        "error": headers.get(ERROR_HEADER),
        "attempts": headers.get(ATTEMPT_HEADER),
        "dead_at": headers.get(DEAD_AT_HEADER),
    }


def list_dead_letters(amqp_uri, service_name, limit=MAX_LISTED):
    """Up to ``limit`` dead letters, left in their queue."""
    queue = dead_letter_queue(service_name)
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        bound = queue(channel)
        bound.declare()
        listed = []
        while len(listed) < limit:
            message = bound.get(no_ack=False, accept=["json"])
            if message is None:
                break
            listed.append(_describe(message))
        channel.close()  # unacknowledged: they all stay in the queue
    return listed


def replay_dead_letters(amqp_uri, service_name, limit=MAX_LISTED):
    """Send up to ``limit`` dead letters back to their handler's queue, attempts reset."""
    queue = dead_letter_queue(service_name)
    publisher = Publisher(amqp_uri, use_confirms=True)
    replayed = 0
    with Connection(amqp_uri) as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        while replayed < limit:
            message = bound.get(no_ack=False, accept=["json"])
            if message is None:
                break
            headers = {key: value for key, value in message.headers.items() if key not in _DEAD_LETTER_HEADERS}
            publisher.publish(message.payload, exchange="", routing_key=message.headers[ORIGINAL_QUEUE_HEADER],
                              headers=headers)
            message.ack()
            replayed += 1
    return replayed


class DeadLetterAdmin:
    """RPC for operators: list and replay this service's dead letters."""

    config = Config()

    @rpc
    def list_dead_letters(self, limit=MAX_LISTED):
        return list_dead_letters(self.config["AMQP_URI"], self.name, min(int(limit), MAX_LISTED))

    @rpc
    def replay_dead_letters(self, limit=MAX_LISTED):
        return {"replayed": replay_dead_letters(self.config["AMQP_URI"], self.name, min(int(limit), MAX_LISTED))}
