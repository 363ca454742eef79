"""How a service declares an event handler: ``@event_handler(source, event_type, payload=..., inbox=..., batch=...)``.

One at a time (``reliable_events``), the method takes one event; with ``batch=True`` (``batch_events``), a list
of the events waiting, applied together. Either way each event is checked against ``payload`` first, retried
with backoff when its handler fails, and dead-lettered alone when it cannot be handled.
"""

from functools import wraps

from shop_common.messaging.batch_events import BatchEventHandler, in_batches
from shop_common.messaging.reliable_events import ReliableEventHandler
from shop_common.persistence.models import first_delivery
from shop_common.vocabulary.events import EventEnvelope


def event_handler(source_service, event_type, payload=EventEnvelope, inbox=None, batch=False, **options):
    """Handle ``event_type`` events of ``source_service``, checked against ``payload``.

    With ``inbox`` (a model of ``ProcessedEventMixin``), the handler runs once
    per event id: the id is recorded in the handler's own transaction (on
    ``self.db``), so the effect and the record commit together, and a
    redelivery finds it and does nothing.

    With ``batch``, the method takes ``events`` (a list) and commits them together; the inbox then records
    the whole batch's ids in one statement, and the method sees only the events not handled before.
    """

    def decorate(method):
        if batch:
            return BatchEventHandler.decorator(source_service, event_type, payload=payload, **options)(
                in_batches(method, inbox)
            )
        handler = method if inbox is None else _once_per_event(method, inbox)
        return ReliableEventHandler.decorator(source_service, event_type, payload=payload, **options)(handler)

    return decorate


def _once_per_event(method, inbox):
    @wraps(method)
    def once(self, event):
        if first_delivery(self.db, inbox, event["event_id"]):
            return method(self, event)
        return None

    return once
