"""The ``inventory`` Nameko service: catalogue and stock over RPC, reservations from order events."""

from nameko_tracer import Tracer

from inventory_service import events, stock
from inventory_service.models import Base, OutboxMessage, ProcessedEvent
from inventory_service.schemas import NewProduct, ReserveStock, Restock, product_output
from order_service import events as order_events
from shop_common.database import database_session, on_lost_connection
from shop_common import dead_letters
from shop_common.entrypoints import rpc
from shop_common.outbox import Outbox
from shop_common.persistence import first_delivery
from shop_common.reliable_events import event_handler
from shop_common.request_context import RequestContext
from shop_common.validation import load, valid_id


class InventoryService(dead_letters.DeadLetterAdmin):
    name = "inventory"

    db = database_session(Base)
    outbox = Outbox(Base, OutboxMessage)
    tracer = Tracer()
    request_id = RequestContext()

    @rpc
    @on_lost_connection(retries=0)
    def create_product(self, product):
        product = stock.create_product(self.db, **load(NewProduct(), product))
        self.db.commit()
        return product_output.dump(product)

    @rpc
    @on_lost_connection(retries=2)
    def get_product(self, sku):
        return product_output.dump(stock.find_product(self.db, valid_id("sku", sku)))

    @rpc
    @on_lost_connection(retries=2)
    def list_products(self, skus=None):
        if skus is not None:
            skus = [valid_id("sku", sku) for sku in skus]
        return product_output.dump(stock.list_products(self.db, skus), many=True)

    @rpc
    @on_lost_connection(retries=0)
    def restock(self, sku, quantity):
        quantity = load(Restock(), {"quantity": quantity})["quantity"]
        product = stock.restock(self.db, valid_id("sku", sku), quantity)
        self.db.commit()
        return product_output.dump(product)

    @rpc
    @on_lost_connection(retries=0)
    def reserve_stock(self, order_id, items):
        items = load(ReserveStock(), {"items": items})["items"]
        return self._reserve(valid_id("order_id", order_id), items)

    @rpc
    @on_lost_connection(retries=0)
    def release_stock(self, order_id):
        return self._release(valid_id("order_id", order_id))

    @event_handler(order_events.SOURCE, order_events.ORDER_CREATED, payload=order_events.OrderEvent)
    def handle_order_created(self, event):
        if first_delivery(self.db, ProcessedEvent, event["event_id"]):
            self._reserve(event["order"]["id"], event["order"]["items"])

    @event_handler(order_events.SOURCE, order_events.ORDER_CANCELLED, payload=order_events.OrderEvent)
    def handle_order_cancelled(self, event):
        if first_delivery(self.db, ProcessedEvent, event["event_id"]):
            self._release(event["order"]["id"])

    @event_handler(order_events.SOURCE, order_events.ORDER_REJECTED, payload=order_events.OrderEvent)
    def handle_order_rejected(self, event):
        """An order rejected after its stock was held (it could not be confirmed) gives the stock back."""
        if first_delivery(self.db, ProcessedEvent, event["event_id"]):
            self._release(event["order"]["id"])

    @event_handler(order_events.SOURCE, order_events.ORDER_SHIPPED, payload=order_events.OrderEvent)
    def handle_order_shipped(self, event):
        if first_delivery(self.db, ProcessedEvent, event["event_id"]):
            reservation, sold_now = stock.complete_sale(self.db, event["order"]["id"])
            if sold_now:
                self.outbox.add(self.db, events.SALE_COMPLETED, events.stock_changed(reservation))
            self.db.commit()

    def _reserve(self, order_id, items):
        reservation, shortages, decided_now = stock.reserve(self.db, order_id, items)
        if decided_now and shortages:
            self.outbox.add(self.db, events.STOCK_RESERVATION_FAILED,
                            events.stock_reservation_failed(reservation, shortages))
        elif decided_now:
            self.outbox.add(self.db, events.STOCK_RESERVED, events.stock_reserved(reservation))
        self.db.commit()
        return _reservation_output(reservation)

    def _release(self, order_id):
        reservation, released_now = stock.release(self.db, order_id)
        if released_now:
            self.outbox.add(self.db, events.STOCK_RELEASED, events.stock_changed(reservation))
        self.db.commit()
        return _reservation_output(reservation)


def _reservation_output(reservation):
    return {
        "order_id": reservation.order_id,
        "status": reservation.status,
        "reason": reservation.reason,
        "items": events.reserved_items(reservation),
    }
