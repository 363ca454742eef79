"""The floor: the shop's message path in stock Nameko, with no database, no outbox and no email.

An ``http`` entrypoint forwards the order over RPC; the order service
dispatches ``order_created``; an inventory service answers ``stock_reserved``;
the order service dispatches ``payment_requested``; a payment service makes
the shop's calls to the payment provider (an unconfirmed intent, then its
confirmation: the same provider, the same SDK) and answers
``payment_authorised``; the order service dispatches ``order_confirmed``; a
notification service appends "accepted at, confirmed at" to
``FLOOR_CONFIRMATIONS``. Each class runs as its own process (``nameko run
bench.floor:FloorOrders``), as the shop's do. What this pipeline reaches is the
most the shop's design can reach here.
"""

import json
import os
import time
import uuid

import stripe
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
        self.dispatch("payment_requested", order)

    @event_handler("floor_payments", "payment_authorised")
    def handle_payment_authorised(self, order):
        self.dispatch("order_confirmed", order)


class FloorInventory:
    name = "floor_inventory"

    dispatch = EventDispatcher()

    @event_handler("floor_orders", "order_created")
    def handle_order_created(self, order):
        self.dispatch("stock_reserved", order)


class FloorPayments:
    name = "floor_payments"

    dispatch = EventDispatcher()
    provider = None

    @event_handler("floor_orders", "payment_requested")
    def handle_payment_requested(self, order):
        provider = FloorPayments.provider or _provider()
        FloorPayments.provider = provider
        amount = 420 * sum(item["quantity"] for item in order["items"])  # the bench's price, in cents
        intent = provider.payment_intents.create(
            params={
                "amount": amount,
                "currency": "eur",
                "payment_method": order["payment_method"],
                "capture_method": "manual",
                "metadata": {"order_id": order["id"]},
            }
        )
        provider.payment_intents.confirm(intent.id)
        self.dispatch("payment_authorised", order)


def _provider():
    return stripe.StripeClient(
        os.environ["STRIPE_API_KEY"], base_addresses={"api": os.environ["STRIPE_API_BASE"]}, max_network_retries=0
    ).v1


class FloorNotifications:
    name = "floor_notifications"

    @event_handler("floor_orders", "order_confirmed")
    def handle_order_confirmed(self, order):
        with open(os.environ["FLOOR_CONFIRMATIONS"], "a") as confirmations:
            confirmations.write(f"{order['accepted_at']} {time.time()}\n")
