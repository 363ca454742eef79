import json
import logging
import sys
from datetime import datetime

from shop_common.messaging import request_context
from shop_common.observability.log_format import JsonFormatter, RefusalsInOneLine, TraceFormatter


def record(message="placed %s", args=("o1",), **extra):
    entry = logging.LogRecord("order_service.service", logging.INFO, __file__, 1, message, args, None)
    entry.__dict__.update(extra)
    return entry


def test_a_log_line_is_one_json_object_with_time_level_logger_and_message():
    line = JsonFormatter(service="orders").format(record())
    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"], entry["service"]) == (
        "INFO",
        "order_service.service",
        "placed o1",
        "orders",
    )
    assert entry["time"].endswith("+00:00")


def test_the_current_request_id_and_extra_fields_are_included():
    request_context._current.request_id = "req-7"
    try:
        entry = json.loads(JsonFormatter().format(record(order_id="o1")))
    finally:
        request_context._current.request_id = None
    assert entry["request_id"] == "req-7"
    assert entry["order_id"] == "o1"


def test_an_exception_is_kept_with_its_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        entry = record()
        entry.exc_info = sys.exc_info()
    assert "ValueError: boom" in json.loads(JsonFormatter().format(entry))["exception"]


def test_a_huge_message_or_field_is_cut_and_says_how_long_it_was():
    entry = json.loads(JsonFormatter().format(record("payload %s", ("x" * 5_000_000,), body={"a": "y" * 10_000})))
    assert len(entry["message"]) < 2100 and "5000008 characters in all" in entry["message"]
    assert entry["body"].startswith('{"a": "yyy') and "characters in all" in entry["body"]


def test_a_trace_line_has_the_application_lines_schema_with_a_utc_time_and_the_calls_context():
    trace = {
        "timestamp": datetime(2026, 12, 6, 20, 0, 1, 250000),
        "stage": "response",
        "service": "orders",
        "entrypoint_type": "Rpc",
        "entrypoint_name": "create_order",
        "response_time": 0.02,
        "context_data": {"request_id": "req-7", "caller": "customer:a1"},
    }
    trace_entry = json.loads(TraceFormatter().format(record(nameko_trace=trace)))
    application_entry = json.loads(JsonFormatter(service="orders").format(record()))
    shared = ["time", "level", "logger", "message", "service"]
    assert list(trace_entry)[: len(shared)] == list(application_entry)[: len(shared)] == shared
    assert trace_entry["time"] == "2026-12-06T20:00:01.250000+00:00"
    assert (trace_entry["message"], trace_entry["service"]) == ("Rpc orders.create_order response", "orders")
    assert (trace_entry["request_id"], trace_entry["caller"]) == ("req-7", "customer:a1")
    assert "timestamp" not in trace_entry and trace_entry["response_time"] == 0.02


def test_a_trace_line_of_a_huge_call_is_cut_field_by_field():
    trace = {
        "stage": "request",
        "entrypoint_name": "handle_order_created",
        "call_args": {"event": {"padding": "x" * 5_000_000}},
        "exception_traceback": "t" * 100_000,
    }
    line = TraceFormatter().format(record(nameko_trace=trace))
    entry = json.loads(line)
    assert len(line) < 12_000
    assert (entry["stage"], entry["entrypoint_name"]) == ("request", "handle_order_created")
    assert "characters in all" in entry["call_args"] and "characters in all" in entry["exception_traceback"]


def test_a_refusal_nameko_logs_is_one_line_without_a_traceback_and_a_fault_keeps_its_traceback():
    def logged(message):
        try:
            raise ValueError("no such order")
        except ValueError:
            entry = logging.LogRecord(
                "nameko.containers",
                logging.WARNING,
                __file__,
                1,
                message,
                ("<worker>", "no such order"),
                sys.exc_info(),
            )
        RefusalsInOneLine().filter(entry)
        return json.loads(JsonFormatter().format(entry))

    refusal = logged("(expected) error handling worker %s: %s")
    assert refusal["message"] == "(expected) error handling worker <worker>: no such order"
    assert "exception" not in refusal
    assert "ValueError: no such order" in logged("error handling worker %s: %s")["exception"]


def test_the_trace_line_of_a_refused_call_has_no_traceback():
    def trace_line(expected):
        entry = record()
        entry.nameko_trace = {
            "exception_value": "no such order",
            "exception_expected": expected,
            "exception_traceback": "Traceback (most recent call last): ...",
        }
        return json.loads(TraceFormatter().format(entry))

    assert "exception_traceback" not in trace_line(expected=True)
    assert trace_line(expected=False)["exception_traceback"].startswith("Traceback")


def test_an_application_line_names_the_service_of_the_worker_that_logged_it():
    request_context._current.service = "inventory"
    try:
        entry = json.loads(JsonFormatter().format(record()))
    finally:
        request_context._current.service = None
    assert entry["service"] == "inventory"
