"""The ``orders`` Nameko service: orders over RPC, their progress from inventory's, payments' and shipping's events.

An order is placed pending, with the address and shipping cost the shipping
service quotes; once inventory holds its stock it is priced and its payment
asked for; once payments has it authorised it is confirmed (or rejected,
declined or unavailable, and its stock released). Staff ship it (the
shipping service dispatches its parcel) and its delivery, told by the carrier
or by staff, makes it delivered. Every call acts for its caller
(``self.caller``, from the call's context): a customer sees, places and
cancels their own orders alone, and another's order is not found; only staff
ship, deliver and refund orders and see everyone's. An operator's call (from
``nameko shell``) names no caller and acts as staff.
"""

from inventory_service import events as inventory_events
from order_service import events, orders
from order_service.models import Base, OutboxMessage, ProcessedEvent
from order_service.schemas import NewOrder, OrderQuery, PendingQuery, order_output, pending_order_output
from order_service.statuses import PENDING
from payment_service import events as payment_events
from shipping_service import events as shipping_events
from shop_common.messaging.entrypoints import command, query
from shop_common.messaging.handlers import event_handler
from shop_common.messaging.outbox import Outbox
from shop_common.messaging.rpc_proxy import GuardedRpcProxy
from shop_common.observability.metrics import ORDER_OUTCOMES
from shop_common.operations import service_base
from shop_common.persistence.database import DatabaseGauges, database_session
from shop_common.vocabulary.validation import load, valid_id


