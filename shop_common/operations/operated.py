"""What every service shows its operator: whether it lives, whether it is ready, and its metrics.

Every service class derives from ``ShopService`` or ``DomainService`` (``service_base``), which declare what is
here, and so, with no work of its own:

- answers ``GET /health/live`` (200 while its event loop turns),
  ``GET /health/ready`` (200 only when its database answers and its AMQP
  consumers are attached; 503 naming each failing check otherwise) and
  ``GET /metrics`` (Prometheus text format) on its operations address:
  ``<NAME>_OPS_ADDRESS``, by default ``0.0.0.0:<ops_port>`` from the service
  registry. The gateway, which has an HTTP address of its own, answers them
  there (``gateway.service``);
- counts and times every call of every entrypoint it has (``shop_entrypoint_*``,
  by service, entrypoint, kind and outcome), and traces it (``tracing``).
"""

import json
import os
import time
from logging import getLogger
from weakref import WeakKeyDictionary

from eventlet.timeout import Timeout
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, parse_address
from nameko_sqlalchemy import DatabaseSession
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from werkzeug.wrappers import Response

from shop_common import internals
from shop_common.messaging.batch_events import Batch
from shop_common.observability.metrics import ENTRYPOINT_CALLS, ENTRYPOINT_SECONDS, EVENT_BATCH_SIZE, Gauges
from shop_common.observability.tracing import count_statements, kind_of
from shop_common.operations.services import BY_NAME
from shop_common.vocabulary.errors import ShopError

_log = getLogger(__name__)

CHECK_SECONDS = 2  # a readiness check that takes longer has failed


def outcome_of(exc_info):
    if exc_info is None:
        return "ok"
    return "refused" if isinstance(exc_info[1], ShopError) else "error"


class Operations(DependencyProvider):
    """Counts and times every worker of the service, whatever its entrypoint (and the events of a batch handler's
    worker); exports the gauges its extensions know (each one's ``figures()``) and counts the statements of its
    database sessions (on each worker's span); hands a worker the service's readiness (``readiness()``:
    ``{check: problem}`` of each failing check)."""

    def setup(self):
        self.started = WeakKeyDictionary()
        self.gauges = Gauges(
            [
                extension.figures
                for extension in self.container.extensions
                if callable(getattr(extension, "figures", None))
            ]
        )

    def start(self):
        for extension in self.container.extensions:
            if isinstance(extension, DatabaseSession):
                count_statements(extension.engine)
        self.gauges.start()

    def stop(self):
        self.gauges.stop()

    def kill(self):
        self.gauges.stop()

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        entrypoint = worker_ctx.entrypoint
        labels = (worker_ctx.service_name, entrypoint.method_name, kind_of(entrypoint))
        ENTRYPOINT_CALLS.labels(*labels, outcome_of(exc_info)).inc()
        started = self.started.pop(worker_ctx, None)
        if started is not None:
            ENTRYPOINT_SECONDS.labels(*labels).observe(time.perf_counter() - started)
        batch = Batch.of(worker_ctx)
        if batch is not None:
            EVENT_BATCH_SIZE.labels(*labels[:2]).observe(len(batch))

    def get_dependency(self, worker_ctx):
        return self

    def readiness(self):
        return readiness(self.container)


def ops_address(service_name, config):
    """Where a service answers its operations endpoints: ``OPS_ADDRESS`` in its config (tests), else
    ``<NAME>_OPS_ADDRESS``, else the registry's default."""
    service = BY_NAME[service_name]
    return config.get("OPS_ADDRESS") or os.environ.get(service.ops_address_variable) or service.default_ops_address


class OpsWebServer(WebServer):
    """A web server of its own for the operations endpoints, on the service's operations address."""

    @property
    def bind_addr(self):
        return parse_address(ops_address(self.container.service_name, self.container.config))


class OpsEndpoint(HttpRequestHandler):
    """A plain HTTP entrypoint on the operations server; its method returns ``(status, body, content type)``."""

    server = OpsWebServer()

    def response_from_result(self, result):
        return as_response(result)


def as_response(answer):
    """An operations answer ``(status, body, content type)`` as an HTTP response."""
    status, body, content_type = answer
    return Response(body, status=status, content_type=content_type)


ops_endpoint = OpsEndpoint.decorator


def readiness(container):
    """``{check: problem}`` of each failing check (empty: ready): the database answers, the consumers are attached."""
    problems = {}
    for extension in container.extensions:
        if isinstance(extension, DatabaseSession):
            problem = _database_problem(extension.engine)
            if problem:
                problems["database"] = problem
        elif isinstance(extension, QueueConsumer) and not consumers_attached(extension):
            problems["amqp_consumers"] = "not attached to the broker"
    return problems


def consumers_attached(queue_consumer):
    """Whether ``queue_consumer`` has attached its consumers and (when it says) still holds its connection."""
    return internals.consumers_ready(queue_consumer) and getattr(queue_consumer, "attached", True)


def _database_problem(engine):
    try:
        with Timeout(CHECK_SECONDS), engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (Exception, Timeout) as error:
        return f"does not answer: {type(error).__name__}"
    return None


def _json(status, payload):
    return status, json.dumps(payload), "application/json"


def live_answer():
    return _json(200, {"status": "live"})


def ready_answer(problems):
    """200 when nothing fails; 503 naming each failing check otherwise."""
    if problems:
        _log.warning("not ready: %s", problems)
        return _json(503, {"status": "not ready", "failing": problems})
    return _json(200, {"status": "ready"})


def metrics_answer():
    return 200, generate_latest(), CONTENT_TYPE_LATEST
