"""Admission of new orders: while the shop is too far behind, ``POST /orders`` is refused at once.

A shop that takes orders faster than it confirms them holds more stock, and makes each customer wait longer,
for as long as the load lasts. So before any work, ``POST /orders`` reads how many orders are pending and how long
the oldest has waited (orders' ``backlog``, read again at most every ``ADMISSION.CHECK_SECONDS``, by whichever
request comes then) and, at ``MAX_PENDING_ORDERS`` pending or an oldest order ``MAX_PENDING_SECONDS`` old, answers
503 with ``Retry-After: RETRY_AFTER_SECONDS``, having placed nothing. Every other route answers as before. A
backlog that could not be read admits the order: its own call to orders answers for it.

The bounds are gauges (``shop_admission_bound``), each refusal is counted by the bound it met
(``shop_orders_refused_total``), and the dashboard draws both beside the pending orders.
"""

import time
from dataclasses import dataclass
from logging import getLogger

from nameko.extensions import DependencyProvider

from shop_common.observability.metrics import ORDERS_REFUSED
from shop_common.vocabulary.errors import ServiceUnavailable, ShopError

_log = getLogger(__name__)


@dataclass(frozen=True)
class Backlog:
    pending_orders: int
    oldest_pending_seconds: float


@dataclass(frozen=True)
class Bounds:
    pending_orders: int
    pending_seconds: float

    def met_by(self, backlog):
        """The bound ``backlog`` meets (``pending_orders`` or ``pending_seconds``), or None."""
        if backlog.pending_orders >= self.pending_orders:
            return "pending_orders"
        if backlog.oldest_pending_seconds >= self.pending_seconds:
            return "pending_seconds"
        return None


class Admission(DependencyProvider):
    """What a worker gets: ``refuse_if_behind(read_backlog)``, with ``read_backlog()`` giving orders' answer."""

    def setup(self):
        settings = self.container.config["ADMISSION"]
        self.bounds = Bounds(int(settings["MAX_PENDING_ORDERS"]), float(settings["MAX_PENDING_SECONDS"]))
        self.check_seconds = float(settings["CHECK_SECONDS"])
        self.retry_after = int(settings["RETRY_AFTER_SECONDS"])
        self.backlog, self.read_at, self.reading = None, float("-inf"), False

    def get_dependency(self, worker_ctx):
        return self

    def figures(self):
        return {
            "shop_admission_bound": {
                ("pending_orders",): self.bounds.pending_orders,
                ("pending_seconds",): self.bounds.pending_seconds,
            }
        }

    def refuse_if_behind(self, read_backlog):
        """Raise ``ServiceUnavailable`` (with ``retry_after``) when the backlog meets a bound."""
        self._read_when_due(read_backlog)
        bound = self.backlog and self.bounds.met_by(self.backlog)
        if bound:
            ORDERS_REFUSED.labels(bound).inc()
            raise ServiceUnavailable(
                "the shop is taking no new orders for a moment: try again after Retry-After seconds",
                {"reason": f"too many orders waiting ({bound})", "retry_after": self.retry_after},
            )

    def _read_when_due(self, read_backlog):
        if self.reading or time.monotonic() - self.read_at < self.check_seconds:
            return  # another request is reading it, or it is fresh
        self.reading = True
        try:
            self.backlog = Backlog(**read_backlog())
        except ShopError as error:
            _log.warning("the order backlog could not be read (%s); admitting orders meanwhile", error)
            self.backlog = None
        finally:
            self.read_at, self.reading = time.monotonic(), False
