"""Recording and sending emails against a real PostgreSQL database and a real SMTP server."""

import pytest

from notification_service import notices
from notification_service.mailer import SmtpMailer

ORDER = {"id": "o1", "customer_email": "ada@example.com", "status": "confirmed",
         "items": [{"sku": "TEA-1", "quantity": 1, "unit_price": "1.00"}], "total": "1.00", "rejection_reason": None}


@pytest.fixture
def mailer(smtp_sink):
    return SmtpMailer("127.0.0.1", smtp_sink.port, "shop@test.local", timeout=5)


def test_an_event_sends_one_email_and_records_it(notifications_db, mailer, smtp_sink):
    email = "svc-one@example.com"
    event = {"event_id": "e1", "order": {**ORDER, "customer_email": email}}
    assert notices.notify(notifications_db, mailer, "confirmed", event) is True
    notifications_db.commit()
    assert smtp_sink.subjects_to(email) == ["Order o1 confirmed"]
    assert [(n.order_id, n.kind) for n in notices.sent_to(notifications_db, email.upper())] == [("o1", "confirmed")]


def test_a_redelivered_event_sends_nothing(notifications_db, mailer, smtp_sink):
    email = "svc-twice@example.com"
    event = {"event_id": "e2", "order": {**ORDER, "id": "o2", "customer_email": email}}
    notices.notify(notifications_db, mailer, "confirmed", event)
    notifications_db.commit()
    assert notices.notify(notifications_db, mailer, "confirmed", event) is False
    notifications_db.commit()
    assert len(smtp_sink.messages_to(email)) == 1


def test_an_email_that_could_not_be_sent_leaves_no_record(notifications_db):
    unreachable = SmtpMailer("127.0.0.1", 1, "shop@test.local", timeout=1)
    event = {"event_id": "e3", "order": {**ORDER, "id": "o3", "customer_email": "svc-down@example.com"}}
    with pytest.raises(OSError):
        notices.notify(notifications_db, unreachable, "confirmed", event)
    notifications_db.rollback()
    assert notices.sent_to(notifications_db, "svc-down@example.com") == []
