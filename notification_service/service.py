"""The ``notifications`` Nameko service: emails the customer on every order outcome."""

from nameko_tracer import Tracer

from notification_service import notices
from notification_service.mailer import Mailer
from notification_service.models import Base
from notification_service.schemas import CustomerQuery, SentEmailOutput
from order_service import events as order_events
from shop_common.persistence.database import database_session
from shop_common.messaging import dead_letters
from shop_common.messaging.entrypoints import query
from shop_common.messaging.reliable_events import event_handler
from shop_common.messaging.request_context import RequestContext
from shop_common.vocabulary.validation import load


class NotificationService(dead_letters.DeadLetterAdmin):
    name = "notifications"

    db = database_session(Base)
    mailer = Mailer()
    tracer = Tracer()
    request_id = RequestContext()

    @query
    def list_notifications(self, customer_email):
        query = load(CustomerQuery(), {"customer_email": customer_email})
        return SentEmailOutput(many=True).dump(notices.sent_to(self.db, query["customer_email"]))

    @event_handler(order_events.SOURCE, order_events.ORDER_CONFIRMED, payload=order_events.OrderEvent)
    def handle_order_confirmed(self, event):
        self._notify(order_events.ORDER_CONFIRMED, event)

    @event_handler(order_events.SOURCE, order_events.ORDER_REJECTED, payload=order_events.OrderEvent)
    def handle_order_rejected(self, event):
        self._notify(order_events.ORDER_REJECTED, event)

    @event_handler(order_events.SOURCE, order_events.ORDER_CANCELLED, payload=order_events.OrderEvent)
    def handle_order_cancelled(self, event):
        self._notify(order_events.ORDER_CANCELLED, event)

    @event_handler(order_events.SOURCE, order_events.ORDER_SHIPPED, payload=order_events.OrderEvent)
    def handle_order_shipped(self, event):
        self._notify(order_events.ORDER_SHIPPED, event)

    def _notify(self, event_type, event):
        notices.notify(self.db, self.mailer, event_type, event)
