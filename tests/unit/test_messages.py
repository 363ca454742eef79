from notification_service import messages
from order_service import events

ORDER = {
    "id": "abc123", "customer_email": "ada@example.com", "status": "confirmed",
    "items": [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50"}],
    "total": "25.00", "rejection_reason": None,
}


def test_every_outcome_event_has_a_message_and_its_subject_names_the_order_and_outcome():
    outcomes = {events.ORDER_CONFIRMED: "confirmed", events.ORDER_REJECTED: "rejected",
                events.ORDER_CANCELLED: "cancelled", events.ORDER_SHIPPED: "shipped"}
    assert set(messages.HEADLINES) == set(outcomes)
    for event_type, outcome in outcomes.items():
        subject, _ = messages.compose(event_type, ORDER)
        assert subject == f"Order abc123 {outcome}"


def test_confirmation_lists_lines_and_total():
    _, body = messages.compose(events.ORDER_CONFIRMED, ORDER)
    assert "2 x TEA-1 at 12.50" in body
    assert "Total: 25.00" in body


def test_rejection_gives_the_reason():
    rejected = {**ORDER, "total": None, "items": [{"sku": "TEA-1", "quantity": 9, "unit_price": None}],
                "rejection_reason": "insufficient stock (TEA-1: 9 requested, 1 available)"}
    _, body = messages.compose(events.ORDER_REJECTED, rejected)
    assert "Reason: insufficient stock (TEA-1: 9 requested, 1 available)" in body
    assert "Total" not in body
