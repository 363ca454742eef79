"""Traces (OpenTelemetry): one request is one trace, across the gateway, every service and the events between them.

Every service class holds ``Traced`` (``shop_common.operations.service_base``), so
every worker of every entrypoint has its span with no work of its author:

- ``rpc``: a SERVER span ``<service>/<method>`` (the gateway's call is its CLIENT span);
- ``event``: a CONSUMER span ``process <exchange>``, child of the event's
  creation context and linked to it, as OpenTelemetry's messaging conventions ask; a batch's, child of its
  first event's creation and linked to every event's (``messaging.batch.message_count``);
- ``http``: the gateway's entrypoint makes the SERVER span ``<METHOD> <route>``,
  honouring an incoming W3C ``traceparent``; its worker works inside it.

The context travels as nameko context travels (``shop_common.messaging.traces``): the ``traceparent`` key,
sent as the ``nameko.traceparent`` header of every RPC call and event. Each
event gets a PRODUCER span ``create <exchange>`` when the worker adds it to
the outbox; that span's context is stored with the row and published with
it, and the relay's ``send <exchange>`` span is its child. A worker's span counts the
SQL statements of its session (``db.statement_count``: no span per statement);
SMTP sends have their spans too.

Spans are exported over OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set, with the SDK's standard
``OTEL_*`` settings; otherwise nothing is recorded, but trace ids are still
made and passed on, so log lines (which carry ``trace_id``) still join across
services. A trace begins only where work enters (an HTTP request, an RPC
call, a message): a statement or a poll outside any of them starts none.
"""

import os
import threading
from contextlib import contextmanager
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from sqlalchemy import event

from shop_common.messaging.batch_events import Batch
from shop_common.messaging.request_context import TRACEPARENT_KEY
from shop_common.messaging.traces import (
    context_of,
    context_of_headers,
    failed,
    messaging_attributes,
    refusal,
    rpc_attributes,
    tracer,
)
from shop_common.vocabulary.validation import without_card_numbers

_statements = threading.local()  # the running worker's count of SQL statements (green-thread local under eventlet)

EXPORT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


class EntriesOnly(Sampler):
    """Records a trace that begins where work enters (SERVER, CONSUMER spans), no other: a database poll or a
    health check outside any request starts none. Of the traces that begin here, ``ratio`` of them (by trace id, so
    every service decides alike) are recorded; one that began elsewhere keeps its parent's decision
    (``ParentBased``)."""

    def __init__(self, ratio=1.0):
        self.by_ratio = TraceIdRatioBased(ratio)

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None):
        if kind not in (SpanKind.SERVER, SpanKind.CONSUMER):
            return SamplingResult(Decision.DROP, None, trace_state)
        return self.by_ratio.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self):
        return f"EntriesOnly{{{self.by_ratio.rate}}}"


def exporting():
    """Whether spans leave the process: an OTLP endpoint is configured."""
    return any(os.environ.get(variable) for variable in EXPORT_VARIABLES)


def configure(service_name, sample_ratio=1.0):
    """This process's tracer provider, once (the first service set up in a process names it), recording
    ``sample_ratio`` of the traces that begin in it (``TRACE_SAMPLE_RATIO``)."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    resource = Resource.create({SERVICE_NAME: service_name})
    if exporting():
        provider = TracerProvider(resource=resource, sampler=ParentBased(EntriesOnly(sample_ratio)))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider = TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    trace.set_tracer_provider(provider)


def flush():
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush()


def current_ids():
    """``(trace_id, span_id)`` of the current span as hex, or None outside any span."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")


def trace_id_of(traceparent):
    span_context = trace.get_current_span(context_of(traceparent)).get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None


# -- spans ------------------------------------------------------------------------------------------------


