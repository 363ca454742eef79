"""Traces: where they begin, what each message carries, what the logs say."""

import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased
from opentelemetry.trace import SpanKind
from sqlalchemy import create_engine, text

from shop_common.messaging.request_context import trusted_context
from shop_common.messaging.traces import TRACEPARENT_HEADER, context_of, current_traceparent, with_current_trace
from shop_common.observability import tracing
from shop_common.observability.log_format import JsonFormatter, TraceFormatter
from shop_common.observability.tracing import EntriesOnly, count_statements, trace_id_of

TRACE_ID, SPAN_ID = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"


@pytest.fixture
def spans():
    """A tracer of a provider of the test's own (the process's global one is left alone), and what it recorded."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBased(EntriesOnly()))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


def test_a_trace_begins_where_work_enters_and_nowhere_else(spans):
    tracer, exporter = spans
    for kind in SpanKind:
        tracer.start_span(f"root {kind.name}", kind=kind).end()
    with tracer.start_as_current_span("a request", kind=SpanKind.SERVER):
        tracer.start_span("a statement", kind=SpanKind.CLIENT).end()
    assert sorted(span.name for span in exporter.get_finished_spans()) == [
        "a request",
        "a statement",
        "root CONSUMER",
        "root SERVER",
    ]


@pytest.mark.parametrize("ratio", [0.0, 0.25, 1.0])
def test_a_share_of_the_traces_that_begin_here_is_recorded_by_trace_id_and_a_remote_parents_decision_is_kept(ratio):
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBased(EntriesOnly(ratio)))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    for _ in range(2000):
        tracer.start_span("a request", kind=SpanKind.SERVER).end()
    tracer.start_span("continued", context=context_of(TRACEPARENT), kind=SpanKind.SERVER).end()
    recorded = [span.name for span in exporter.get_finished_spans()]
    assert recorded.count("continued") == 1
    assert abs(recorded.count("a request") - 2000 * ratio) <= 2000 * 0.05


def test_a_trace_continues_from_a_remote_parent_and_keeps_its_sampling_decision(spans):
    tracer, exporter = spans
    tracer.start_span("sampled", context=context_of(TRACEPARENT), kind=SpanKind.CLIENT).end()
    tracer.start_span("not sampled", context=context_of(TRACEPARENT[:-2] + "00"), kind=SpanKind.SERVER).end()
    [span] = exporter.get_finished_spans()
    assert (span.name, format(span.context.trace_id, "032x"), format(span.parent.span_id, "016x")) == (
        "sampled",
        TRACE_ID,
        SPAN_ID,
    )


def test_a_message_carries_the_context_of_the_span_it_leaves_from_not_the_workers(spans):
    tracer, _ = spans
    headers = {"nameko.request_id": "req-1", TRACEPARENT_HEADER: TRACEPARENT}
    with tracer.start_as_current_span("call", context=context_of(TRACEPARENT), kind=SpanKind.CLIENT) as call:
        sent = with_current_trace(headers)
    assert sent["nameko.request_id"] == "req-1"
    assert sent[TRACEPARENT_HEADER] == f"00-{TRACE_ID}-{format(call.get_span_context().span_id, '016x')}-01"
    assert headers[TRACEPARENT_HEADER] == TRACEPARENT  # the worker's own are left as they were


def test_outside_any_span_a_message_carries_no_trace_context():
    assert current_traceparent() is None
    assert with_current_trace({TRACEPARENT_HEADER: TRACEPARENT, "nameko.caller": "anonymous"}) == {
        "nameko.caller": "anonymous"
    }


@pytest.mark.parametrize(
    "value",
    [TRACEPARENT + "\n", TRACEPARENT.upper(), "01-" + TRACEPARENT[3:], TRACEPARENT[:-1], "x" * 10_000, 42, None],
)
def test_a_malformed_traceparent_from_the_broker_is_dropped(value):
    assert trusted_context({"traceparent": value, "request_id": "req-1"}) == {"request_id": "req-1"}


def test_a_well_formed_traceparent_from_the_broker_is_kept():
    assert trusted_context({"traceparent": TRACEPARENT}) == {"traceparent": TRACEPARENT}


def test_an_invalid_trace_context_names_no_trace():
    assert trace_id_of(f"00-{'0' * 32}-{SPAN_ID}-01") is None
    assert trace_id_of(None) is None
    assert trace_id_of(TRACEPARENT) == TRACE_ID


def log_record(**extra):
    record = logging.LogRecord("order_service.service", logging.INFO, __file__, 1, "placed", (), None)
    record.__dict__.update(extra)
    return record


def test_a_log_line_within_a_span_carries_its_trace_and_span_ids(spans):
    tracer, _ = spans
    with tracer.start_as_current_span("work", context=context_of(TRACEPARENT), kind=SpanKind.SERVER) as span:
        entry = json.loads(JsonFormatter().format(log_record()))
    assert (entry["trace_id"], entry["span_id"]) == (TRACE_ID, format(span.get_span_context().span_id, "016x"))
    assert "trace_id" not in json.loads(JsonFormatter().format(log_record()))


def test_a_call_line_logged_before_its_span_carries_the_trace_id_the_call_came_with():
    call = {"stage": "request", "context_data": {"traceparent": TRACEPARENT, "request_id": "req-1"}}
    assert json.loads(TraceFormatter().format(log_record(nameko_trace=call)))["trace_id"] == TRACE_ID
    assert "trace_id" not in json.loads(TraceFormatter().format(log_record(nameko_trace={"stage": "request"})))


def test_a_workers_sql_statements_are_counted_not_each_given_a_span():
    engine = create_engine("sqlite://")
    count_statements(engine)
    tracing._statements.count = 0
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        connection.execute(text("SELECT 2"))
    assert tracing._statements.count == 2
