"""The shipping service's operations against a real PostgreSQL database, with the rates its migration seeds."""

from datetime import UTC, datetime
from decimal import Decimal

import eventlet
import pytest

from harness.shipping import ADDRESS
from shipping_service import shipments
from shipping_service.exceptions import TrackingNumberInUse, TransitionNotAllowed
from shipping_service.models import Shipment
from shop_common.vocabulary.errors import InvalidInput

COUNTRIES = frozenset({"DE", "GB", "US", "CH"})
LINES = [{"sku": "TEA-1", "quantity": 4}]
DELIVERED_AT = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)
NORMAL = {**ADDRESS, "city": "BERLIN", "country_area": "", "city_area": ""}


def quote(session, grams_per_unit=250, address=ADDRESS, lines=LINES):
    return shipments.quote(
        session, {"country_area": "", "city_area": "", **address}, lines, {"TEA-1": grams_per_unit}, COUNTRIES, "EUR"
    )


def opened(session, order_id="order-1"):
    shipments.open_shipment(session, order_id, NORMAL)
    session.commit()
    return order_id


def update(tracking, status="delivered", event_id="evt-1"):
    return {"event_id": event_id, "tracking_number": tracking, "status": status, "occurred_at": DELIVERED_AT}


@pytest.mark.parametrize(
    "grams_per_unit, country, cost",
    [(250, "DE", "4.90"), (2600, "DE", "16.90"), (250, "GB", "9.90"), (250, "US", "14.90")],
)
def test_the_seeded_rates_price_a_parcel_by_its_zone_and_weight(shipping_db, grams_per_unit, country, cost):
    address = {
        "DE": ADDRESS,
        "GB": {**ADDRESS, "city": "London", "postal_code": "SW1A 2AA", "country_code": "GB"},
        "US": {**ADDRESS, "city": "Mountain View", "postal_code": "94043", "country_code": "US", "country_area": "CA"},
    }[country]
    quoted = quote(shipping_db, grams_per_unit, address)
    assert (quoted["shipping_cost"], quoted["currency"], quoted["weight_grams"]) == (
        Decimal(cost),
        "EUR",
        4 * grams_per_unit,
    )
    assert quoted["shipping_address"]["country_code"] == country


def test_a_quote_answers_the_address_normalised(shipping_db):
    assert quote(shipping_db)["shipping_address"] == NORMAL


def test_staff_replace_the_rates_all_at_once_and_a_table_that_does_not_hold_changes_nothing(shipping_db):
    table = shipments.replace_rates(
        shipping_db, {"DE": "HOME"}, [{"zone": "HOME", "up_to_grams": 5000, "cost": Decimal("3.00")}]
    )
    shipping_db.commit()
    assert table == {"zones": {"DE": "HOME"}, "bands": [{"zone": "HOME", "up_to_grams": 5000, "cost": Decimal("3.00")}]}
    assert quote(shipping_db)["shipping_cost"] == Decimal("3.00")
    with pytest.raises(InvalidInput) as refused:
        quote(shipping_db, address={**ADDRESS, "city": "London", "postal_code": "SW1A 2AA", "country_code": "GB"})
    assert refused.value.details == {"shipping_address": {"country_code": ["the shop has no rate for GB yet"]}}
    with pytest.raises(InvalidInput):
        shipments.replace_rates(shipping_db, {"DE": "HOME", "US": "WORLD"}, table["bands"])
    shipping_db.rollback()
    assert shipments.rate_table(shipping_db) == table


def test_a_confirmed_order_opens_one_shipment_awaiting_dispatch(shipping_db):
    first = shipments.open_shipment(shipping_db, "order-1", NORMAL)
    again = shipments.open_shipment(shipping_db, "order-1", NORMAL)
    shipping_db.commit()
    assert (first.happened, again.happened, first.subject.status) == (True, False, "awaiting_dispatch")
    assert first.subject.shipping_address == NORMAL


def test_dispatch_records_the_carrier_and_tracking_number_once(shipping_db):
    order_id = opened(shipping_db)
    dispatched = shipments.dispatch(shipping_db, order_id, NORMAL, "DHL", "JD1")
    shipping_db.commit()
    assert (
        dispatched.happened,
        dispatched.subject.status,
        dispatched.subject.carrier,
        dispatched.subject.tracking_number,
    ) == (True, "dispatched", "DHL", "JD1")
    assert dispatched.subject.dispatched_at.tzinfo is not None
    assert shipments.dispatch(shipping_db, order_id, NORMAL, "DHL", "JD1").happened is False  # asked again
    with pytest.raises(TransitionNotAllowed):
        shipments.dispatch(shipping_db, order_id, NORMAL, "UPS", "1Z999")


def test_a_dispatch_before_the_confirmation_arrived_opens_the_shipment_itself(shipping_db):
    dispatched = shipments.dispatch(shipping_db, "order-early", NORMAL, "DHL", "JD2").subject
    shipping_db.commit()
    assert (dispatched.status, dispatched.shipping_address) == ("dispatched", NORMAL)
    assert shipments.open_shipment(shipping_db, "order-early", NORMAL).happened is False  # the late confirmation


