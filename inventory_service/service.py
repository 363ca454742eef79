"""The ``inventory`` Nameko service: catalogue and stock over RPC, reservations from order events."""

from inventory_service import events, stock
from inventory_service.models import Base, OutboxMessage, ProcessedEvent
from inventory_service.schemas import (
    NewProduct,
    ProductPage,
    ProductSkus,
    ProductWeight,
    ReserveStock,
    Restock,
    product_output,
)
from order_service import events as order_events
from shop_common.messaging.entrypoints import command, query
from shop_common.messaging.handlers import event_handler
from shop_common.messaging.outbox import Outbox
from shop_common.operations import service_base
from shop_common.persistence.database import database_session
from shop_common.vocabulary.validation import load, valid_id


class InventoryService(service_base.DomainService):
    name = "inventory"

    db = database_session(Base)
    outbox = Outbox(Base, OutboxMessage)

    @command
    def create_product(self, product):
        self.caller.require(self.caller.is_staff, "create a product")
        return self._weighed(stock.create_product(self.db, **load(NewProduct(), product)))

    @query
    def get_product(self, sku):
        return product_output.dump(stock.find_product(self.db, valid_id("sku", sku)))

    @query
    def list_products(self, skus=None, **page):
        """Products by sku: those of ``skus``, or a page of at most ``limit`` (100) after the sku ``after``."""
        if skus is not None:
            skus = load(ProductSkus(), {"skus": skus})["skus"]
            return product_output.dump(stock.products_with_skus(self.db, skus), many=True)
        return product_output.dump(stock.list_products(self.db, **load(ProductPage(), page)), many=True)

    @command
    def restock(self, sku, quantity):
        self.caller.require(self.caller.is_staff, "restock a product")
        quantity = load(Restock(), {"quantity": quantity})["quantity"]
        product = stock.restock(self.db, valid_id("sku", sku), quantity)
        self.db.commit()
        return product_output.dump(product)

    @command
    def weigh_product(self, sku, weight_grams):
        """Set the weight of one unit of the product, in grams (staff): what its shipping is priced by."""
        self.caller.require(self.caller.is_staff, "weigh a product")
        weight = load(ProductWeight(), {"weight_grams": weight_grams})["weight_grams"]
        return self._weighed(stock.weigh_product(self.db, valid_id("sku", sku), weight))

    @command
    def reserve_stock(self, order_id, items):
        items = load(ReserveStock(), {"items": items})["items"]
        return self._commit(stock.reserve(self.db, valid_id("order_id", order_id), items))

    @command
    def release_stock(self, order_id):
        return self._commit(stock.release(self.db, valid_id("order_id", order_id)))

    @event_handler(
        order_events.SOURCE,
        order_events.ORDER_CREATED,
        payload=order_events.OrderEvent,
        inbox=ProcessedEvent,
        batch=True,
    )
    def handle_order_created(self, batch):
        orders = [(event["order"]["id"], event["order"]["items"]) for event in batch]
        self.commit_batch(batch, stock.reserve_all(self.db, orders), events.stock_event)

    @event_handler(
        order_events.SOURCE, order_events.ORDER_CANCELLED, payload=order_events.OrderEvent, inbox=ProcessedEvent
    )
    def handle_order_cancelled(self, event):
        self._commit(stock.release(self.db, event["order"]["id"]))

    @event_handler(
        order_events.SOURCE, order_events.ORDER_REJECTED, payload=order_events.OrderEvent, inbox=ProcessedEvent
    )
    def handle_order_rejected(self, event):
        """An order rejected after its stock was held (it could not be confirmed) gives the stock back."""
        self._commit(stock.release(self.db, event["order"]["id"]))

    @event_handler(
        order_events.SOURCE, order_events.ORDER_SHIPPED, payload=order_events.OrderEvent, inbox=ProcessedEvent
    )
    def handle_order_shipped(self, event):
        self._commit(stock.complete_sale(self.db, event["order"]["id"]))

    def _weighed(self, product):
        """Tell of the product's weight (shipping prices parcels by it) and commit both together."""
        self.outbox.add(self.db, *events.product_weighed(product))
        self.db.commit()
        return product_output.dump(product)

    def _commit(self, change):
        """Commit the reservation's change with its event, and answer the reservation."""
        self.commit_with_event(change, events.stock_event)
        return None if change.subject is None else _reservation_output(change.subject)


def _reservation_output(reservation):
    return {
        "order_id": reservation.order_id,
        "status": reservation.status,
        "reason": reservation.reason,
        "items": events.reserved_items(reservation),
    }
