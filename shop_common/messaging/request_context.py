"""The context a worker works in: its request id and caller, and what of a message's headers may become context.

The gateway puts ``request_id``, ``caller`` and ``traceparent`` into the
worker's context data; nameko copies context data into the headers of every
RPC call and event the worker makes, so they follow the request through every
service, and every log line can carry them (``traceparent`` is rewritten on
the way to name the span each message left from: ``tracing``).

Headers come from whoever could publish to the broker: only known keys with
well-formed values become context (``trusted_context``); anything else is
dropped, so a malformed header can neither crash a worker nor travel on. A
malformed caller becomes ``anonymous``, never no caller (which is the operator's).
"""

import re
import threading
import uuid
from logging import getLogger

from nameko.constants import CALL_ID_STACK_CONTEXT_KEY
from nameko.extensions import DependencyProvider
from nameko.messaging import HeaderDecoder

from shop_common.identity.caller import CALLER_KEY, NOBODY, caller_from_context, valid_caller_context

_log = getLogger(__name__)

REQUEST_ID_KEY = "request_id"
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
TRACEPARENT_KEY = "traceparent"  # W3C trace context: the span a message was sent from (``tracing``)
_VALID_TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
_VALID_CALL_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")
MAX_CALL_ID_STACK = 10  # nameko keeps this many parent calls (its PARENT_CALLS_CONFIG_KEY default)

_current = threading.local()  # green-thread local once eventlet has patched threading
_process_service = None


def current_request_id():
    return getattr(_current, "request_id", None)


def current_service():
    """The service of the worker running now; outside a worker, the first service set up in this process (its relay,
    its polls); None before any."""
    return getattr(_current, "service", None) or _process_service


def current_caller():
    """The caller of the worker running now, as its context names it; None outside a worker."""
    return getattr(_current, "caller", None)


def new_request_id():
    return uuid.uuid4().hex


def _valid_call_id_stack(value):
    return (
        isinstance(value, list)
        and len(value) <= MAX_CALL_ID_STACK
        and all(isinstance(call_id, str) and _VALID_CALL_ID.fullmatch(call_id) for call_id in value)
    )


def _valid_request_id(value):
    return isinstance(value, str) and bool(VALID_REQUEST_ID.fullmatch(value))


def _valid_traceparent(value):
    return isinstance(value, str) and bool(_VALID_TRACEPARENT.fullmatch(value))


_CHECKS = {
    CALL_ID_STACK_CONTEXT_KEY: _valid_call_id_stack,
    REQUEST_ID_KEY: _valid_request_id,
    CALLER_KEY: valid_caller_context,
    TRACEPARENT_KEY: _valid_traceparent,
}
_IN_PLACE_OF_MALFORMED = {CALLER_KEY: NOBODY.as_context()}


def trusted_context(context):
    """The entries of ``context`` a worker may use: known keys whose values are well formed."""
    trusted = {key: value for key, value in context.items() if key in _CHECKS and _CHECKS[key](value)}
    refused = sorted(key for key in context if key in _CHECKS and key not in trusted)
    if refused:
        _log.warning("ignored malformed context headers: %s", ", ".join(refused))
        trusted.update({key: _IN_PLACE_OF_MALFORMED[key] for key in refused if key in _IN_PLACE_OF_MALFORMED})
    return trusted


class TrustedContextDecoder(HeaderDecoder):
    """For an entrypoint: its worker's context is what ``trusted_context`` keeps of the message's headers."""

    def unpack_message_headers(self, message):
        headers = message.headers if isinstance(message.headers, dict) else {}
        prefix = f"{self.header_prefix}."
        return trusted_context(
            {
                key[len(prefix) :]: value
                for key, value in headers.items()
                if isinstance(key, str) and key.startswith(prefix)
            }
        )


class RequestContext(DependencyProvider):
    """Makes the worker's request id and caller visible to logging while the worker runs.

    Set up per worker; the dependency itself is the ``Caller`` the worker acts
    for (the operator when the context names none).
    """

    def setup(self):
        global _process_service
        _process_service = _process_service or self.container.service_name

    def worker_setup(self, worker_ctx):
        _current.service = worker_ctx.service_name
        _current.request_id = worker_ctx.data.get(REQUEST_ID_KEY)
        _current.caller = worker_ctx.data.get(CALLER_KEY)

    def worker_teardown(self, worker_ctx):
        _current.service = _current.request_id = _current.caller = None

    def get_dependency(self, worker_ctx):
        return caller_from_context(worker_ctx.data)