def test_a_tracking_number_belongs_to_one_parcel(shipping_db):
    shipments.dispatch(shipping_db, opened(shipping_db, "order-1"), NORMAL, "DHL", "JD1")
    shipping_db.commit()
    with pytest.raises(TrackingNumberInUse):
        shipments.dispatch(shipping_db, opened(shipping_db, "order-2"), NORMAL, "DHL", "JD1")


def test_two_dispatches_of_one_number_at_the_same_moment_give_it_to_one_parcel(clean_databases):
    for order_id in ("order-1", "order-2"):
        with clean_databases.session("shipping") as session:
            opened(session, order_id)

    def dispatch(order_id):
        with clean_databases.session("shipping") as session:
            try:
                shipments.dispatch(session, order_id, NORMAL, "DHL", "JD-SAME")
                session.commit()
                return "dispatched"
            except TrackingNumberInUse:
                return "refused"

    pool = eventlet.GreenPool()
    assert sorted(pool.imap(dispatch, ["order-1", "order-2"])) == ["dispatched", "refused"]


def test_a_cancelled_order_cancels_its_shipment_and_one_not_opened_yet_never_opens(shipping_db):
    order_id = opened(shipping_db)
    assert shipments.cancel(shipping_db, order_id).subject.status == "cancelled"
    late = shipments.cancel(shipping_db, "order-never-opened")
    shipping_db.commit()
    assert (late.happened, late.subject.status) == (True, "cancelled")
    assert shipments.open_shipment(shipping_db, "order-never-opened", NORMAL).subject.status == "cancelled"
    with pytest.raises(TransitionNotAllowed):
        shipments.dispatch(shipping_db, order_id, NORMAL, "DHL", "JD9")


def test_a_parcel_on_its_way_is_not_cancelled(shipping_db):
    order_id = opened(shipping_db)
    shipments.dispatch(shipping_db, order_id, NORMAL, "DHL", "JD1")
    change = shipments.cancel(shipping_db, order_id)
    assert (change.happened, change.subject.status) == (False, "dispatched")


def test_a_carriers_delivery_is_applied_once_per_event_and_dates_the_delivery(shipping_db):
    shipments.dispatch(shipping_db, opened(shipping_db), NORMAL, "DHL", "JD1")
    shipping_db.commit()
    change, outcome = shipments.follow_carrier(shipping_db, update("JD1"))
    shipping_db.commit()
    assert (outcome, change.happened, change.subject.status, change.subject.delivered_at) == (
        "applied",
        True,
        "delivered",
        DELIVERED_AT,
    )
    assert shipments.follow_carrier(shipping_db, update("JD1"))[1] == "repeated"
    again, outcome = shipments.follow_carrier(shipping_db, update("JD1", event_id="evt-2"))
    assert (outcome, again.happened) == ("applied", False)  # another event of the same delivery


@pytest.mark.parametrize("status, tracking", [("in_transit", "JD1"), ("delivered", "UNKNOWN")])
def test_a_carrier_update_the_shop_does_not_act_on_changes_nothing(shipping_db, status, tracking):
    order_id = opened(shipping_db)
    shipments.dispatch(shipping_db, order_id, NORMAL, "DHL", "JD1")
    change, outcome = shipments.follow_carrier(shipping_db, update(tracking, status))
    assert (outcome, change.happened) == ("ignored", False)
    assert shipping_db.get(Shipment, order_id).status == "dispatched"


def test_staff_deliver_a_parcel_on_its_way_only(shipping_db):
    order_id = opened(shipping_db)
    with pytest.raises(TransitionNotAllowed):
        shipments.deliver(shipping_db, order_id)
    shipments.dispatch(shipping_db, order_id, NORMAL, "DHL", "JD1")
    delivered = shipments.deliver(shipping_db, order_id)
    assert (delivered.happened, delivered.subject.status) == (True, "delivered")
    assert shipments.deliver(shipping_db, order_id).happened is False


def test_shipments_are_listed_oldest_first_by_status_in_pages(shipping_db):
    for order_id in ("o-1", "o-2", "o-3"):
        opened(shipping_db, order_id)
    shipments.dispatch(shipping_db, "o-2", NORMAL, "DHL", "JD1")
    shipping_db.commit()
    first = shipments.list_shipments(shipping_db, 1, status="awaiting_dispatch")
    after = {"created_at": first[0].created_at, "order_id": first[0].order_id}
    rest = shipments.list_shipments(shipping_db, 10, status="awaiting_dispatch", after=after)
    assert [s.order_id for s in first + rest] == ["o-1", "o-3"]


def test_the_catalogues_weights_are_kept_the_newest_told_winning_whatever_order_they_come_in(shipping_db):
    earlier, later = datetime(2026, 12, 6, 10, 0, tzinfo=UTC), datetime(2026, 12, 6, 10, 5, tzinfo=UTC)
    shipments.record_weight(shipping_db, "TEA-1", 300, later)
    shipments.record_weight(shipping_db, "TEA-1", 250, earlier)  # overtaken: an older weighing
    shipments.record_weight(shipping_db, "CUP-1", 400, earlier)
    shipping_db.commit()
    assert shipments.known_weights(shipping_db, ["TEA-1", "CUP-1", "POT-1"]) == {"TEA-1": 300, "CUP-1": 400}