@contextmanager
def http_server_span(request, method, route, traced=True):
    """The gateway's SERVER span for a request: a child of the client's ``traceparent`` when it sent one.

    Yields a function taking the response status, which marks the span failed from 500 on. Not ``traced``
    (a probe, a scrape): no span.
    """
    if not traced:
        yield lambda status: None
        return
    parent = context_of_headers(request.headers)
    attributes = {
        "http.request.method": method,
        "http.route": route,
        "url.path": without_card_numbers(request.path),
        "url.scheme": request.scheme,
        "client.address": request.remote_addr or "",
    }
    with tracer.start_as_current_span(
        f"{method} {route}", context=parent, kind=SpanKind.SERVER, attributes=attributes, record_exception=False
    ) as span:

        def answered(status):
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))

        yield answered


@contextmanager
def smtp_span(host, port):
    with tracer.start_as_current_span(
        "smtp send",
        kind=SpanKind.CLIENT,
        attributes={"network.protocol.name": "smtp", "server.address": host, "server.port": port},
    ):
        yield


@contextmanager
def provider_span(operation):
    """The CLIENT span of a call to the payment provider; no argument of the call is recorded."""
    with tracer.start_as_current_span(
        f"payment_provider {operation}",
        kind=SpanKind.CLIENT,
        record_exception=False,
        set_status_on_exception=False,
        attributes={"shop.payment_provider.operation": operation},
    ) as span:
        try:
            yield span
        except Exception as error:
            failed(span, error, expected=type(error).__name__ in ("CardDeclined", "ProviderRefused"))
            raise


def count_statements(engine):
    """Count the SQL statements ``engine`` runs for the worker running now: the worker's span carries the count
    (``db.statement_count``). A span for each statement would cost more than most statements do."""
    event.listen(engine, "before_cursor_execute", _one_more_statement)


def _one_more_statement(*_):
    _statements.count = getattr(_statements, "count", 0) + 1


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
        span = tracer.start_span(
            f"{service}/{method}", context=parent, kind=SpanKind.SERVER, attributes=rpc_attributes(service, method)
        )
    elif kind == "event":
        entrypoint = worker_ctx.entrypoint
        exchange = get_event_exchange(entrypoint.source_service, worker_ctx.config).name
        batch = Batch.of(worker_ctx)
        traceparents = [worker_ctx.data.get(TRACEPARENT_KEY)] if batch is None else _traceparents(batch)
        creations = [trace.get_current_span(context_of(traceparent)).get_span_context() for traceparent in traceparents]
        attributes = {
            **messaging_attributes("process", exchange, entrypoint.event_type),
            "messaging.consumer.group.name": entrypoint.queue.name,
        }
        if batch is not None:
            attributes["messaging.batch.message_count"] = len(batch)
        span = tracer.start_span(
            f"process {exchange}",
            context=parent,
            kind=SpanKind.CONSUMER,
            links=[Link(creation) for creation in creations if creation.is_valid] or None,
            attributes=attributes,
        )
    else:
        span = tracer.start_span(f"{service}.{method}", context=parent, kind=SpanKind.SERVER)
    return span, trace.set_span_in_context(span, parent)


def _traceparents(batch):
    """Each event's creation context in a batch, once each."""
    return list(dict.fromkeys(context.get(TRACEPARENT_KEY) for context in batch.contexts))


class Traced(DependencyProvider):
    """A span for every worker of the service (see the module's docstring), current while the worker runs."""

    def setup(self):
        configure(self.container.service_name, float(self.container.config["TRACE_SAMPLE_RATIO"]))
        self.workers = WeakKeyDictionary()

    def stop(self):
        flush()

    def worker_setup(self, worker_ctx):
        _statements.count = 0
        span, current = _worker_span(worker_ctx, kind_of(worker_ctx.entrypoint))
        self.workers[worker_ctx] = span, context.attach(current)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        span, _ = self.workers.get(worker_ctx, (None, None))
        if span is not None and exc_info is not None:
            failed(span, exc_info[1], expected=refusal(exc_info[1]))

    def worker_teardown(self, worker_ctx):
        span, token = self.workers.pop(worker_ctx, (None, None))
        if _statements.count:
            counted = span or trace.get_current_span()  # an http worker's: the request's span
            counted.set_attributes({"db.system": "postgresql", "db.statement_count": _statements.count})
        if span is not None:
            span.end()
        if token is not None:
            context.detach(token)
