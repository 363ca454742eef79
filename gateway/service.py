"""The ``gateway`` Nameko service: the shop's HTTP API.

Each route declares who may use it and what it reads and answers (see
``gateway.http``); its method calls the services over RPC, acting for the
caller, and composes their answers. Examples (bodies are JSON)::

    POST /accounts  {"email": "ada@example.com", "password": "correct horse battery"}
      -> 201 {"id": "...", "email": "ada@example.com", "role": "customer", "created_at": "..."}
    POST /auth/token  {"email": "ada@example.com", "password": "correct horse battery"}
      -> 200 {"access_token": "eyJ...", "token_type": "Bearer", "expires_in": 900, "refresh_token": "shop_rt_..."}
    POST /shipping/quote  {"shipping_address": {"name": "Ada", "street_address": "Unter den Linden 1",
                           "city": "Berlin", "postal_code": "10117", "country_code": "DE"},
                           "items": [{"sku": "TEA-1", "quantity": 2}]}
      -> 200 {"shipping_cost": "4.90", "currency": "EUR", "weight_grams": 500, "shipping_address": {...}}
    POST /orders  {"items": [{"sku": "TEA-1", "quantity": 2}], "payment_method": "pm_card_visa",
                   "shipping_address": {...}}  (Authorization: Bearer <access_token>)
      -> 201 {"id": "...", "status": "pending", "items": [...], "shipping_cost": "4.90", "total": null, ...}
    GET /orders/<id>
      -> 200 {"id": "...", "status": "confirmed", "items": [{"sku": "TEA-1", "quantity": 2,
              "unit_price": "12.50", "name": "Green tea"}], "items_total": "25.00", "shipping_cost": "4.90",
              "total": "29.90", "payment": {"status": "authorised", "amount": "29.90", "currency": "EUR",
              "reference": "pi_...", "refunded": "0.00"}, "shipment": {"status": "awaiting_dispatch"}, ...}
    POST /orders/<id>/ship  {"carrier": "DHL", "tracking_number": "JD014600006281230704"}  (staff)
      -> 200 {"id": "...", "status": "shipped", "shipment": {"status": "dispatched", "carrier": "DHL", ...}, ...}
"""

import uuid
from logging import getLogger

from gateway import contract, docs_page
from gateway.admission import Admission
from gateway.authentication import ANYONE, SIGNED_IN, STAFF
from gateway.composition import skus_of, with_product_names
from gateway.http import http
from gateway.idempotency import fingerprint, idempotency_key, keyed_order_id
from gateway.pagination import decode_cursor, page
from gateway.rate_limits import RateLimits
from gateway.schemas import (
    Account,
    Credentials,
    Health,
    NewAccount,
    NewOrder,
    NewProduct,
    Order,
    OrderPage,
    OrderPosition,
    OrderQuery,
    Product,
    ProductPage,
    ProductPosition,
    ProductQuery,
    Quote,
    QuoteRequest,
    RefreshRequest,
    RefundRequest,
    Restock,
    ShipmentPage,
    ShipmentPosition,
    ShipmentQuery,
    ShipRequest,
    TokenPair,
    WebhookReceipt,
    account_response,
    order_response,
    product_response,
    shipment_response,
)
from shop_common.messaging.rpc_proxy import GuardedRpcProxy
from shop_common.operations import service_base
from shop_common.operations.operated import as_response, live_answer, metrics_answer, ready_answer
from shop_common.vocabulary.errors import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    ShopError,
    Unauthenticated,
    Unprocessable,
)
from shop_common.vocabulary.validation import valid_id

_log = getLogger(__name__)

STRIPE_SIGNATURE_HEADER = "Stripe-Signature"
CARRIER_SIGNATURE_HEADER = "Carrier-Signature"


