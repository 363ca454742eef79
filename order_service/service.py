"""The ``orders`` Nameko service: orders over RPC, their progress from inventory events."""

from nameko.events import EventDispatcher, event_handler
from nameko_tracer import Tracer

from inventory_service import events as inventory_events
from order_service import events, orders
from order_service.models import Base, ProcessedEvent
from order_service.schemas import NewOrder, OrderQuery, order_output
from shop_common.database import database_session
from shop_common.entrypoints import rpc
from shop_common.persistence import first_delivery
from shop_common.request_context import RequestContext
from shop_common.validation import load, valid_id


class OrderService:
    name = "orders"

    db = database_session(Base)
    dispatch = EventDispatcher()
    tracer = Tracer()
    request_id = RequestContext()

    @rpc
    def create_order(self, order):
        order = orders.place_order(self.db, **load(NewOrder(), order))
        return self._commit_and_publish(events.ORDER_CREATED, order)

    @rpc
    def get_order(self, order_id):
        return order_output.dump(orders.find_order(self.db, valid_id("order_id", order_id)))

    @rpc
    def list_orders(self, customer_email=None, status=None):
        query = load(OrderQuery(), {"customer_email": customer_email, "status": status})
        return order_output.dump(orders.list_orders(self.db, **query), many=True)

    @rpc
    def cancel_order(self, order_id):
        order = orders.cancel_order(self.db, valid_id("order_id", order_id))
        return self._commit_and_publish(events.ORDER_CANCELLED, order)

    @rpc
    def ship_order(self, order_id):
        order = orders.ship_order(self.db, valid_id("order_id", order_id))
        return self._commit_and_publish(events.ORDER_SHIPPED, order)

    @event_handler(inventory_events.SOURCE, inventory_events.STOCK_RESERVED)
    def handle_stock_reserved(self, event):
        if first_delivery(self.db, ProcessedEvent, event["event_id"]):
            order = orders.confirm_order(self.db, event["order_id"], event["items"])
            self._commit_and_publish(events.ORDER_CONFIRMED, order)

    @event_handler(inventory_events.SOURCE, inventory_events.STOCK_RESERVATION_FAILED)
    def handle_stock_reservation_failed(self, event):
        if first_delivery(self.db, ProcessedEvent, event["event_id"]):
            order = orders.reject_order(self.db, event["order_id"], event["reason"])
            self._commit_and_publish(events.ORDER_REJECTED, order)

    def _commit_and_publish(self, event_type, order):
        """Commit the change; publish the order's event when the order changed."""
        self.db.commit()
        if order is None:
            return None
        order_data = order_output.dump(order)
        self.dispatch(event_type, events.order_event(order_data))
        return order_data
