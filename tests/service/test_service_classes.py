"""Event handlers as methods (nameko's ``worker_factory``) on a real database, with a recording outbox.

``RecordingOutbox`` has the interface of the ``OutboxWriter`` a worker gets,
and keeps what was added instead of writing rows; the database is real.
"""

from decimal import Decimal

from nameko.testing.services import worker_factory

from inventory_service import stock
from inventory_service.service import InventoryService
from shop_common.messaging.batch_events import Batch
from shop_common.vocabulary.events import new_event


class RecordingOutbox:
    def __init__(self):
        self.added = []

    def add(self, session, event_type, payload, context=None):
        self.added.append((event_type, payload))


def batch_of(*events):
    """What a batch handler's worker gets: the events, each with the context it came with (none here)."""
    return Batch([(event, {}) for event in events])


def order_event(order_id, items):
    return new_event(
        order={
            "id": order_id,
            "customer_email": "ada@example.com",
            "status": "pending",
            "items": items,
            "total": None,
            "rejection_reason": None,
            "created_at": "2026-11-23T10:00:00+00:00",
            "updated_at": "2026-11-23T10:00:00+00:00",
        }
    )


def test_an_event_delivered_twice_reserves_once_and_publishes_once(inventory_db):
    stock.create_product(inventory_db, "TEA-1", "Green tea", Decimal("12.50"), 5, weight_grams=250)
    inventory_db.commit()
    outbox = RecordingOutbox()
    inventory = worker_factory(InventoryService, db=inventory_db, outbox=outbox)
    event = order_event("o1", [{"sku": "TEA-1", "quantity": 2, "unit_price": None}])

    inventory.handle_order_created(batch_of(event))
    inventory.handle_order_created(batch_of(event))

    assert [event_type for event_type, _ in outbox.added] == ["stock_reserved"]
    assert stock.find_product(inventory_db, "TEA-1").stock == 3


def test_a_refused_reservation_publishes_what_was_short(inventory_db):
    outbox = RecordingOutbox()
    inventory = worker_factory(InventoryService, db=inventory_db, outbox=outbox)
    inventory.handle_order_created(batch_of(order_event("o2", [{"sku": "NO-SUCH", "quantity": 1, "unit_price": None}])))
    [(event_type, payload)] = outbox.added
    assert event_type == "stock_reservation_failed"
    assert payload["shortages"] == [{"sku": "NO-SUCH", "requested": 1, "available": 0}]
    assert payload["reason"] == "insufficient stock (NO-SUCH: unknown product)"
