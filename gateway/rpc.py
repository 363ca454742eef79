"""RPC calls with a deadline and a circuit breaker.

Nameko 2.14's ``RpcProxy`` waits for a reply forever. This proxy waits at
most ``RPC_TIMEOUT`` seconds, and raises ``ServiceUnavailable`` then, or at
once when the service was never started; the request expires in RabbitMQ
after the same time, so it is not acted on after the caller gave up. After ``CIRCUIT_BREAKER.FAILURES``
such failures in a row it stops calling that service for
``CIRCUIT_BREAKER.RESET_SECONDS`` and answers ``ServiceUnavailable`` at once.
"""

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy

from gateway.circuit_breaker import CircuitBreaker
from gateway.remote_errors import shop_error_from
from shop_common.errors import ServiceUnavailable

DEFAULT_TIMEOUT = 5.0


def _result(reply):
    """The reply's result; a service's ``ShopError`` is raised as its family, not a ``RemoteError``."""
    reply.resp_body = reply.reply_event.wait()
    error = reply.resp_body.get("error")
    shop_error = error and shop_error_from(error)
    if shop_error:
        raise shop_error
    return reply.result()


def _call(method_proxy, timeout, args, kwargs):
    service = method_proxy.service_name
    deadline = eventlet.Timeout(timeout)
    try:
        return _result(method_proxy.call_async(*args, **kwargs))
    except eventlet.Timeout as expired:
        if expired is not deadline:
            raise
        raise ServiceUnavailable(f"{service} did not answer within {timeout}s", {"service": service}) from None
    except UnknownService:
        raise ServiceUnavailable(f"{service} is not running", {"service": service}) from None
    finally:
        deadline.cancel()


def call_guarded(method_proxy, timeout, breaker, *args, **kwargs):
    service = method_proxy.service_name
    if not breaker.allow():
        raise ServiceUnavailable(f"{service} is failing; not called for now", {"service": service})
    try:
        result = _call(method_proxy, timeout, args, kwargs)
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
        method_proxy = getattr(self._service_proxy, method_name)

        def call(*args, **kwargs):
            return call_guarded(method_proxy, self._timeout, self._breaker, *args, **kwargs)

        return call


class GuardedRpcProxy(RpcProxy):
    """An ``RpcProxy`` with a timeout per call and one circuit breaker per target service."""

    def setup(self):
        super().setup()
        config = self.container.config
        self.timeout = float(config.get("RPC_TIMEOUT", DEFAULT_TIMEOUT))
        # A call nobody took up within the timeout expires in its queue: the caller has been
        # told 503, so a service that comes back must not act on it.
        self.options["expiration"] = self.timeout
        breaker_config = config.get("CIRCUIT_BREAKER", {})
        self.breaker = CircuitBreaker(
            failure_threshold=int(breaker_config.get("FAILURES", 5)),
            reset_seconds=float(breaker_config.get("RESET_SECONDS", 5)),
        )

    def get_dependency(self, worker_ctx):
        return GuardedServiceProxy(super().get_dependency(worker_ctx), self.timeout, self.breaker)
