"""Entrypoints as the services declare them, and the consumer that feeds them.

``rpc`` differs from nameko's in three ways:

- a ``ShopError`` is the caller's mistake (bad input, unknown id, conflict):
  nameko logs it as expected, at warning level, rather than as a failure;
- a reply goes out on a channel the service keeps and does not wait for the
  broker's confirm (``replies``); one that cannot be sent (the broker went
  away) is logged and dropped: the caller times out and says so, and the
  service lives on. Nameko's own consumer lets that error kill the whole
  service;
- a request is untrusted input: only well-formed context headers reach the
  worker (``trusted_context``), and a body that cannot be decoded goes to the
  service's dead letters with the reason.

A service declares each RPC method as a ``query`` (it only reads) or a
``command`` (it writes): the decorator carries the policy for a lost database
connection. Every RPC entrypoint of a service must be of this one kind: they
share the service's ``rpc-<service>`` queue through one consumer.
"""

from functools import partial
from logging import getLogger

from eventlet import getcurrent
from kombu import Queue
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import QueueConsumer
from nameko.rpc import Rpc, RpcConsumer, get_rpc_exchange

from shop_common import internals
from shop_common.messaging.queues import queue_arguments
from shop_common.messaging.replies import ReplyPublisher
from shop_common.messaging.request_context import TrustedContextDecoder
from shop_common.messaging.set_aside import SetAside
from shop_common.persistence.database import on_lost_connection
from shop_common.vocabulary.errors import ShopError

_log = getLogger(__name__)


def settle(message, requeue=False):
    """Acknowledge (or requeue) ``message``; when its connection is gone, the broker has it back anyway."""
    try:
        message.requeue() if requeue else message.ack()
    except Exception as error:
        _log.warning(
            "could not %s a message, the broker will redeliver it: %r", "requeue" if requeue else "acknowledge", error
        )


class GuardedQueueConsumer(QueueConsumer):
    """nameko's ``QueueConsumer``, except in two ways.

    A message it cannot decode is handed to its provider: kombu's consumer
    raises on a body it cannot decode (not JSON, a content type the service
    does not accept); each provider here has an ``undecodable(message,
    error)`` that sets the message aside instead.

    A stopping service hands back the messages still waiting for a free
    worker: the broker delivers up to ``max_workers`` messages to each
    consumer, so a service busy with events may hold RPC requests it has not
    started. Once a provider's consumer is cancelled, each of its messages
    that has no worker yet goes back to its queue at once (the provider's own
    answer to ``ContainerBeingKilled``), for another instance to take, rather
    than waiting on this one's last workers.

    ``attached`` says whether its consumers hold a connection to the broker
    now (the service's readiness).
    """

    attached = False

    def __init__(self):
        super().__init__()
        self._awaiting_worker = {}  # provider -> threads whose message waits for a free worker

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self.attached = True
        super().on_consume_ready(connection, channel, consumers, **kwargs)

    def on_connection_error(self, exc, interval):
        self.attached = False
        super().on_connection_error(exc, interval)

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in internals.consumers_by_provider(self).items():
            consumer.on_decode_error = partial(self.undecodable, provider)
        return consumers

    def handle_message(self, provider, body, message):
        self.container.spawn_managed_thread(
            partial(self._hand_to_worker, provider, body, message),
            identifier=f"{type(provider).__name__}.handle_message[{message.delivery_info['routing_key']}]",
        )

    def _hand_to_worker(self, provider, body, message):
        # No green-thread switch between the worker's start and the return: a listed thread has none yet.
        waiting = self._awaiting_worker.setdefault(provider, set())
        waiting.add(getcurrent())
        try:
            provider.handle_message(body, message)
        finally:
            waiting.discard(getcurrent())

    def unregister_provider(self, provider):
        super().unregister_provider(provider)  # its consumer is cancelled: nothing more arrives
        waiting = self._awaiting_worker.pop(provider, set())
        if waiting:
            _log.info("handing back %d message(s) that had no worker yet", len(waiting))
        for thread in list(waiting):
            thread.kill(ContainerBeingKilled())

    def undecodable(self, provider, message, error):
        self.container.spawn_managed_thread(
            partial(provider.undecodable, message, error), identifier=f"{type(provider).__name__}.undecodable"
        )


def set_aside_undecodable(set_aside, queue_name, message, error):
    """Dead-letter a message that cannot be decoded, then acknowledge it; requeue it if that fails."""
    _log.error("a message on %s cannot be decoded, dead-lettered: %s", queue_name, error)
    try:
        set_aside.dead_letter(message, queue_name, f"cannot decode the message: {error}")
    except Exception:
        _log.exception("could not dead-letter an undecodable message; it goes back to %s", queue_name)
        settle(message, requeue=True)
    else:
        settle(message)


class ResilientRpcConsumer(RpcConsumer):
    queue_consumer = GuardedQueueConsumer()

    def setup(self):
        super().setup()
        # ``rpc-<service>`` as nameko declares it (durable, neither exclusive nor auto-delete), of QUEUE_TYPE's type
        arguments = queue_arguments(self.container.config)
        requests = self.queue
        self.queue = Queue(
            requests.name,
            exchange=requests.exchange,
            routing_key=requests.routing_key,
            durable=True,
            queue_arguments=arguments,
        )
        config = self.container.config
        self.set_aside = SetAside(config[AMQP_URI_CONFIG_KEY], self.container.service_name, arguments)
        self.replies = ReplyPublisher(config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config))

    def start(self):
        self.set_aside.declare()
        super().start()

    def stop(self):
        super().stop()  # every worker has replied
        self.replies.close()

    def handle_result(self, message, result, exc_info):
        """nameko's ``RpcConsumer.handle_result`` (re-done: ``internals.COPIED_METHODS``): the reply, then the
        request acknowledged."""
        try:
            self.replies.reply(message, result, exc_info)
        except Exception as error:
            _log.warning("could not send an RPC reply, the caller will time out: %r", error)
        settle(message)
        return result, exc_info

    def undecodable(self, message, error):
        set_aside_undecodable(self.set_aside, self.queue.name, message, error)


class ResilientRpc(TrustedContextDecoder, Rpc):
    rpc_consumer = ResilientRpcConsumer()


def rpc(method=None, **options):
    """nameko's ``rpc`` with the differences above; ``options`` as nameko's (``sensitive_arguments``...)."""
    if method is None:
        return partial(rpc, **options)
    return ResilientRpc.decorator(expected_exceptions=(ShopError,), **options)(method)


def query(method=None, **options):
    """An RPC entrypoint that only reads: run again (twice) when the database connection is lost, then 503."""
    if method is None:
        return partial(query, **options)
    return rpc(on_lost_connection(retries=2)(method), **options)


def command(method=None, **options):
    """An RPC entrypoint that writes: never run twice; a lost database connection answers 503, nothing changed."""
    if method is None:
        return partial(command, **options)
    return rpc(on_lost_connection(retries=0)(method), **options)
