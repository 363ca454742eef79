"""Tracing as a fresh process sets it up from its environment: spans are exported only when an OTLP endpoint is
set, while trace ids pass on either way."""

import os
import subprocess
import sys

import pytest

PROBE = """
from opentelemetry import trace
from opentelemetry.trace import SpanKind
from shop_common.observability.tracing import configure, tracer
configure("orders")
provider = trace.get_tracer_provider()
with tracer.start_as_current_span("request", kind=SpanKind.SERVER) as span:
    print(span.is_recording(), span.get_span_context().is_valid,
          [type(p.span_exporter).__name__ for p in provider._active_span_processor._span_processors])
"""


@pytest.mark.parametrize(
    "environment, recorded",
    [
        ({}, "False True []"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}, "True True ['OTLPSpanExporter']"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:9/v1/traces"}, "True True ['OTLPSpanExporter']"),
    ],
    ids=["no-endpoint", "endpoint", "traces-endpoint"],
)
def test_spans_are_recorded_and_exported_only_when_an_otlp_endpoint_is_set_while_trace_ids_always_pass_on(
    environment, recorded
):
    clean = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], env={**clean, **environment}, capture_output=True, text=True, timeout=60
    )
    assert probe.stdout.strip() == recorded, probe.stderr
