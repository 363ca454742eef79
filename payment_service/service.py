"""The ``payments`` Nameko service: each order's money at the provider, moved by the orders' events.

An order priced (its stock held) asks for its payment to be authorised; an
order that ends gives back what its payment holds; an order shipped has its
payment captured. Staff refund over RPC (through the orders service), and the
provider's webhooks keep the shop's record in step with the provider's.
"""

from order_service import events as order_events
from payment_service import events, payments
from payment_service.exceptions import InvalidWebhook
from payment_service.models import Base, OutboxMessage
from payment_service.provider import InvalidSignature, PaymentProvider
from payment_service.schemas import ProviderEvent, RefundRequest
from shop_common.messaging.entrypoints import command, query
from shop_common.messaging.handlers import event_handler
from shop_common.messaging.outbox import Outbox
from shop_common.observability.metrics import PAYMENTS
from shop_common.operations import service_base
from shop_common.persistence.database import database_session
from shop_common.vocabulary.validation import load, valid_id


class PaymentService(service_base.DomainService):
    name = "payments"

    db = database_session(Base)
    outbox = Outbox(Base, OutboxMessage)
    provider = PaymentProvider()

    @query
    def get_payment(self, order_id):
        """The order's payment: status, amount, currency, the provider's reference, what was refunded (staff)."""
        self.caller.require(self.caller.is_staff, "see a payment")
        return events.snapshot(payments.find_payment(self.db, valid_id("order_id", order_id)))

    @command
    def refund_payment(self, order_id, amount=None):
        """Give back ``amount`` (all that is left when None) of the order's captured payment (staff)."""
        self.caller.require(self.caller.is_staff, "refund a payment")
        asked = load(RefundRequest(), {"amount": amount})["amount"]
        return self._commit("refund", payments.refund(self.db, self.provider, valid_id("order_id", order_id), asked))

    @command
    def receive_provider_event(self, payload, signature):
        """A webhook of the provider's, as it came (the raw body and its ``Stripe-Signature``), applied once."""
        payload = load(ProviderEvent(), {"payload": payload, "signature": signature})
        try:
            event = self.provider.verified_event(payload["payload"], payload["signature"])
        except InvalidSignature as invalid:
            raise InvalidWebhook(str(invalid)) from None
        self._commit("webhook", payments.follow_provider(self.db, self.provider, event))
        return {"received": True}

    @event_handler(order_events.SOURCE, order_events.PAYMENT_REQUESTED, payload=order_events.PaymentRequest)
    def handle_payment_requested(self, request):
        self._commit(
            "authorise",
            payments.authorise(
                self.db,
                self.provider,
                request["order_id"],
                request["amount"],
                request["currency"],
                request["payment_method"],
                float(self.config["PAYMENTS"]["AUTHORISATION_DEADLINE"]),
            ),
        )

    @event_handler(order_events.SOURCE, order_events.ORDER_CANCELLED, payload=order_events.OrderEvent)
    def handle_order_cancelled(self, event):
        self._commit("void", payments.void(self.db, self.provider, event["order"]["id"]))

    @event_handler(order_events.SOURCE, order_events.ORDER_REJECTED, payload=order_events.OrderEvent)
    def handle_order_rejected(self, event):
        self._commit("void", payments.void(self.db, self.provider, event["order"]["id"]))

    @event_handler(order_events.SOURCE, order_events.ORDER_SHIPPED, payload=order_events.OrderEvent)
    def handle_order_shipped(self, event):
        self._commit("capture", payments.capture(self.db, self.provider, event["order"]["id"]))

    def _commit(self, step, change):
        """Commit the payment's change with its event, count it by ``step``, and answer the payment."""
        self.commit_with_event(change, events.payment_event)
        payment = change.subject
        if change.happened:
            PAYMENTS.labels(step, payment.status).inc()
        return None if payment is None else events.snapshot(payment)
