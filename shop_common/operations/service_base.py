"""What every service of the shop shares, declared once: a service class derives from one of these and declares
only what is its own (its database session, its outbox, the services it calls, its entrypoints).

``ShopService``, every service (the gateway too):

- ``tracer``: nameko-tracer's line for every call, in the shop's log schema (``observability.log_format``);
- ``caller``: whom the call is for, from its context (``messaging.request_context``);
- ``operations``: every entrypoint counted and timed, the gauges the service's extensions know exported, the
  statements of its database sessions traced (``operated``);
- ``traces``: every worker's span (``observability.tracing``).

``DomainService``, every service but the gateway, adds:

- ``GET /health/live``, ``GET /health/ready`` and ``GET /metrics`` on its operations address;
- its dead letters, listed and replayed over RPC (``messaging.dead_letters``);
- ``commit_with_event``: a change and its event committed together (``commit_batch``: a batch's).

A service module imports this module, not its classes: ``nameko run <module>`` starts every class of the module
that has entrypoints, and ``DomainService`` has its own.
"""

from nameko_tracer import Tracer

from shop_common.messaging.dead_letters import DeadLetterAdmin
from shop_common.messaging.request_context import RequestContext
from shop_common.observability.tracing import Traced
from shop_common.operations.operated import Operations, live_answer, metrics_answer, ops_endpoint, ready_answer


class ShopService:
    """Every service, the gateway too (see the module's docstring)."""

    tracer = Tracer()
    caller = RequestContext()
    operations = Operations()
    traces = Traced()


class DomainService(ShopService, DeadLetterAdmin):
    """Every service but the gateway (see the module's docstring)."""

    @ops_endpoint("GET", "/health/live")
    def health_live(self, request):
        return live_answer()

    @ops_endpoint("GET", "/health/ready")
    def health_ready(self, request):
        return ready_answer(self.operations.readiness())

    @ops_endpoint("GET", "/metrics")
    def metrics(self, request):
        return metrics_answer()

    def commit_with_event(self, change, event_of):
        """Commit ``change`` (a ``Change``) with its event, written to the outbox in the same transaction when the
        change happened now: ``event_of(subject)`` gives ``(event type, payload)``, or None when nobody is told."""
        self._add_event(change, event_of)
        self.db.commit()

    def commit_batch(self, batch, changes, event_of):
        """Commit the changes a batch of events made, ``changes[i]`` by ``batch[i]`` (a ``Batch``), each one's
        event written to the outbox as ``commit_with_event`` writes it, with the context of the event that caused
        it."""
        for context, change in zip(batch.contexts, changes, strict=True):
            self._add_event(change, event_of, context)
        self.db.commit()

    def _add_event(self, change, event_of, context=None):
        event = change.happened and event_of(change.subject)
        if event:
            self.outbox.add(self.db, *event, context=context)
