"""The ``shipping`` Nameko service: where orders go, what that costs, and what became of each parcel.

A quote checks an address against its country's rules and prices the
parcel by its weight (the catalogue's, as inventory's events tell it) and the
destination's zone.
A confirmed order gets a shipment awaiting dispatch; staff dispatch it (through
the orders service, which calls ``dispatch_shipment``) with a carrier and a
tracking number; the carrier's signed update, or staff, say it arrived. An
order that ends first cancels its shipment.
"""

import json

from inventory_service import events as inventory_events
from order_service import events as order_events
from shipping_service import carrier_updates, events, shipments
from shipping_service.exceptions import InvalidCarrierUpdate
from shipping_service.models import Base, OutboxMessage, ProcessedEvent
from shipping_service.schemas import (
    CarrierUpdate,
    CarrierWebhook,
    DispatchRequest,
    QuoteRequest,
    RateTable,
    ShipmentQuery,
    shipment_output,
)
from shipping_service.settings import ShippingSettings
from shop_common.messaging.entrypoints import command, query
from shop_common.messaging.handlers import event_handler
from shop_common.messaging.outbox import Outbox
from shop_common.messaging.rpc_proxy import GuardedRpcProxy
from shop_common.observability.metrics import CARRIER_UPDATES, SHIPMENTS
from shop_common.operations import service_base
from shop_common.persistence.database import database_session
from shop_common.vocabulary.errors import InvalidInput
from shop_common.vocabulary.validation import load, valid_id


class ShippingService(service_base.DomainService):
    name = "shipping"

    db = database_session(Base)
    outbox = Outbox(Base, OutboxMessage)
    inventory_rpc = GuardedRpcProxy("inventory")
    settings = ShippingSettings()

    @query
    def quote(self, shipping_address, items):
        """What shipping ``items`` (``[{sku, quantity}]``) to ``shipping_address`` costs, and the address as its
        country writes it: ``{shipping_address, weight_grams, shipping_cost, currency}`` (anyone)."""
        request = load(QuoteRequest(), {"shipping_address": shipping_address, "items": items})
        return events.Quote().dump(
            shipments.quote(
                self.db,
                request["shipping_address"],
                request["items"],
                self._weights(request["items"]),
                self.settings.countries,
                self.settings.currency,
            )
        )

    def _weights(self, lines):
        """sku -> grams of the products of ``lines``: as the catalogue told them, or, for one not told of yet (made
        a moment ago), as the inventory service answers now (None for a product it has not weighed)."""
        skus = sorted({line["sku"] for line in lines})
        weights = shipments.known_weights(self.db, skus)
        untold = [sku for sku in skus if sku not in weights]
        if untold:
            weights.update(
                (product["sku"], product["weight_grams"]) for product in self.inventory_rpc.list_products(untold)
            )
        return weights

    @query
    def get_shipment(self, order_id):
        self.caller.require(self.caller.is_staff, "see a shipment")
        return shipment_output.dump(shipments.find_shipment(self.db, valid_id("order_id", order_id)))

    @query
    def list_shipments(self, **criteria):
        """Shipments oldest first: ``status`` (``awaiting_dispatch``: what to send next), ``limit`` (at most 100),
        ``after`` (``{"created_at", "order_id"}`` of the last one of the page before) (staff)."""
        self.caller.require(self.caller.is_staff, "list shipments")
        return shipment_output.dump(shipments.list_shipments(self.db, **load(ShipmentQuery(), criteria)), many=True)

    @command
    def dispatch_shipment(self, order_id, shipping_address, carrier, tracking_number):
        """The order's parcel handed to ``carrier`` under ``tracking_number`` (staff; the orders service calls it
        when staff ship an order)."""
        self.caller.require(self.caller.is_staff, "dispatch a shipment")
        request = load(
            DispatchRequest(),
            {"shipping_address": shipping_address, "carrier": carrier, "tracking_number": tracking_number},
        )
        return self._commit("dispatch", shipments.dispatch(self.db, valid_id("order_id", order_id), **request))

    @command
    def deliver_shipment(self, order_id):
        """The order's parcel arrived, as staff say (the orders service calls it)."""
        self.caller.require(self.caller.is_staff, "mark a shipment delivered")
        return self._commit("deliver", shipments.deliver(self.db, valid_id("order_id", order_id)))

    @command
    def receive_carrier_update(self, payload, signature):
        """A carrier's status update as it came (the raw body and its ``Carrier-Signature``), applied once."""
        webhook = load(CarrierWebhook(), {"payload": payload, "signature": signature})
        body = webhook["payload"].encode()
        try:
            self.settings.verify_carrier_update(body, webhook["signature"])
        except carrier_updates.InvalidSignature as invalid:
            CARRIER_UPDATES.labels("refused").inc()
            raise InvalidCarrierUpdate(str(invalid)) from None
        change, outcome = shipments.follow_carrier(self.db, load(CarrierUpdate(), _json_object(body)))
        self._commit("deliver", change)
        CARRIER_UPDATES.labels(outcome).inc()
        return {"received": True}

    @query
    def get_rates(self):
        """The rate table: ``{zones: {country: zone}, bands: [{zone, up_to_grams, cost}]}``."""
        return RateTable().dump(shipments.rate_table(self.db))

    @command
    def replace_rates(self, zones, bands):
        """A new rate table in place of the old, at once (staff)."""
        self.caller.require(self.caller.is_staff, "replace the shipping rates")
        table = shipments.replace_rates(self.db, **load(RateTable(), {"zones": zones, "bands": bands}))
        self.db.commit()
        return RateTable().dump(table)

    @event_handler(
        inventory_events.SOURCE,
        inventory_events.PRODUCT_WEIGHED,
        payload=inventory_events.ProductWeighed,
        inbox=ProcessedEvent,
    )
    def handle_product_weighed(self, event):
        shipments.record_weight(self.db, event["sku"], event["weight_grams"], event["weighed_at"])
        self.db.commit()

    @event_handler(
        order_events.SOURCE,
        order_events.ORDER_CONFIRMED,
        payload=order_events.OrderEvent,
        inbox=ProcessedEvent,
        batch=True,
    )
    def handle_order_confirmed(self, batch):
        confirmed = [(event["order"]["id"], event["order"]["shipping_address"]) for event in batch]
        changes = shipments.open_shipments(self.db, confirmed)
        self.commit_batch(batch, changes, events.shipment_event)
        for change in changes:
            _count("open", change)

    @event_handler(
        order_events.SOURCE, order_events.ORDER_CANCELLED, payload=order_events.OrderEvent, inbox=ProcessedEvent
    )
    def handle_order_cancelled(self, event):
        self._commit("cancel", shipments.cancel(self.db, event["order"]["id"]))

    def _commit(self, step, change):
        """Commit the shipment's change with its event (when someone is told), count it by ``step``, and answer it."""
        self.commit_with_event(change, events.shipment_event)
        _count(step, change)
        return None if change.subject is None else shipment_output.dump(change.subject)


def _count(step, change):
    if change.happened:
        SHIPMENTS.labels(step, change.subject.status).inc()


def _json_object(body):
    try:
        return json.loads(body)
    except ValueError:
        raise InvalidInput("the body is not JSON", {"_schema": ["must be a JSON object"]}) from None
