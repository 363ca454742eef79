"""RPC calls with a deadline: a service that does not answer in time is unavailable.

Nameko 2.14's ``RpcProxy`` waits for a reply forever; this proxy waits at most
``RPC_TIMEOUT`` seconds (from the config) and then raises ``ServiceUnavailable``,
as it does at once when the service has never been started.
"""

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy

from gateway.remote_errors import shop_error_from
from shop_common.errors import ServiceUnavailable

DEFAULT_TIMEOUT = 5.0


def call_with_timeout(method_proxy, timeout, *args, **kwargs):
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


def _result(reply):
    """The reply's result; a service's ``ShopError`` is raised as its family, not a ``RemoteError``."""
    reply.resp_body = reply.reply_event.wait()
    error = reply.resp_body.get("error")
    shop_error = error and shop_error_from(error)
    if shop_error:
        raise shop_error
    return reply.result()


class TimedServiceProxy:
    def __init__(self, service_proxy, timeout):
        self._service_proxy = service_proxy
        self._timeout = timeout

    def __getattr__(self, method_name):
        method_proxy = getattr(self._service_proxy, method_name)

        def call(*args, **kwargs):
            return call_with_timeout(method_proxy, self._timeout, *args, **kwargs)

        return call


class TimedRpcProxy(RpcProxy):
    """An ``RpcProxy`` whose calls give up after ``RPC_TIMEOUT`` seconds."""

    def setup(self):
        super().setup()
        self.timeout = float(self.container.config.get("RPC_TIMEOUT", DEFAULT_TIMEOUT))

    def get_dependency(self, worker_ctx):
        return TimedServiceProxy(super().get_dependency(worker_ctx), self.timeout)
