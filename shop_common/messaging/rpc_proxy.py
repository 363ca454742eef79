"""RPC calls with deadlines and a circuit breaker.

Nameko 2.14's ``RpcProxy`` waits for a reply forever. This proxy gives the
request ``RPC_TIMEOUT`` seconds to get out (published, confirmed by the
broker), then the service ``RPC_TIMEOUT`` seconds to answer it, and raises
``ServiceUnavailable`` when either runs out, or at once when the service was
never started; the request expires in RabbitMQ when the service's time is up,
so it is not acted on after the caller gave up.

Only the service's own failures count against it: it is not running, it had
the request for the whole timeout without answering (an answer the caller
has received by then is used, even if the caller was too busy to hand it
over), or it answered that it cannot serve. A request the caller could not
get out in time says nothing about the service: a caller swamped by
connections (a burst of clients that hang up at once) is slow to send, and
counting that against the service opened its breaker for everyone. After
``CIRCUIT_BREAKER.FAILURES`` failures in a row the proxy stops calling that
service for ``CIRCUIT_BREAKER.RESET_SECONDS`` and answers ``ServiceUnavailable``
at once.
"""

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import ReplyListener, RpcProxy

from shop_common import internals
from shop_common.messaging.circuit_breaker import CLOSED, CircuitBreaker
from shop_common.messaging.entrypoints import settle
from shop_common.messaging.remote_errors import shop_error_from
from shop_common.messaging.traces import TracedMethodProxy, rpc_client_span
from shop_common.vocabulary.errors import ServiceUnavailable


class NotSent(ServiceUnavailable):
    """The request could not get out in time: the caller or the broker was slow, not (known to be) the service."""


def _send(method_proxy, timeout, args, kwargs):
    """The call, on its way within ``timeout``."""
    service = method_proxy.service_name
    deadline = eventlet.Timeout(timeout)
    try:
        return method_proxy.call_async(*args, **kwargs)
    except eventlet.Timeout as expired:
        if expired is not deadline:
            raise
        raise NotSent(f"the call to {service} could not be sent within {timeout}s", {"service": service}) from None
    except UnknownService:
        raise ServiceUnavailable(f"{service} is not running", {"service": service}) from None
    finally:
        deadline.cancel()


def _answer(reply, service, timeout):
    """The reply's body, if it reached the caller within ``timeout``."""
    deadline = eventlet.Timeout(timeout)
    try:
        return reply.reply_event.wait()
    except eventlet.Timeout as expired:
        if expired is not deadline:
            raise
    finally:
        deadline.cancel()
    eventlet.sleep(0)  # one turn of the event loop hands over a reply the caller has already received
    if reply.reply_event.ready():
        return reply.reply_event.wait()
    raise ServiceUnavailable(f"{service} did not answer within {timeout}s", {"service": service})


def _call(method_proxy, timeout, args, kwargs):
    """The call's result; a service's ``ShopError`` is raised as its family, not a ``RemoteError``."""
    reply = _send(method_proxy, timeout, args, kwargs)
    reply.resp_body = _answer(reply, method_proxy.service_name, timeout)
    if not isinstance(reply.resp_body, dict):
        service = method_proxy.service_name
        raise ServiceUnavailable(f"{service} sent a malformed reply", {"service": service})
    error = reply.resp_body.get("error")
    shop_error = error and shop_error_from(error)
    if shop_error:
        raise shop_error
    return reply.result()


def call_guarded(method_proxy, timeout, breaker, *args, **kwargs):
    service = method_proxy.service_name
    if not breaker.allow():
        raise ServiceUnavailable(f"{service} is failing; not called for now", {"service": service})
    try:
        result = _call(method_proxy, timeout, args, kwargs)
    except NotSent:
        breaker.record_inconclusive()
        raise
    except ServiceUnavailable:
        breaker.record_failure()
        raise
    except BaseException:
        breaker.record_success()  # the service answered, with an error
        raise
    breaker.record_success()
    return result


class GuardedServiceProxy:
    def __init__(self, service_proxy, timeout, breaker):
        self._service_proxy = service_proxy
        self._timeout = timeout
        self._breaker = breaker

    def __getattr__(self, method_name):
        service_proxy = self._service_proxy
        method_proxy = TracedMethodProxy(
            service_proxy.worker_ctx,
            service_proxy.service_name,
            method_name,
            service_proxy.reply_listener,
            **service_proxy.options,
        )

        def call(*args, **kwargs):
            with rpc_client_span(service_proxy.service_name, method_name):
                return call_guarded(method_proxy, self._timeout, self._breaker, *args, **kwargs)

        return call


class SettlingReplyListener(ReplyListener):
    """nameko's ``ReplyListener``, except that:

    - its reply queue is transient (nameko's is durable). On a RabbitMQ cluster a classic queue lives on one node;
      when that node is lost, a durable one stays behind as "down", so the service can declare it on no other node
      and its one connection (every queue it consumes) stays down until that node returns. A transient one goes
      with its node, and the service declares it again on the node it reconnects to. Replies in it were lost
      either way: their callers are told the call failed after their timeout.
    - a reply it cannot acknowledge (the broker connection has just gone) still reaches its caller: nameko's lets
      that error kill the whole calling service.
    """

    def setup(self):
        super().setup()
        self.queue.durable = False

    def handle_message(self, body, message):
        settle(message)
        waiting = internals.take_reply_waiter(self, message.properties.get("correlation_id"))
        if waiting is not None:
            waiting.send(body)


class GuardedRpcProxy(RpcProxy):
    """An ``RpcProxy`` with a timeout per call and one circuit breaker per target service.

    Configured by ``RPC_TIMEOUT`` and ``CIRCUIT_BREAKER`` in config.yaml.
    """

    rpc_reply_listener = SettlingReplyListener()

    def setup(self):
        super().setup()
        config = self.container.config
        self.timeout = float(config["RPC_TIMEOUT"])
        # A call nobody took up within the timeout expires in its queue: the caller has been
        # told 503, so a service that comes back must not act on it.
        self.options["expiration"] = self.timeout
        self.breaker = CircuitBreaker(
            failure_threshold=int(config["CIRCUIT_BREAKER"]["FAILURES"]),
            reset_seconds=float(config["CIRCUIT_BREAKER"]["RESET_SECONDS"]),
        )

    def figures(self):
        return {
            "shop_circuit_breaker_open": {
                (self.container.service_name, self.target_service): int(self.breaker.state != CLOSED)
            }
        }

    def get_dependency(self, worker_ctx):
        return GuardedServiceProxy(super().get_dependency(worker_ctx), self.timeout, self.breaker)
