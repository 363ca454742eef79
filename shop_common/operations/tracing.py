"""Traces (OpenTelemetry): one request is one trace, across the gateway, every service and the events between them.

A service class mixes in ``Metered`` (``operated``), which holds ``Traced``, so
every worker of every entrypoint has its span with no work of its author:

- ``rpc``: a SERVER span ``<service>/<method>`` (the gateway's call is its CLIENT span);
- ``event``: a CONSUMER span ``process <exchange>``, child of the event's
  creation context and linked to it, as OpenTelemetry's messaging conventions ask;
- ``http``: the gateway's entrypoint makes the SERVER span ``<METHOD> <route>``,
  honouring an incoming W3C ``traceparent``; its worker works inside it.

The context travels as nameko context travels: the ``traceparent`` key,
sent as the ``nameko.traceparent`` header of every RPC call and event. Each
event gets a PRODUCER span ``create <exchange>`` when the worker adds it to
the outbox; that span's context is stored with the row and published with
it, and the relay's ``send <exchange>`` span is its child. SQL statements of
the workers' sessions (opentelemetry-instrumentation-sqlalchemy) and SMTP
sends have their spans too.

Spans are exported over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set, with the SDK's standard
``OTEL_*`` settings; otherwise nothing is recorded, but trace ids are still
made and passed on, so log lines (which carry ``trace_id``) still join across
services. A trace begins only where work enters (an HTTP request, an RPC
call, a message): a statement or a poll outside any of them starts none.
"""

import os
from contextlib import contextmanager
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from nameko.messaging import HeaderEncoder
from nameko.rpc import MethodProxy
from nameko.standalone.events import get_event_exchange
from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.sqlalchemy import __version__ as sqlalchemy_instrumentation_version
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import NoOpUpDownCounter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shop_common.vocabulary.validation import without_card_numbers
from shop_common.messaging.request_context import TRACEPARENT_KEY
from shop_common.vocabulary.errors import ServiceUnavailable, ShopError

EXPORT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
TRACEPARENT_HEADER = f"{HeaderEncoder.header_prefix}.{TRACEPARENT_KEY}"

tracer = trace.get_tracer("shop")
_propagator = TraceContextTextMapPropagator()


class EntriesOnly(Sampler):
    """Records a trace that begins where work enters (SERVER, CONSUMER spans), no other: a database poll or a
    health check outside any request starts none."""

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None):
        decision = Decision.RECORD_AND_SAMPLE if kind in (SpanKind.SERVER, SpanKind.CONSUMER) else Decision.DROP
        return SamplingResult(decision, attributes if decision is Decision.RECORD_AND_SAMPLE else None, trace_state)

    def get_description(self):
        return "EntriesOnly"


def exporting():
    """Whether spans leave the process: an OTLP endpoint is configured."""
    return any(os.environ.get(variable) for variable in EXPORT_VARIABLES)


def configure(service_name):
    """This process's tracer provider, once (the first service set up in a process names it)."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    resource = Resource.create({SERVICE_NAME: service_name})
    if exporting():
        provider = TracerProvider(resource=resource, sampler=ParentBased(EntriesOnly()))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider = TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    trace.set_tracer_provider(provider)


def flush():
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush()


# -- the context as nameko carries it -----------------------------------------------------------------------

def context_of(traceparent):
    """The trace context a ``traceparent`` value names (an empty context for None or a malformed one)."""
    return _propagator.extract({TRACEPARENT_KEY: traceparent} if traceparent else {})


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


def current_ids():
    """``(trace_id, span_id)`` of the current span as hex, or None outside any span."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")


def trace_id_of(traceparent):
    span_context = trace.get_current_span(context_of(traceparent)).get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


@contextmanager
def within(traceparent):
    """Run the block in the trace context ``traceparent`` names."""
    token = context.attach(context_of(traceparent))
    try:
        yield
    finally:
        context.detach(token)


# -- spans ------------------------------------------------------------------------------------------------

def failed(span, error, expected=False):
    """Record ``error`` on ``span``: its type always; an error status unless it was ``expected`` (a refusal)."""
    span.set_attribute("error.type", type(error).__name__)
    if not expected:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))


@contextmanager
def http_server_span(request, method, route, traced=True):
    """The gateway's SERVER span for a request: a child of the client's ``traceparent`` when it sent one.

    Yields a function taking the response status, which marks the span failed from 500 on. Not ``traced``
    (a probe, a scrape): no span.
    """
    if not traced:
        yield lambda status: None
        return
    parent = _propagator.extract(request.headers)
    attributes = {"http.request.method": method, "http.route": route, "url.path": without_card_numbers(request.path),
                  "url.scheme": request.scheme, "client.address": request.remote_addr or ""}
    with tracer.start_as_current_span(f"{method} {route}", context=parent, kind=SpanKind.SERVER,
                                      attributes=attributes, record_exception=False) as span:
        def answered(status):
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
        yield answered


@contextmanager
def rpc_client_span(service, method):
    """The CLIENT span of an RPC call from the current worker; a ``ShopError`` answer is not a failure."""
    with tracer.start_as_current_span(f"{service}/{method}", kind=SpanKind.CLIENT, record_exception=False,
                                      set_status_on_exception=False, attributes=_rpc_attributes(service, method)) as span:
        try:
            yield span
        except Exception as error:
            failed(span, error, expected=_refusal(error))
            raise


