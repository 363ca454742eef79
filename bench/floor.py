"""The floor: the shop's message path in stock Nameko, with no database, no outbox and no email.

An ``http`` entrypoint forwards the order over RPC; the order service
dispatches ``order_created``; an inventory service answers ``stock_reserved``;
the order service dispatches ``order_confirmed``; a notification service
appends "accepted at, confirmed at" to ``FLOOR_CONFIRMATIONS``. Each class runs
as its own process (``nameko run bench.floor:FloorOrders``), as the shop's do.
What this pipeline reaches is the most the shop's design can reach here.
"""

import json
import os
import time
import uuid

from nameko.events import EventDispatcher, event_handler
from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http


class FloorGateway:
    name = "floor_gateway"

    orders = RpcProxy("floor_orders")

    @http("POST", "/orders")
    def create_order(self, request):
        order = {**json.loads(request.get_data()), "id": uuid.uuid4().hex, "accepted_at": time.time()}
        return json.dumps(self.orders.create_order(order))


class FloorOrders:
    name = "floor_orders"

    dispatch = EventDispatcher()

    @rpc
    def create_order(self, order):
        self.dispatch("order_created", order)
        return order

    @event_handler("floor_inventory", "stock_reserved")
    def handle_stock_reserved(self, order):
        self.dispatch("order_confirmed", order)


class FloorInventory:
    name = "floor_inventory"

    dispatch = EventDispatcher()

    @event_handler("floor_orders", "order_created")
    def handle_order_created(self, order):
        self.dispatch("stock_reserved", order)


class FloorNotifications:
    name = "floor_notifications"

    @event_handler("floor_orders", "order_confirmed")
    def handle_order_confirmed(self, order):
        with open(os.environ["FLOOR_CONFIRMATIONS"], "a") as confirmations:
            confirmations.write(f"{order['accepted_at']} {time.time()}\n")
