"""RPC replies, sent over a connection the service keeps and without waiting for the broker's confirm.

Nameko sends each reply through a publisher of its own (a producer from its pool, a connection check) and waits
for RabbitMQ's confirm of it. A reply lost on its way is the caller's timeout, which a caller retries safely (an
order's ``order_id``, a request's ``Idempotency-Key``); so the shop's replies go out on one channel the service
keeps, one after the other, and do not wait.

A channel without confirms does not notice that the broker closed it: the replies after it would be lost
unseen. So before each reply the channel reads what the broker sent it (without waiting), and one the broker
closed, or a connection that dropped, is opened again. What would make the broker close it, a reply to a routing
key the service's broker account may not publish to, is not sent at all: a request whose ``reply_to`` is not a
reply queue's key (``REPLY_KEY``, the only key the accounts may reply to, ``broker_accounts``) gets no reply.
"""

import re
from contextlib import suppress
from logging import getLogger

from eventlet.semaphore import Semaphore
from kombu import Connection, Producer
from kombu.serialization import dumps, registry
from nameko.exceptions import UnserializableValueError, serialize

_log = getLogger(__name__)

REPLY_KEY = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # a reply queue's uuid (nameko's)
_REPLY_KEY = re.compile(REPLY_KEY)


class NoReplyAddress(ValueError):
    """The request names no reply queue the service may answer to."""


def reply_body(result, exc_info, content_type):
    """``(content type, encoding, body)`` of the reply, serialised as the request was; a result that cannot be
    serialised is answered with nameko's ``UnserializableValueError``, as nameko answers it."""
    serializer = registry.type_to_name[content_type]
    error = None if exc_info is None else serialize(exc_info[1])
    try:
        return dumps({"result": result, "error": error}, serializer)
    except Exception:
        return dumps({"result": None, "error": serialize(UnserializableValueError(result))}, serializer)


class ReplyPublisher:
    """Publishes replies to ``exchange`` over one kept connection, one reply at a time."""

    def __init__(self, amqp_uri, exchange):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.connection = self.producer = None
        self.lock = Semaphore()

    def reply(self, request, result, exc_info):
        """Answer ``request`` (a kombu message) with ``result`` or the error of ``exc_info``."""
        reply_to = request.properties.get("reply_to")
        if not isinstance(reply_to, str) or not _REPLY_KEY.fullmatch(reply_to):
            raise NoReplyAddress(f"no reply queue to answer: reply_to={reply_to!r:.80}")
        content_type, encoding, body = reply_body(result, exc_info, request.properties["content_type"])
        with self.lock:
            try:
                self._producer().publish(
                    body,
                    routing_key=reply_to,
                    correlation_id=request.properties.get("correlation_id"),
                    content_type=content_type,
                    content_encoding=encoding,
                )
            except Exception:
                self.close()
                raise

    def _producer(self):
        """The kept channel's producer, once what the broker sent it has been read: a new one if it was closed."""
        if self.producer is not None:
            try:
                self.connection.drain_events(timeout=0)
            except TimeoutError:
                pass  # nothing came: the usual case
            except Exception as error:
                _log.warning("the reply channel was closed (%r); opening another", error)
                self.close()
        if self.producer is None:
            connection = Connection(self.amqp_uri)
            connection.ensure_connection(max_retries=3)
            self.connection, self.producer = connection, Producer(connection.channel(), exchange=self.exchange)
        return self.producer

    def close(self):
        """Drop the connection at once, without the closing handshake (the broker may be gone)."""
        if self.connection is not None:
            with suppress(Exception):
                self.connection.collect()
        self.connection = self.producer = None