def _refusal(error):
    """Whether ``error`` is the caller's mistake (bad input, unknown id...), not a failure of the service."""
    return isinstance(error, ShopError) and not isinstance(error, ServiceUnavailable)


def _rpc_attributes(service, method):
    return {"rpc.system": "nameko", "rpc.service": service, "rpc.method": method}


def _messaging_attributes(operation, exchange, routing_key):
    return {"messaging.system": "rabbitmq", "messaging.operation.type": operation, "messaging.operation.name": operation,
            "messaging.destination.name": exchange, "messaging.rabbitmq.destination.routing_key": routing_key}


def creation_traceparent(exchange, routing_key, message_id=None):
    """A PRODUCER span ``create <exchange>`` for an event about to be stored for sending; its context as a
    ``traceparent``, to travel with the event."""
    attributes = _messaging_attributes("create", exchange, routing_key)
    if message_id:
        attributes["messaging.message.id"] = str(message_id)
    with tracer.start_as_current_span(f"create {exchange}", kind=SpanKind.PRODUCER, attributes=attributes):
        return current_traceparent()


@contextmanager
def send_span(exchange, routing_key, headers):
    """The relay's CLIENT span ``send <exchange>`` for a stored event: a child of its creation context."""
    parent = context_of(headers.get(TRACEPARENT_HEADER))
    with tracer.start_as_current_span(f"send {exchange}", context=parent, kind=SpanKind.CLIENT,
                                      attributes=_messaging_attributes("send", exchange, routing_key)):
        yield


@contextmanager
def smtp_span(host, port):
    with tracer.start_as_current_span("smtp send", kind=SpanKind.CLIENT, attributes={
            "network.protocol.name": "smtp", "server.address": host, "server.port": port}):
        yield


@contextmanager
def provider_span(operation):
    """The CLIENT span of a call to the payment provider; no argument of the call is recorded."""
    with tracer.start_as_current_span(f"payment_provider {operation}", kind=SpanKind.CLIENT, record_exception=False,
                                      set_status_on_exception=False,
                                      attributes={"shop.payment_provider.operation": operation}) as span:
        try:
            yield span
        except Exception as error:
            failed(span, error, expected=type(error).__name__ in ("CardDeclined", "ProviderRefused"))
            raise


def trace_statements(engine):
    """Spans for the SQL statements ``engine`` runs (opentelemetry-instrumentation-sqlalchemy)."""
    EngineTracer(trace.get_tracer("opentelemetry.instrumentation.sqlalchemy", sqlalchemy_instrumentation_version),
                 engine, NoOpUpDownCounter("db.client.connections.usage"))


class TracedMethodProxy(MethodProxy):
    """nameko's ``MethodProxy``, sending the current span's context rather than the worker's."""

    def get_message_headers(self, worker_ctx):
        return with_current_trace(super().get_message_headers(worker_ctx))


# -- every worker's span ----------------------------------------------------------------------------------

_KINDS = (("Rpc", "rpc"), ("EventHandler", "event"), ("HttpRequestHandler", "http"), ("Timer", "timer"))


def kind_of(entrypoint):
    """``rpc``, ``event``, ``http``, ``timer`` or ``other``, from the entrypoint's class and its bases."""
    names = {cls.__name__ for cls in type(entrypoint).__mro__}
    return next((kind for name, kind in _KINDS if name in names), "other")


def _worker_span(worker_ctx, kind):
    """The span of a worker of an rpc, event or other (timer...) entrypoint; None for http (the entrypoint's)."""
    service, method = worker_ctx.service_name, worker_ctx.entrypoint.method_name
    parent = context_of(worker_ctx.data.get(TRACEPARENT_KEY))
    if kind == "http":
        return None, parent
    if kind == "rpc":
        span = tracer.start_span(f"{service}/{method}", context=parent, kind=SpanKind.SERVER,
                                 attributes=_rpc_attributes(service, method))
    elif kind == "event":
        entrypoint = worker_ctx.entrypoint
        exchange = get_event_exchange(entrypoint.source_service, worker_ctx.config).name
        creation = trace.get_current_span(parent).get_span_context()
        span = tracer.start_span(
            f"process {exchange}", context=parent, kind=SpanKind.CONSUMER,
            links=[Link(creation)] if creation.is_valid else None,
            attributes={**_messaging_attributes("process", exchange, entrypoint.event_type),
                        "messaging.consumer.group.name": entrypoint.queue.name})
    else:
        span = tracer.start_span(f"{service}.{method}", context=parent, kind=SpanKind.SERVER)
    return span, trace.set_span_in_context(span, parent)


class Traced(DependencyProvider):
    """A span for every worker of the service (see the module's docstring), current while the worker runs."""

    def setup(self):
        configure(self.container.service_name)
        self.workers = WeakKeyDictionary()

    def stop(self):
        flush()

    def worker_setup(self, worker_ctx):
        span, current = _worker_span(worker_ctx, kind_of(worker_ctx.entrypoint))
        self.workers[worker_ctx] = span, context.attach(current)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        span, _ = self.workers.get(worker_ctx, (None, None))
        if span is not None and exc_info is not None:
            failed(span, exc_info[1], expected=_refusal(exc_info[1]))

    def worker_teardown(self, worker_ctx):
        span, token = self.workers.pop(worker_ctx, (None, None))
        if span is not None:
            span.end()
        if token is not None:
            context.detach(token)