class GatewayService(service_base.ShopService):
    name = "gateway"

    orders_rpc = GuardedRpcProxy("orders")
    inventory_rpc = GuardedRpcProxy("inventory")
    accounts_rpc = GuardedRpcProxy("accounts")
    payments_rpc = GuardedRpcProxy("payments")
    shipping_rpc = GuardedRpcProxy("shipping")
    rate_limits = RateLimits()
    admission = Admission()

    @http("GET", "/health", access=ANYONE, answers={200: Health})
    def health(self, request):
        return {"status": "ok"}

    @http("GET", "/health/live", access=ANYONE, published=False)
    def health_live(self, request):
        """Its event loop turns (a Kubernetes liveness probe)."""
        return as_response(live_answer())

    @http("GET", "/health/ready", access=ANYONE, published=False)
    def health_ready(self, request):
        """Its AMQP consumers are attached (a readiness probe); 503 naming what fails otherwise."""
        return as_response(ready_answer(self.operations.readiness()))

    @http("GET", "/metrics", access=ANYONE, published=False)
    def metrics(self, request):
        """Prometheus text format."""
        return as_response(metrics_answer())

    @http(
        "POST",
        "/accounts",
        access=ANYONE,
        body=NewAccount,
        answers={201: Account},
        limit_per_address="REGISTRATIONS_PER_ADDRESS",
        calls=("accounts",),
        errors={Conflict: "an account with this email exists already"},
    )
    def register(self, request, body):
        """A customer account; 409 when the email has one already."""
        return 201, account_response.dump(self.accounts_rpc.register(body["email"], body["password"]))

    @http(
        "POST",
        "/auth/token",
        access=ANYONE,
        body=Credentials,
        answers={200: TokenPair},
        calls=("accounts",),
        errors={Unauthenticated: "the email or the password is wrong"},
    )
    def sign_in(self, request, body):
        """Tokens for an email and password. Failed attempts are limited per account and per client address:
        past either limit even the right password gets 429 until the window passes."""
        failures = (
            ("FAILED_SIGN_INS_PER_ACCOUNT", body["email"]),
            ("FAILED_SIGN_INS_PER_ADDRESS", request.client_address),
        )
        with self.rate_limits.counting_failures(failures, Unauthenticated):
            return TokenPair().dump(self.accounts_rpc.sign_in(body["email"], body["password"]))

    @http(
        "POST",
        "/auth/refresh",
        access=ANYONE,
        body=RefreshRequest,
        answers={200: TokenPair},
        calls=("accounts",),
        errors={Unauthenticated: "the refresh token is not valid (spent, revoked or expired): sign in again"},
    )
    def refresh(self, request, body):
        """A new pair for a refresh token, which is spent: a token used twice signs its holders out."""
        return TokenPair().dump(self.accounts_rpc.refresh(body["refresh_token"]))

    @http("POST", "/auth/logout", access=ANYONE, body=RefreshRequest, answers={204: None}, calls=("accounts",))
    def sign_out(self, request, body):
        """Revoke the sign-in of a refresh token (an unknown one too: nothing to tell)."""
        self.accounts_rpc.sign_out(body["refresh_token"])
        return 204, None

    @http(
        "GET",
        "/accounts/me",
        access=SIGNED_IN,
        answers={200: Account},
        calls=("accounts",),
        errors={NotFound: "the access token's account does not exist"},
    )
    def my_account(self, request):
        return account_response.dump(self.accounts_rpc.get_account(self.caller.account_id))

    @http(
        "POST",
        "/products",
        access=STAFF,
        body=NewProduct,
        answers={201: Product},
        calls=("inventory",),
        errors={Conflict: "a product with this sku exists already"},
    )
    def create_product(self, request, body):
        return 201, product_response.dump(self.inventory_rpc.create_product(NewProduct().dump(body)))

    @http("GET", "/products", access=ANYONE, query=ProductQuery, answers={200: ProductPage}, calls=("inventory",))
    def list_products(self, request, query):
        after = query["cursor"] and decode_cursor(query["cursor"], ProductPosition())["sku"]
        products = product_response.dump(self.inventory_rpc.list_products(limit=query["limit"], after=after), many=True)
        return page(products, query["limit"], lambda product: {"sku": product["sku"]})

    @http("GET", "/products/<sku>", access=ANYONE, answers={200: Product}, calls=("inventory",))
    def get_product(self, request, sku):
        return product_response.dump(self.inventory_rpc.get_product(valid_id("sku", sku)))

    @http("POST", "/products/<sku>/restock", access=STAFF, body=Restock, answers={200: Product}, calls=("inventory",))
    def restock(self, request, sku, body):
        return product_response.dump(self.inventory_rpc.restock(valid_id("sku", sku), body["quantity"]))

    @http(
        "POST",
        "/orders",
        access=SIGNED_IN,
        body=NewOrder,
        answers={201: Order},
        limit_per_account="ORDERS_PER_ACCOUNT",
        calls=("orders",),
        errors={Unprocessable: "the Idempotency-Key was used before with another body"},
        headers=(contract.IDEMPOTENCY_KEY,),
    )
    def create_order(self, request, body):
        """An order of the caller's, unless the shop is too far behind to take one now (``admission``). The gateway
        names it, so a call redelivered to orders cannot place it twice.

        With an ``Idempotency-Key`` the name comes from the key and the caller,
        so the client's own retry cannot place it twice either. A 503 carries
        that ``order_id``: the outcome is unknown (the order may have been taken
        just before the answer was lost), and GET tells.
        """
        self.admission.refuse_if_behind(self.orders_rpc.backlog)
        customer = request.identity
        key = idempotency_key(request.headers)
        order_id = uuid.uuid4().hex if key is None else keyed_order_id(customer.caller.account_id, key)
        order = {"customer_id": customer.caller.account_id, "customer_email": customer.email, **body}
        try:
            return 201, order_response.dump(
                self.orders_rpc.create_order(
                    order, order_id=order_id, fingerprint=None if key is None else fingerprint(body)
                )
            )
        except ServiceUnavailable as unavailable:
            raise ServiceUnavailable(unavailable.message, {**unavailable.details, "order_id": order_id}) from None

    @http(
        "GET",
        "/orders",
        access=SIGNED_IN,
        query=OrderQuery,
        answers={200: OrderPage},
        calls=("orders",),
        errors={Forbidden: "customer_email given by a customer: only staff filter by it"},
    )
    def list_orders(self, request, query):
        """The caller's orders, newest first; staff see everyone's and may filter by ``customer_email``."""
        if query["customer_email"]:
            self.caller.require(self.caller.is_staff, "filter orders by customer_email")
        after = query["cursor"] and decode_cursor(query["cursor"], OrderPosition())
        orders = self.orders_rpc.list_orders(
            customer_email=query["customer_email"], status=query["status"], limit=query["limit"], after=after
        )
        return page(
            order_response.dump(self._with_product_names(orders), many=True),
            query["limit"],
            lambda order: {"created_at": order["created_at"], "id": order["id"]},
        )

    @http("GET", "/orders/<order_id>", access=SIGNED_IN, answers={200: Order}, calls=("orders",))
    def get_order(self, request, order_id):
        """The order, if it is the caller's (another customer's is not found) or the caller is staff."""
        return self._one_order(self.orders_rpc.get_order(valid_id("order_id", order_id)))

    @http(
        "POST",
        "/orders/<order_id>/cancel",
        access=SIGNED_IN,
        answers={200: Order},
        calls=("orders",),
        errors={Conflict: "the order can no longer be cancelled"},
    )
    def cancel_order(self, request, order_id):
        return self._one_order(self.orders_rpc.cancel_order(valid_id("order_id", order_id)))

    @http(
        "POST",
        "/orders/<order_id>/ship",
        access=STAFF,
        body=ShipRequest,
        answers={200: Order},
        calls=("orders",),
        errors={Conflict: "the order cannot be shipped in its status, or the tracking number is another parcel's"},
    )
    def ship_order(self, request, order_id, body):
        """Hand a confirmed order's parcel to a carrier: the order is ``shipped``, its payment captured, and the
        customer told the carrier and the tracking number."""
        return self._one_order(
            self.orders_rpc.ship_order(valid_id("order_id", order_id), body["carrier"], body["tracking_number"])
        )

    @http(
        "POST",
        "/orders/<order_id>/deliver",
        access=STAFF,
        answers={200: Order},
        calls=("orders",),
        errors={Conflict: "the order is not shipped"},
    )
    def deliver_order(self, request, order_id):
        """A shipped order's parcel arrived (when its carrier does not say so itself): the order is ``delivered``."""
        return self._one_order(self.orders_rpc.deliver_order(valid_id("order_id", order_id)))

    @http("POST", "/shipping/quote", access=ANYONE, body=QuoteRequest, answers={200: Quote}, calls=("shipping",))
    def quote_shipping(self, request, body):
        """What shipping these items to this address costs; the address checked against its country's rules."""
        return Quote().dump(self.shipping_rpc.quote(body["shipping_address"], body["items"]))

    @http("GET", "/shipments", access=STAFF, query=ShipmentQuery, answers={200: ShipmentPage}, calls=("shipping",))
    def list_shipments(self, request, query):
        """Shipments oldest first: ``status=awaiting_dispatch`` lists what to send next."""
        after = query["cursor"] and decode_cursor(query["cursor"], ShipmentPosition())
        shipments = shipment_response.dump(
            self.shipping_rpc.list_shipments(status=query["status"], limit=query["limit"], after=after), many=True
        )
        return page(
            shipments,
            query["limit"],
            lambda shipment: {"created_at": shipment["created_at"], "order_id": shipment["order_id"]},
        )

    @http(
        "POST",
        "/orders/<order_id>/refund",
        access=STAFF,
        body=RefundRequest,
        answers={200: Order},
        calls=("orders",),
        errors={Conflict: "the order is not shipped or delivered, or not that much is left to refund"},
    )
    def refund_order(self, request, order_id, body):
        """Give back a shipped order's payment: all of it (the order becomes ``refunded``), or ``amount`` of it,
        at most what is left."""
        amount = body["amount"] and f"{body['amount']:.2f}"
        return self._one_order(self.orders_rpc.refund_order(valid_id("order_id", order_id), amount))

    @http(
        "POST",
        "/webhooks/stripe",
        access=ANYONE,
        raw_body="application/json",
        answers={200: WebhookReceipt},
        calls=("payments",),
        headers=(contract.STRIPE_SIGNATURE,),
    )
    def stripe_webhook(self, request, body):
        """The payment provider's events (Stripe webhooks), signed in ``Stripe-Signature``: each applied once, so
        that the shop's record follows the provider's."""
        return self.payments_rpc.receive_provider_event(
            body.decode("utf-8", "replace"), request.headers.get(STRIPE_SIGNATURE_HEADER, "")
        )

    @http(
        "POST",
        "/webhooks/carrier",
        access=ANYONE,
        raw_body="application/json",
        answers={200: WebhookReceipt},
        calls=("shipping",),
        headers=(contract.CARRIER_SIGNATURE,),
    )
    def carrier_webhook(self, request, body):
        """A carrier's status update, signed in ``Carrier-Signature``: each applied once; ``delivered`` makes the
        order delivered."""
        return self.shipping_rpc.receive_carrier_update(
            body.decode("utf-8", "replace"), request.headers.get(CARRIER_SIGNATURE_HEADER, "")
        )

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

    @http("GET", "/openapi.json", access=ANYONE, answers={200: "application/json"})
    def openapi_document(self, request):
        """This document: the HTTP API in OpenAPI 3.0, made from the routes' declarations."""
        return contract.openapi_document(GatewayService)

    @http("GET", "/docs", access=ANYONE, answers={200: "text/html"})
    def docs(self, request):
        """The HTTP API's documentation: this document rendered by Swagger UI."""
        return docs_page.docs_page()

    @http("GET", "/docs/<asset>", access=ANYONE, published=False)
    def docs_asset(self, request, asset):
        """A script, style sheet or icon of the documentation page."""
        return docs_page.docs_asset(asset)
