"""A real OTLP/HTTP trace receiver, as a collector is one: it takes ``POST /v1/traces`` in protobuf and keeps
the spans, decoded."""

import gzip
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanMessage

from harness.waiting import wait_until


@dataclass(frozen=True)
class ReceivedSpan:
    service: str  # the resource's service.name: which process sent it
    name: str
    kind: str  # SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL
    trace_id: str  # hex, as in a traceparent
    span_id: str
    parent_span_id: str  # "" for a root span
    links: tuple = ()  # (trace_id, span_id) of each linked span
    attributes: dict = field(default_factory=dict, compare=False, hash=False)
    error: bool = False


def _value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def _attributes(key_values):
    return {item.key: _value(item.value) for item in key_values}


def spans_of(request):
    """The spans of one decoded ``ExportTraceServiceRequest``."""
    for resource_spans in request.resource_spans:
        service = _attributes(resource_spans.resource.attributes).get("service.name", "")
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield ReceivedSpan(
                    service=service,
                    name=span.name,
                    kind=SpanMessage.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex(),
                    links=tuple((link.trace_id.hex(), link.span_id.hex()) for link in span.links),
                    attributes=_attributes(span.attributes),
                    error=span.status.code == span.status.STATUS_CODE_ERROR,
                )


class OtlpReceiver:
    def __init__(self):
        self.spans = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
                    self.send_error(415 if self.path == "/v1/traces" else 404)
                    return
                request = ExportTraceServiceRequest.FromString(body)
                with receiver.lock:
                    receiver.spans.extend(spans_of(request))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        return Handler

    def trace(self, trace_id):
        with self.lock:
            return [span for span in self.spans if span.trace_id == trace_id]

    def wait_for_trace(self, trace_id, complete, timeout=20.0):
        """The spans of ``trace_id`` once ``complete(spans)`` holds; AssertionError after ``timeout`` seconds."""

        def completed():
            spans = self.trace(trace_id)
            return spans if complete(spans) else None

        return wait_until(completed, timeout, f"trace {trace_id} complete", poll_seconds=0.1)


@contextmanager
def running_receiver():
    receiver = OtlpReceiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
