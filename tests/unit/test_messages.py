from notification_service import messages

ORDER = {
    "id": "abc123", "customer_email": "ada@example.com", "status": "confirmed",
    "items": [{"sku": "TEA-1", "quantity": 2, "unit_price": "12.50"}],
    "total": "25.00", "rejection_reason": None,
}


def test_subject_names_the_order_and_its_outcome():
    for kind in (messages.CONFIRMED, messages.REJECTED, messages.CANCELLED, messages.SHIPPED):
        subject, _ = messages.compose(kind, ORDER)
        assert subject == f"Order abc123 {kind}"


def test_confirmation_lists_lines_and_total():
    _, body = messages.compose(messages.CONFIRMED, ORDER)
    assert "2 x TEA-1 at 12.50" in body
    assert "Total: 25.00" in body


def test_rejection_gives_the_reason():
    rejected = {**ORDER, "total": None, "items": [{"sku": "TEA-1", "quantity": 9, "unit_price": None}],
                "rejection_reason": "insufficient stock (TEA-1: 9 requested, 1 available)"}
    _, body = messages.compose(messages.REJECTED, rejected)
    assert "Reason: insufficient stock (TEA-1: 9 requested, 1 available)" in body
    assert "Total" not in body
