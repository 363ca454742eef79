from notification_service import messages
from order_service import events

ORDER = {
    "id": "abc123",
    "customer_id": "acc-1",
    "customer_email": "ada@example.com",
    "status": "confirmed",
    "items": [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50"}],
    "total": "25.00",
    "rejection_reason": None,
}


def test_every_outcome_event_has_a_message_and_its_subject_names_the_order_and_outcome():
    outcomes = {
        events.ORDER_CONFIRMED: "confirmed",
        events.ORDER_REJECTED: "rejected",
        events.ORDER_CANCELLED: "cancelled",
        events.ORDER_SHIPPED: "shipped",
        events.ORDER_DELIVERED: "delivered",
        events.ORDER_REFUNDED: "refunded",
    }
    assert set(messages.HEADLINES) == set(outcomes)
    for event_type, outcome in outcomes.items():
        email = messages.order_email(event_type, ORDER)
        assert email.subject == f"Order abc123 {outcome}"
        assert (email.regarding_id, email.kind, email.to) == ("abc123", outcome, "ada@example.com")


def test_confirmation_lists_lines_and_total():
    body = messages.order_email(events.ORDER_CONFIRMED, ORDER).body
    assert "2 x TEA-1 at 12.50" in body
    assert "Total: 25.00" in body


def test_totals_name_the_items_the_shipping_and_their_sum_in_the_currency():
    order = {**ORDER, "items_total": "25.00", "shipping_cost": "4.90", "total": "29.90", "currency": "EUR"}
    body = messages.order_email(events.ORDER_CONFIRMED, order).body
    assert tuple(line for line in body.splitlines() if line.startswith(("Items", "Shipping", "Total"))) == (
        "Items: 25.00 EUR",
        "Shipping: 4.90 EUR",
        "Total: 29.90 EUR",
    )


def test_the_shipped_email_names_the_carrier_and_the_tracking_number():
    shipment = {
        "status": "dispatched",
        "carrier": "DHL",
        "tracking_number": "JD0146000062",
        "dispatched_at": None,
        "delivered_at": None,
    }
    body = messages.order_email(events.ORDER_SHIPPED, {**ORDER, "shipment": shipment}).body
    assert "Carrier: DHL" in body and "Tracking number: JD0146000062" in body
    assert "Tracking" not in messages.order_email(events.ORDER_CONFIRMED, ORDER).body


def test_rejection_gives_the_reason():
    rejected = {
        **ORDER,
        "total": None,
        "items": [{"sku": "TEA-1", "quantity": 9, "unit_price": None}],
        "rejection_reason": "insufficient stock (TEA-1: 9 requested, 1 available)",
    }
    body = messages.order_email(events.ORDER_REJECTED, rejected).body
    assert "Reason: insufficient stock (TEA-1: 9 requested, 1 available)" in body
    assert "Total" not in body


def test_a_new_account_is_welcomed_at_its_address_by_one_email_about_the_account():
    account = {"id": "acc-1", "email": "ada@example.com", "role": "customer", "created_at": "2026-11-23T10:00:00+00:00"}
    email = messages.welcome_email(account)
    assert (email.regarding_id, email.kind, email.to, email.subject) == (
        "acc-1",
        messages.WELCOME,
        "ada@example.com",
        "Welcome to the shop",
    )
    assert "ada@example.com" in email.body
    assert email.kind not in {messages.outcome_of(event_type) for event_type in messages.HEADLINES}
