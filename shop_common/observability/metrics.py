"""Every metric the shop exports, in one place: names (prefixed ``shop_``, as Prometheus' conventions ask),
help texts and labels. Code that counts imports its metric from here; ``GET /metrics`` on each service
(``shop_common.operations.operated``) exports them all.

Counters and histograms count as things happen; ``Gauges`` are read when Prometheus scrapes (a backlog, a
pool), each from a function of the component that knows the figure.
"""

from contextlib import suppress
from logging import getLogger

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

_log = getLogger(__name__)

SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

ENTRYPOINT_CALLS = Counter(
    "shop_entrypoint_calls_total",
    "Calls of each entrypoint, by outcome: ok, refused (the caller's mistake), error.",
    ["service", "entrypoint", "kind", "outcome"],
)
ENTRYPOINT_SECONDS = Histogram(
    "shop_entrypoint_duration_seconds",
    "How long each entrypoint call took, in seconds.",
    ["service", "entrypoint", "kind"],
    buckets=SECONDS_BUCKETS,
)

EVENT_BATCH_SIZE = Histogram(
    "shop_event_batch_events",
    "Events each batch of a batch event handler held (its count: the batches).",
    ["service", "entrypoint"],
    buckets=(1, 2, 5, 10, 20, 50, 100),
)

HTTP_REQUESTS = Counter(
    "shop_http_requests_total",
    "HTTP requests the gateway answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "shop_http_request_duration_seconds",
    "How long the gateway took to answer, in seconds, by route template.",
    ["route", "method"],
    buckets=SECONDS_BUCKETS,
)

ORDER_OUTCOMES = Counter(
    "shop_order_outcomes_total",
    "Orders reaching each status after pending: confirmed, rejected, cancelled, shipped, delivered, refunded.",
    ["status"],
)
EMAILS = Counter(
    "shop_emails_total",
    "Emails handed to the SMTP server (sent) or not (failed: sent again later), by kind.",
    ["kind", "outcome"],
)
PAYMENTS = Counter(
    "shop_payments_total",
    "What became of payments, by step (authorise, capture, void, refund) and outcome "
    "(e.g. authorised, declined, failed, captured, voided, refunded).",
    ["step", "outcome"],
)
PROVIDER_CALLS = Counter(
    "shop_payment_provider_calls_total",
    "Calls to the payment provider, by operation and outcome: ok, declined, "
    "refused (it will not do this), unavailable (no answer, a timeout, a 5xx).",
    ["operation", "outcome"],
)
PROVIDER_SECONDS = Histogram(
    "shop_payment_provider_call_duration_seconds",
    "How long the payment provider took to answer, in seconds.",
    ["operation"],
    buckets=SECONDS_BUCKETS,
)
SHIPMENTS = Counter(
    "shop_shipments_total",
    "What became of shipments, by step (open, dispatch, deliver, cancel) and the status "
    "reached (awaiting_dispatch, dispatched, delivered, cancelled).",
    ["step", "status"],
)
CARRIER_UPDATES = Counter(
    "shop_carrier_updates_total",
    "Carriers' status updates received, by outcome: applied, repeated (an event id "
    "applied before), ignored (a status or tracking number the shop does not act on), refused (a bad or stale "
    "signature).",
    ["outcome"],
)
RATE_LIMITED = Counter(
    "shop_rate_limited_requests_total", "Requests refused with 429, by the limit they spent.", ["limit"]
)
ORDERS_REFUSED = Counter(
    "shop_orders_refused_total",
    "New orders refused with 503 before any work while the shop is behind, by the bound met (pending_orders, "
    "pending_seconds).",
    ["bound"],
)

# Gauges, read when Prometheus scrapes: (name, help, labels)
CIRCUIT_BREAKER_OPEN = (
    "shop_circuit_breaker_open",
    "1 while calls to a service are refused at once (its circuit is open or half-open), 0 while they go through.",
    ("caller", "service"),
)
DATABASE_CONNECTIONS_IN_USE = (
    "shop_database_connections_in_use",
    "Connections of the service's pool its workers hold now.",
    ("service",),
)
OUTBOX_UNPUBLISHED = (
    "shop_outbox_unpublished_events",
    "Events written with their change, not yet published.",
    ("service",),
)
OUTBOX_OLDEST_AGE = (
    "shop_outbox_oldest_unpublished_age_seconds",
    "How long the oldest unpublished event has waited, in seconds (0 with none).",
    ("service",),
)
PENDING_ORDERS = ("shop_pending_orders", "Orders waiting for inventory's answer.", ())
PENDING_ORDERS_OLDEST_AGE = (
    "shop_pending_orders_oldest_age_seconds",
    "How long the oldest pending order has waited, in seconds (0 with none).",
    (),
)
DEAD_LETTERS = ("shop_dead_letters", "Messages waiting in a service's dead-letter queue.", ("service",))
ADMISSION_BOUND = (
    "shop_admission_bound",
    "Where POST /orders starts refusing new orders: pending_orders (orders pending), pending_seconds (the oldest "
    "pending order's age).",
    ("bound",),
)
GAUGES = {
    gauge[0]: gauge
    for gauge in (
        CIRCUIT_BREAKER_OPEN,
        DATABASE_CONNECTIONS_IN_USE,
        OUTBOX_UNPUBLISHED,
        OUTBOX_OLDEST_AGE,
        PENDING_ORDERS,
        PENDING_ORDERS_OLDEST_AGE,
        DEAD_LETTERS,
        ADMISSION_BOUND,
    )
}


class Gauges:
    """Gauges read when Prometheus scrapes, from ``readers``: each returns ``{gauge name: {label values: value}}``
    of gauges ``GAUGES`` declares (a service's extensions that know a figure have a ``figures()`` that does).

    ``start()`` registers them with the process's registry, ``stop()`` takes them out (a service stopped or
    killed in a test process exports nothing more). A reader that fails exports nothing that time and logs why;
    the others still do.
    """

    def __init__(self, readers):
        self.readers = readers

    def describe(self):
        return []  # figures vary by service: no fixed names to check at registration

    def collect(self):
        families = {}
        for read in self.readers:
            try:
                figures = read()
            except Exception as error:
                _log.warning("metrics not read: %r", error)
                continue
            for name, samples in figures.items():
                _, documentation, labels = GAUGES[name]
                family = families.setdefault(name, GaugeMetricFamily(name, documentation, labels=list(labels)))
                for values, value in samples.items():
                    family.add_metric(list(values), value)
        yield from families.values()

    def start(self):
        REGISTRY.register(self)

    def stop(self):
        with suppress(KeyError):  # not registered: never started, or stopped already
            REGISTRY.unregister(self)
