"""The ``orders`` Nameko service: orders over RPC, their progress from inventory events."""

from nameko_tracer import Tracer

from inventory_service import events as inventory_events
from order_service import events, orders
from order_service.models import Base, OutboxMessage, ProcessedEvent
from order_service.schemas import NewOrder, OrderQuery, PendingQuery, order_output, pending_order_output
from shop_common.database import database_session, on_lost_connection
from shop_common import dead_letters
from shop_common.entrypoints import rpc
from shop_common.outbox import Outbox
from shop_common.persistence import first_delivery
from shop_common.reliable_events import event_handler
from shop_common.request_context import RequestContext
from shop_common.validation import load, valid_id


class OrderService(dead_letters.DeadLetterAdmin):
    name = "orders"

    db = database_session(Base)
    outbox = Outbox(Base, OutboxMessage)
    tracer = Tracer()
    request_id = RequestContext()

    @rpc
    @on_lost_connection(retries=0)
    def create_order(self, order, order_id=None, fingerprint=None):
        """A new pending order; with an ``order_id``, calling again returns the same order.

        ``fingerprint`` names the request that placed it: the same ``order_id``
        with another fingerprint is refused (``IdempotencyKeyReused``).
        """
        if order_id is not None:
            order_id = valid_id("order_id", order_id)
        if fingerprint is not None:
            fingerprint = valid_id("fingerprint", fingerprint)
        order, placed_now = orders.place_order(self.db, **load(NewOrder(), order), order_id=order_id,
                                               fingerprint=fingerprint)
        if not placed_now:
            return order_output.dump(order)
        return self._publish_and_commit(order)

    @rpc
    @on_lost_connection(retries=2)
    def get_order(self, order_id):
        return order_output.dump(orders.find_order(self.db, valid_id("order_id", order_id)))

    @rpc
    @on_lost_connection(retries=2)
    def list_orders(self, customer_email=None, status=None):
        query = load(OrderQuery(), {"customer_email": customer_email, "status": status})
        return order_output.dump(orders.list_orders(self.db, **query), many=True)

    @rpc
    @on_lost_connection(retries=2)
    def list_pending_orders(self, older_than_seconds=0):
        """Orders still waiting for inventory, oldest first, each with its age in seconds."""
        query = load(PendingQuery(), {"older_than_seconds": older_than_seconds})
        return pending_order_output.dump(orders.pending_orders(self.db, **query), many=True)

    @rpc
    @on_lost_connection(retries=0)
    def cancel_order(self, order_id):
        order = orders.cancel_order(self.db, valid_id("order_id", order_id))
        return self._publish_and_commit(order)

    @rpc
    @on_lost_connection(retries=0)
    def ship_order(self, order_id):
        order = orders.ship_order(self.db, valid_id("order_id", order_id))
        return self._publish_and_commit(order)

    @event_handler(inventory_events.SOURCE, inventory_events.STOCK_RESERVED, payload=inventory_events.StockReserved)
    def handle_stock_reserved(self, event):
        if first_delivery(self.db, ProcessedEvent, event["event_id"]):
            order = orders.confirm_order(self.db, event["order_id"], event["items"])
            self._publish_and_commit(order)  # confirmed, or rejected when it cannot be

    @event_handler(inventory_events.SOURCE, inventory_events.STOCK_RESERVATION_FAILED,
                   payload=inventory_events.StockReservationFailed)
    def handle_stock_reservation_failed(self, event):
        if first_delivery(self.db, ProcessedEvent, event["event_id"]):
            order = orders.reject_order(self.db, event["order_id"], event["reason"])
            self._publish_and_commit(order)

    def _publish_and_commit(self, order):
        """Write the event of the order's new status to the outbox (when it changed) and commit both together."""
        if order is not None:
            self.outbox.add(self.db, events.EVENT_OF_STATUS[order.status], events.order_event(order))
        self.db.commit()
        return None if order is None else order_output.dump(order)
