"""Every reach into a library's private names, in one place.

The shop relies on a few things nameko and eventlet do not publish.
Each is one function here, named for what it does; ``tests/unit/test_internals.py`` pins each behaviour for the
versions ``setup.cfg`` allows, and the source of every nameko method the shop re-does in a subclass
(``COPIED_METHODS``), so an upgrade of either is this module and that test. Nothing else in the shop uses a
private name of a library. (A marshmallow field's ``_deserialize`` is how marshmallow documents writing a field:
not a private reach.)
"""

from logging import getLogger

_log = getLogger(__name__)

# nameko methods a subclass of the shop re-does rather than extends, with the sha256 of their source as nameko
# 2.14 has it: when one changes, the shop's version must be read against it again.
COPIED_METHODS = {
    "nameko.web.server.WsgiApp.__call__":  # gateway.http.JsonWsgiApp: JSON errors, OPTIONS
    "2909d54e61f1f9a0",
    "nameko.rpc.RpcConsumer.handle_result":  # messaging.entrypoints.ResilientRpcConsumer: replies of its own
    "25b95fd9dfce82c2",
    "nameko.rpc.ReplyListener.handle_message":  # messaging.rpc_proxy.SettlingReplyListener: a reply survives a lost ack
    "c10e21f1b3ea8be0",
}


# -- nameko's QueueConsumer: one consumer per entrypoint on one connection ---------------------------------------


def consumers_ready(queue_consumer):
    """Whether the queue consumer has set up its consumers since it started (``_consumers_ready``, an event)."""
    return queue_consumer._consumers_ready.ready()


def consumers_by_provider(queue_consumer):
    """``{entrypoint provider: kombu consumer}`` of the queue consumer, as its last ``get_consumers`` made them: the
    queue consumer's own dictionary, which a ``get_consumers`` of its own fills."""
    return queue_consumer._consumers


def registered_providers(queue_consumer):
    """The entrypoint providers registered with the queue consumer now (``ProviderCollector._providers``)."""
    return set(queue_consumer._providers)


# -- nameko's ReplyListener: the replies callers wait for --------------------------------------------------------


def take_reply_waiter(reply_listener, correlation_id):
    """The event the caller of ``correlation_id`` waits on, no longer listed (``_reply_events``); None if none."""
    return reply_listener._reply_events.pop(correlation_id, None)


# -- nameko's WebServer: its listening socket --------------------------------------------------------------------


def is_accepting(web_server):
    return web_server._is_accepting


def close_listening_socket(web_server, take):
    """Stop the server's accept loop, hand each connection the kernel has already queued on its listening socket to
    ``take(socket, address)`` (those closing would reset; with no switch to another green thread in between), then
    close the socket. Uses the accept loop's thread (``_gt``), the socket (``_sock``) and the WSGI server
    (``_serv``, for its socket timeout)."""
    from eventlet.greenio import GreenSocket
    from eventlet.hubs import notify_opened

    web_server._is_accepting = False
    web_server._gt.kill()
    try:
        while True:
            try:
                connection, address = web_server._sock.fd.accept()  # the listening socket does not block
            except BlockingIOError:
                return
            except OSError as error:  # no descriptor left for it, say: the rest are refused with the socket
                _log.warning("stopping: a queued connection could not be taken: %s", error)
                return
            notify_opened(connection.fileno())
            connection = GreenSocket(connection)
            connection.settimeout(web_server._serv.socket_timeout)
            take(connection, address)
    finally:
        web_server._sock.close()