class OrderService(service_base.DomainService):
    name = "orders"

    db = database_session(Base)
    outbox = Outbox(Base, OutboxMessage)
    pending_orders_gauges = DatabaseGauges(Base, orders.pending_backlog)
    payments_rpc = GuardedRpcProxy("payments")
    shipping_rpc = GuardedRpcProxy("shipping")

    @command
    def create_order(self, order, order_id=None, fingerprint=None):
        """A new pending order; with an ``order_id``, calling again returns the same order.

        ``fingerprint`` names the request that placed it: the same ``order_id``
        with another fingerprint is refused (``IdempotencyKeyReused``).
        """
        if order_id is not None:
            order_id = valid_id("order_id", order_id)
        if fingerprint is not None:
            fingerprint = valid_id("fingerprint", fingerprint)
        order = load(NewOrder(), order)
        quote = load(shipping_events.Quote(), self.shipping_rpc.quote(order["shipping_address"], order["items"]))
        return self._commit(
            orders.place_order(
                self.db,
                self.caller,
                **{**order, "shipping_address": quote["shipping_address"]},
                shipping_cost=quote["shipping_cost"],
                currency=self.config["SHOP_CURRENCY"],
                order_id=order_id,
                fingerprint=fingerprint,
            )
        )

    @query
    def get_order(self, order_id):
        return order_output.dump(orders.find_order(self.db, valid_id("order_id", order_id), self.caller))

    @query
    def list_orders(self, **criteria):
        """Orders newest first: ``customer_id``, ``customer_email``, ``status``, ``limit`` (at most 100),
        ``after`` (``{"created_at", "id"}`` of the last order of the page before)."""
        return order_output.dump(orders.list_orders(self.db, self.caller, **load(OrderQuery(), criteria)), many=True)

    @query
    def list_pending_orders(self, older_than_seconds=0):
        """Orders still pending, oldest first, each with its age in seconds and what it waits for (stock, payment)."""
        criteria = load(PendingQuery(), {"older_than_seconds": older_than_seconds})
        return pending_order_output.dump(orders.pending_orders(self.db, self.caller, **criteria), many=True)

    @query
    def backlog(self):
        """How many orders are pending and how long the oldest has waited (any caller: two figures of the whole
        shop, no one's data): what the gateway admits new orders by."""
        return orders.backlog(self.db)

    @command
    def cancel_order(self, order_id):
        return self._commit(orders.cancel_order(self.db, self.caller, valid_id("order_id", order_id)))

    @command
    def ship_order(self, order_id, carrier, tracking_number):
        """Hand a confirmed order's parcel to ``carrier`` under ``tracking_number`` (staff): the order is
        ``shipped`` (its payment is captured). The order stays locked while shipping dispatches it, so a cancel
        at that moment waits, then finds it shipped."""
        order = orders.shippable_order(self.db, self.caller, valid_id("order_id", order_id))
        return self._follow_shipment(
            self.shipping_rpc.dispatch_shipment(order.id, order.shipping_address, carrier, tracking_number)
        )

    @command
    def deliver_order(self, order_id):
        """A shipped order's parcel arrived, as staff say: the order is ``delivered``."""
        order = orders.deliverable_order(self.db, self.caller, valid_id("order_id", order_id))
        return self._follow_shipment(self.shipping_rpc.deliver_shipment(order.id))

    @command
    def refund_order(self, order_id, amount=None):
        """Give back ``amount`` (all that is left when None) of a shipped order's payment (staff); refunded in full,
        the order is ``refunded``."""
        order_id = orders.refundable_order(self.db, self.caller, valid_id("order_id", order_id)).id
        self.db.rollback()  # no transaction stays open while the provider is asked
        return self._follow_payment(self.payments_rpc.refund_payment(order_id, amount))

    @event_handler(
        inventory_events.SOURCE,
        inventory_events.STOCK_RESERVED,
        payload=inventory_events.StockReserved,
        inbox=ProcessedEvent,
        batch=True,
    )
    def handle_stock_reserved(self, batch):
        """Priced, and their payments asked for; each rejected when its reservation cannot price it."""
        reservations = [(event["order_id"], event["items"]) for event in batch]
        self._commit_batch(batch, orders.price_orders(self.db, reservations))

    @event_handler(
        inventory_events.SOURCE,
        inventory_events.STOCK_RESERVATION_FAILED,
        payload=inventory_events.StockReservationFailed,
        inbox=ProcessedEvent,
        batch=True,
    )
    def handle_stock_reservation_failed(self, batch):
        refusals = [(event["order_id"], event["reason"]) for event in batch]
        self._commit_batch(batch, orders.reject_orders(self.db, refusals))

    @event_handler(
        payment_events.SOURCE,
        payment_events.PAYMENT_AUTHORISED,
        payload=payment_events.PaymentEvent,
        inbox=ProcessedEvent,
        batch=True,
    )
    def handle_payment_authorised(self, batch):
        self._follow_payments(batch)

    @event_handler(
        payment_events.SOURCE,
        payment_events.PAYMENT_DECLINED,
        payload=payment_events.PaymentEvent,
        inbox=ProcessedEvent,
        batch=True,
    )
    def handle_payment_declined(self, batch):
        self._follow_payments(batch)

    @event_handler(
        payment_events.SOURCE,
        payment_events.PAYMENT_FAILED,
        payload=payment_events.PaymentEvent,
        inbox=ProcessedEvent,
        batch=True,
    )
    def handle_payment_failed(self, batch):
        self._follow_payments(batch)

    @event_handler(
        payment_events.SOURCE,
        payment_events.PAYMENT_CAPTURED,
        payload=payment_events.PaymentEvent,
        inbox=ProcessedEvent,
        batch=True,
    )
    def handle_payment_captured(self, batch):
        self._follow_payments(batch)

    @event_handler(
        payment_events.SOURCE,
        payment_events.PAYMENT_VOIDED,
        payload=payment_events.PaymentEvent,
        inbox=ProcessedEvent,
        batch=True,
    )
    def handle_payment_voided(self, batch):
        self._follow_payments(batch)

    @event_handler(
        payment_events.SOURCE,
        payment_events.PAYMENT_REFUNDED,
        payload=payment_events.PaymentEvent,
        inbox=ProcessedEvent,
        batch=True,
    )
    def handle_payment_refunded(self, batch):
        self._follow_payments(batch)

    @event_handler(
        shipping_events.SOURCE,
        shipping_events.SHIPMENT_DISPATCHED,
        payload=shipping_events.ShipmentEvent,
        inbox=ProcessedEvent,
    )
    def handle_shipment_dispatched(self, event):
        self._follow_shipment(event["shipment"])

    @event_handler(
        shipping_events.SOURCE,
        shipping_events.SHIPMENT_DELIVERED,
        payload=shipping_events.ShipmentEvent,
        inbox=ProcessedEvent,
    )
    def handle_shipment_delivered(self, event):
        self._follow_shipment(event["shipment"])

    def _follow_shipment(self, shipment):
        """``shipment`` as the shipping service told it (in an event, or answering staff), read by its contract."""
        return self._commit(orders.follow_shipment(self.db, load(shipping_events.ShipmentSnapshot(), shipment)))

    def _follow_payment(self, payment):
        """``payment`` as the payments service told it (answering a refund), read by its contract."""
        return self._commit(orders.follow_payment(self.db, load(payment_events.PaymentSnapshot(), payment)))

    def _follow_payments(self, batch):
        """Each payment as a batch of the payments service's events told it, read by its contract."""
        snapshot = payment_events.PaymentSnapshot()
        self._commit_batch(
            batch, orders.follow_payments(self.db, [load(snapshot, event["payment"]) for event in batch])
        )

    def _commit(self, change):
        """Commit the order's change with its event, count its outcome, and answer the order."""
        self.commit_with_event(change, events.order_event)
        _count_outcome(change)
        return order_output.dump(change.subject)

    def _commit_batch(self, batch, changes):
        """Commit the changes a batch of events made to orders, with their events, and count their outcomes."""
        self.commit_batch(batch, changes, events.order_event)
        for change in changes:
            _count_outcome(change)


def _count_outcome(change):
    if change.happened and change.subject.status != PENDING:
        ORDER_OUTCOMES.labels(change.subject.status).inc()
