"""How a trace travels with the messages: the ``traceparent`` in nameko's context headers, and the spans of
messaging (an RPC call, an event created, an event sent), on OpenTelemetry's API.

Where the spans go, and the span of every worker, are ``shop_common.observability.tracing``'s.
"""

from contextlib import contextmanager

from nameko.messaging import HeaderEncoder
from nameko.rpc import MethodProxy
from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shop_common.messaging.request_context import TRACEPARENT_KEY
from shop_common.vocabulary.errors import ServiceUnavailable, ShopError

TRACEPARENT_HEADER = f"{HeaderEncoder.header_prefix}.{TRACEPARENT_KEY}"

tracer = trace.get_tracer("shop")
_propagator = TraceContextTextMapPropagator()


def context_of(traceparent):
    """The trace context a ``traceparent`` value names (an empty context for None or a malformed one)."""
    return _propagator.extract({TRACEPARENT_KEY: traceparent} if traceparent else {})


def context_of_headers(headers):
    """The trace context of HTTP ``headers`` (W3C ``traceparent`` and ``tracestate``)."""
    return _propagator.extract(headers)


def current_traceparent():
    """The current span's context as a ``traceparent`` value; None outside any span."""
    carrier = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT_KEY)


def with_current_trace(headers):
    """Message ``headers`` whose ``nameko.traceparent`` is the current span's (none outside any span)."""
    headers = {key: value for key, value in headers.items() if key != TRACEPARENT_HEADER}
    traceparent = current_traceparent()
    if traceparent:
        headers[TRACEPARENT_HEADER] = traceparent
    return headers


@contextmanager
def within(traceparent):
    """Run the block in the trace context ``traceparent`` names."""
    token = context.attach(context_of(traceparent))
    try:
        yield
    finally:
        context.detach(token)


def failed(span, error, expected=False):
    """Record ``error`` on ``span``: its type always; an error status unless it was ``expected`` (a refusal)."""
    span.set_attribute("error.type", type(error).__name__)
    if not expected:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))


@contextmanager
def rpc_client_span(service, method):
    """The CLIENT span of an RPC call from the current worker; a ``ShopError`` answer is not a failure."""
    with tracer.start_as_current_span(
        f"{service}/{method}",
        kind=SpanKind.CLIENT,
        record_exception=False,
        set_status_on_exception=False,
        attributes=rpc_attributes(service, method),
    ) as span:
        try:
            yield span
        except Exception as error:
            failed(span, error, expected=refusal(error))
            raise


def refusal(error):
    """Whether ``error`` is the caller's mistake (bad input, unknown id...), not a failure of the service."""
    return isinstance(error, ShopError) and not isinstance(error, ServiceUnavailable)


def rpc_attributes(service, method):
    return {"rpc.system": "nameko", "rpc.service": service, "rpc.method": method}


def messaging_attributes(operation, exchange, routing_key):
    return {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": operation,
        "messaging.operation.name": operation,
        "messaging.destination.name": exchange,
        "messaging.rabbitmq.destination.routing_key": routing_key,
    }


def creation_traceparent(exchange, routing_key, message_id=None):
    """A PRODUCER span ``create <exchange>`` for an event about to be stored for sending; its context as a
    ``traceparent``, to travel with the event."""
    attributes = messaging_attributes("create", exchange, routing_key)
    if message_id:
        attributes["messaging.message.id"] = str(message_id)
    with tracer.start_as_current_span(f"create {exchange}", kind=SpanKind.PRODUCER, attributes=attributes):
        return current_traceparent()


@contextmanager
def send_span(exchange, routing_key, headers):
    """The relay's CLIENT span ``send <exchange>`` for a stored event: a child of its creation context."""
    parent = context_of(headers.get(TRACEPARENT_HEADER))
    with tracer.start_as_current_span(
        f"send {exchange}",
        context=parent,
        kind=SpanKind.CLIENT,
        attributes=messaging_attributes("send", exchange, routing_key),
    ):
        yield


class TracedMethodProxy(MethodProxy):
    """nameko's ``MethodProxy``, sending the current span's context rather than the worker's."""

    def get_message_headers(self, worker_ctx):
        return with_current_trace(super().get_message_headers(worker_ctx))
