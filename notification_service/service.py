"""The ``notifications`` Nameko service: emails the customer on every order outcome, and welcomes new accounts."""

from accounts_service import events as account_events
from notification_service import notices
from notification_service.mailer import Mailer
from notification_service.messages import order_email, welcome_email
from notification_service.models import Base
from notification_service.schemas import CustomerQuery, SentEmailOutput
from order_service import events as order_events
from shop_common.messaging.entrypoints import query
from shop_common.messaging.handlers import event_handler
from shop_common.operations import service_base
from shop_common.persistence.database import database_session
from shop_common.vocabulary.validation import load


class NotificationService(service_base.DomainService):
    name = "notifications"

    db = database_session(Base)
    mailer = Mailer()

    @query
    def list_notifications(self, customer_email):
        self.caller.require(self.caller.is_staff, "list notifications")
        query = load(CustomerQuery(), {"customer_email": customer_email})
        return SentEmailOutput(many=True).dump(notices.sent_to(self.db, query["customer_email"]))

    @event_handler(order_events.SOURCE, order_events.ORDER_CONFIRMED, payload=order_events.OrderEvent, batch=True)
    def handle_order_confirmed(self, batch):
        self._notify(order_events.ORDER_CONFIRMED, batch)

    @event_handler(order_events.SOURCE, order_events.ORDER_REJECTED, payload=order_events.OrderEvent, batch=True)
    def handle_order_rejected(self, batch):
        self._notify(order_events.ORDER_REJECTED, batch)

    @event_handler(order_events.SOURCE, order_events.ORDER_CANCELLED, payload=order_events.OrderEvent, batch=True)
    def handle_order_cancelled(self, batch):
        self._notify(order_events.ORDER_CANCELLED, batch)

    @event_handler(order_events.SOURCE, order_events.ORDER_SHIPPED, payload=order_events.OrderEvent, batch=True)
    def handle_order_shipped(self, batch):
        self._notify(order_events.ORDER_SHIPPED, batch)

    @event_handler(order_events.SOURCE, order_events.ORDER_DELIVERED, payload=order_events.OrderEvent, batch=True)
    def handle_order_delivered(self, batch):
        self._notify(order_events.ORDER_DELIVERED, batch)

    @event_handler(order_events.SOURCE, order_events.ORDER_REFUNDED, payload=order_events.OrderEvent, batch=True)
    def handle_order_refunded(self, batch):
        self._notify(order_events.ORDER_REFUNDED, batch)

    @event_handler(
        account_events.SOURCE, account_events.ACCOUNT_REGISTERED, payload=account_events.AccountEvent, batch=True
    )
    def handle_account_registered(self, batch):
        notices.notify_all(
            self.db, self.mailer, [(event["event_id"], welcome_email(event["account"])) for event in batch]
        )

    def _notify(self, event_type, batch):
        emails = [(event["event_id"], order_email(event_type, event["order"])) for event in batch]
        notices.notify_all(self.db, self.mailer, emails)
