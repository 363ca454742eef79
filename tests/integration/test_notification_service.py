"""The notifications service in a real container, with a real RabbitMQ and SMTP server."""

import pytest
from nameko.testing.services import entrypoint_waiter

from notification_service.service import NotificationService
from shop_common.vocabulary.events import new_event


def order(email, order_id="o1", status="confirmed"):
    return {
        "id": order_id,
        "customer_id": "acc-1",
        "customer_email": email,
        "status": status,
        "rejection_reason": None,
        "items": [{"sku": "TEA-1", "quantity": 1, "unit_price": "12.50"}],
        "total": "12.50",
        "created_at": "2026-11-23T10:00:00+00:00",
        "updated_at": "2026-11-23T10:00:01+00:00",
    }


@pytest.fixture
def notifications(container_factory, config, rpc_client):
    container = container_factory(NotificationService, config)
    container.start()
    return container, rpc_client("notifications")


@pytest.mark.parametrize(
    "event_type, kind",
    [
        ("order_confirmed", "confirmed"),
        ("order_rejected", "rejected"),
        ("order_cancelled", "cancelled"),
        ("order_shipped", "shipped"),
    ],
)
def test_each_outcome_mails_the_customer_once_with_the_order_id(
    notifications, publish_event, smtp_sink, event_type, kind
):
    container, client = notifications
    email = f"it-{kind}@example.com"
    event = new_event(order=order(email, status=kind))
    for _ in range(2):
        with entrypoint_waiter(container, f"handle_{event_type}"):
            publish_event("orders", event_type, event)
    assert smtp_sink.subjects_to(email) == [f"Order o1 {kind}"]
    assert [(n["regarding_id"], n["kind"]) for n in client.list_notifications(email)] == [("o1", kind)]


def test_the_record_lists_a_customers_emails_only(notifications, publish_event):
    container, client = notifications
    for order_id, email in (("o1", "it-a@example.com"), ("o2", "it-b@example.com")):
        with entrypoint_waiter(container, "handle_order_shipped"):
            publish_event("orders", "order_shipped", new_event(order=order(email, order_id, "shipped")))
    assert [n["regarding_id"] for n in client.list_notifications("it-a@example.com")] == ["o1"]


def test_an_account_registered_event_sends_one_welcome_email_to_its_address_and_a_redelivery_sends_none(
    notifications, publish_event, smtp_sink
):
    container, client = notifications
    email = "it-welcome@example.com"
    event = new_event(
        account={"id": "acc-new", "email": email, "role": "customer", "created_at": "2026-11-23T10:00:00+00:00"}
    )
    for _ in range(2):
        with entrypoint_waiter(container, "handle_account_registered"):
            publish_event("accounts", "account_registered", event)
    assert smtp_sink.subjects_to(email) == ["Welcome to the shop"]
    assert len(smtp_sink.messages_to(email)) == 1
    assert [(n["regarding_id"], n["kind"], n["subject"]) for n in client.list_notifications(email)] == [
        ("acc-new", "welcome", "Welcome to the shop")
    ]
