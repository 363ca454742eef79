"""The ``gateway`` Nameko service: the shop's HTTP API.

Each endpoint validates its input, calls the services over RPC and composes
their answers. Examples (request and response bodies are JSON)::

    POST /products  {"sku": "TEA-1", "name": "Green tea", "price": "12.50", "stock": 5}
      -> 201 {"sku": "TEA-1", "name": "Green tea", "price": "12.50", "stock": 5}
    POST /orders  {"customer_email": "ada@example.com", "items": [{"sku": "TEA-1", "quantity": 2}]}
      -> 201 {"id": "...", "status": "pending", "items": [...], "total": null, ...}
    GET /orders/<id>
      -> 200 {"id": "...", "status": "confirmed", "items": [{"sku": "TEA-1", "quantity": 2,
              "unit_price": "12.50", "name": "Green tea"}], "total": "25.00", ...}
"""

import uuid
from logging import getLogger

from nameko_tracer import Tracer

from gateway.composition import skus_of, with_product_names
from gateway.http import http, read_json
from gateway.idempotency import fingerprint, idempotency_key, keyed_order_id
from gateway.rpc import GuardedRpcProxy
from gateway.schemas import NewOrder, NewProduct, OrderQuery, Restock, order_response, product_response
from shop_common.vocabulary.errors import ServiceUnavailable, ShopError
from shop_common.messaging.request_context import RequestContext
from shop_common.vocabulary.validation import load, valid_id

_log = getLogger(__name__)


class GatewayService:
    name = "gateway"

    orders_rpc = GuardedRpcProxy("orders")
    inventory_rpc = GuardedRpcProxy("inventory")
    tracer = Tracer()
    request_id = RequestContext()

    @http("GET", "/health")
    def health(self, request):
        return {"status": "ok"}

    @http("POST", "/products")
    def create_product(self, request):
        product = NewProduct().dump(load(NewProduct(), read_json(request)))
        return 201, product_response.dump(self.inventory_rpc.create_product(product))

    @http("GET", "/products")
    def list_products(self, request):
        return {"items": product_response.dump(self.inventory_rpc.list_products(), many=True)}

    @http("GET", "/products/<sku>")
    def get_product(self, request, sku):
        return product_response.dump(self.inventory_rpc.get_product(valid_id("sku", sku)))

    @http("POST", "/products/<sku>/restock")
    def restock(self, request, sku):
        quantity = load(Restock(), read_json(request))["quantity"]
        return product_response.dump(self.inventory_rpc.restock(valid_id("sku", sku), quantity))

    @http("POST", "/orders")
    def create_order(self, request):
        """The gateway names the order, so a call redelivered to orders cannot place it twice.

        With an ``Idempotency-Key`` the name comes from the key and the client,
        so the client's own retry cannot place it twice either. A 503 carries
        that ``order_id``: the outcome is unknown (the order may have been taken
        just before the answer was lost), and GET tells.
        """
        order = load(NewOrder(), read_json(request))
        key = idempotency_key(request.headers)
        order_id = uuid.uuid4().hex if key is None else keyed_order_id(order["customer_email"], key)
        try:
            return 201, order_response.dump(self.orders_rpc.create_order(
                order, order_id=order_id, fingerprint=None if key is None else fingerprint(order)))
        except ServiceUnavailable as unavailable:
            raise ServiceUnavailable(unavailable.message, {**unavailable.details, "order_id": order_id}) from None

    @http("GET", "/orders")
    def list_orders(self, request):
        query = load(OrderQuery(), dict(request.args.items()))
        orders = self._with_product_names(self.orders_rpc.list_orders(**query))
        return {"items": order_response.dump(orders, many=True)}

    @http("GET", "/orders/<order_id>")
    def get_order(self, request, order_id):
        return self._one_order(self.orders_rpc.get_order(valid_id("order_id", order_id)))

    @http("POST", "/orders/<order_id>/cancel")
    def cancel_order(self, request, order_id):
        return self._one_order(self.orders_rpc.cancel_order(valid_id("order_id", order_id)))

    @http("POST", "/orders/<order_id>/ship")
    def ship_order(self, request, order_id):
        return self._one_order(self.orders_rpc.ship_order(valid_id("order_id", order_id)))

    def _one_order(self, order):
        return order_response.dump(self._with_product_names([order])[0])

    def _with_product_names(self, orders):
        """Lines with product names from the catalogue; without them when it does not answer."""
        if not orders:
            return orders
        try:
            products = self.inventory_rpc.list_products(skus_of(orders))
        except ShopError as error:
            _log.warning("order shown without product details: %s", error)
            products = None
        return with_product_names(orders, products)
