"""Structured logs: one JSON object per line, with the current request id and trace id, and no field without bound.

Used from the ``LOGGING`` section of ``config.yaml``::

    formatters:
      json: {(): shop_common.observability.log_format.JsonFormatter}      # application lines
      trace: {(): shop_common.observability.log_format.TraceFormatter}    # nameko-tracer's line per call and result

A field longer than ``MAX_FIELD_CHARS`` once written (a large payload, a
long error) is cut there and says how long it was: a message that fails
again and again cannot multiply its own size into the logs.

A refused request (an error the entrypoint expects: bad input, no access, not
found...) is one line without a traceback (``RefusalsInOneLine``, and the trace
line of its result); tracebacks are for the shop's own errors.

No line carries a credential or a card number: access tokens (JWTs), refresh
tokens and whatever looks like a card number (13 to 19 digits that pass the
Luhn check: a client who typed one into a URL, say) are replaced wherever they
appear; passwords never reach a log line (the accounts service withholds its
arguments from trace lines, and nothing logs a request body).
"""

import json
import logging
import re
from datetime import UTC, datetime

from nameko_tracer import constants as trace_constants

from shop_common.identity.caller import CALLER_KEY
from shop_common.messaging.request_context import (
    REQUEST_ID_KEY,
    TRACEPARENT_KEY,
    current_caller,
    current_request_id,
    current_service,
)
from shop_common.observability.tracing import current_ids, trace_id_of
from shop_common.vocabulary.validation import without_card_numbers

_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

MAX_FIELD_CHARS = 2000
MAX_TRACEBACK_CHARS = 8000

_CREDENTIAL = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|shop_rt_[A-Za-z0-9_-]+")
WITHHELD = "[credential withheld]"


def without_credentials(line):
    """``line`` with every credential and every card number withheld."""
    return without_card_numbers(_CREDENTIAL.sub(WITHHELD, line))


def _as_text(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)


def cut(value, max_chars=MAX_FIELD_CHARS):
    """``value``, or its JSON text cut to ``max_chars`` with a note of its length when it is longer."""
    text = value if isinstance(value, str) else json.dumps(value, default=_as_text)
    if len(text) <= max_chars:
        return value
    return f"{text[:max_chars]}... [cut, {len(text)} characters in all]"


def _envelope(record, message, service, request_id, caller, trace_id):
    """The fields every line has, application's and nameko-tracer's alike, in this order: ``time`` (UTC, with its
    offset), ``level``, ``logger``, ``message``, then ``service``, ``request_id``, ``caller``, ``trace_id`` and
    ``span_id`` when known."""
    entry = {
        "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
        "level": record.levelname,
        "logger": record.name,
        "message": cut(message),
    }
    ids = current_ids()
    known = {
        "service": service,
        "request_id": request_id,
        "caller": caller,
        "trace_id": ids[0] if ids else trace_id,
        "span_id": ids and ids[1],
    }
    entry.update((key, value) for key, value in known.items() if value)
    return entry


class JsonFormatter(logging.Formatter):
    """An application's record as a JSON line; ``extra`` fields are kept as keys."""

    def __init__(self, service=None):
        super().__init__()
        self.service = service

    def format(self, record):
        entry = _envelope(
            record,
            record.getMessage(),
            self.service or current_service(),
            getattr(record, "request_id", None) or current_request_id(),
            current_caller(),
            None,
        )
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry:
                entry[key] = cut(value)
        if record.exc_info:
            entry["exception"] = cut(self.formatException(record.exc_info), MAX_TRACEBACK_CHARS)
        return without_credentials(json.dumps(entry, default=_as_text))


class RefusalsInOneLine(logging.Filter):
    """Leaves out the traceback of nameko's warning for an error its entrypoint expects (a refusal, not a fault)."""

    def filter(self, record):
        if record.name == "nameko.containers" and str(record.msg).startswith("(expected)"):
            record.exc_info = record.exc_text = None
        return True


class TraceFormatter(logging.Formatter):
    """nameko-tracer's record of a call or its result as a JSON line of the same schema as the application's (its
    ``message``: ``<entrypoint type> <service>.<entrypoint> <stage>``; its ``time``: the stage's), then nameko-tracer's
    own fields, each cut to ``MAX_FIELD_CHARS``.

    The result of a call that ended in an expected error (a refusal) has no traceback.
    """

    def format(self, record):
        trace = dict(getattr(record, trace_constants.TRACE_KEY))
        if trace.get(trace_constants.EXCEPTION_EXPECTED_KEY):
            trace.pop(trace_constants.EXCEPTION_TRACEBACK_KEY, None)
        context_data = trace.get(trace_constants.CONTEXT_DATA_KEY)
        context_data = context_data if isinstance(context_data, dict) else {}
        service = trace.pop(trace_constants.SERVICE_NAME_KEY, None)
        message = " ".join(
            str(part)
            for part in (
                trace.get(trace_constants.ENTRYPOINT_TYPE_KEY),
                f"{service}.{trace.get(trace_constants.ENTRYPOINT_NAME_KEY)}",
                trace.get(trace_constants.STAGE_KEY),
            )
        )
        entry = _envelope(
            record,
            message,
            service,
            context_data.get(REQUEST_ID_KEY),
            context_data.get(CALLER_KEY),
            trace_id_of(context_data.get(TRACEPARENT_KEY)),
        )
        stage_time = trace.pop(trace_constants.TIMESTAMP_KEY, None)
        if isinstance(stage_time, datetime):  # nameko-tracer's is naive UTC
            entry["time"] = stage_time.replace(tzinfo=UTC).isoformat()
        for key, value in trace.items():
            entry.setdefault(
                key,
                cut(value, MAX_TRACEBACK_CHARS if key == trace_constants.EXCEPTION_TRACEBACK_KEY else MAX_FIELD_CHARS),
            )
        return without_credentials(json.dumps(entry, default=_as_text))
