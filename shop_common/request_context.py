"""The request id a worker works for, so that every log line can carry it.

The gateway puts ``request_id`` into the worker's context data; nameko copies
context data into the headers of every RPC call and event the worker makes, so
the id follows the request through every service.
"""

import threading
import uuid

from nameko.extensions import DependencyProvider

REQUEST_ID_KEY = "request_id"

_current = threading.local()  # green-thread local once eventlet has patched threading


def current_request_id():
    return getattr(_current, "request_id", None)


def new_request_id():
    return uuid.uuid4().hex


class RequestContext(DependencyProvider):
    """Makes the worker's request id visible to logging while the worker runs.

    Set up per worker; the dependency itself is the request id (or None).
    """

    def worker_setup(self, worker_ctx):
        _current.request_id = worker_ctx.data.get(REQUEST_ID_KEY)

    def worker_teardown(self, worker_ctx):
        _current.request_id = None

    def get_dependency(self, worker_ctx):
        return worker_ctx.data.get(REQUEST_ID_KEY)
