import json
import logging
import sys

from shop_common import request_context
from shop_common.log_format import JsonFormatter


def record(message="placed %s", args=("o1",), **extra):
    entry = logging.LogRecord("order_service.service", logging.INFO, __file__, 1, message, args, None)
    entry.__dict__.update(extra)
    return entry


def test_a_log_line_is_one_json_object_with_time_level_logger_and_message():
    line = JsonFormatter(service="orders").format(record())
    assert "\n" not in line
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["message"], entry["service"]) == (
        "INFO", "order_service.service", "placed o1", "orders")
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
