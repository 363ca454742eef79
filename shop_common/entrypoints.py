"""Entrypoints as the services declare them.

``rpc`` differs from nameko's in two ways:

- a ``ShopError`` is the caller's mistake (bad input, unknown id, conflict):
  nameko logs it as expected, at warning level, rather than as a failure;
- a reply that cannot be sent (the broker went away) is logged and dropped:
  the caller times out and says so, and the service lives on. Nameko's own
  consumer lets that error kill the whole service.

Every RPC entrypoint of a service must be of one kind: they share the
service's ``rpc-<service>`` queue through one consumer.
"""

from logging import getLogger

from nameko.rpc import Rpc, RpcConsumer

from shop_common.errors import ShopError

_log = getLogger(__name__)


def settle(message, requeue=False):
    """Acknowledge (or requeue) ``message``; when its connection is gone, the broker has it back anyway."""
    try:
        message.requeue() if requeue else message.ack()
    except Exception as error:
        _log.warning("could not %s a message, the broker will redeliver it: %r",
                     "requeue" if requeue else "acknowledge", error)


class ResilientRpcConsumer(RpcConsumer):
    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except Exception as error:
            _log.warning("could not send an RPC reply, the caller will time out: %r", error)
            settle(message)
            return result, exc_info


class ResilientRpc(Rpc):
    rpc_consumer = ResilientRpcConsumer()


rpc = ResilientRpc.decorator(expected_exceptions=(ShopError,))
