"""Recording and sending emails against a real PostgreSQL database and a real SMTP server."""

from datetime import timedelta

import eventlet
import pytest
from sqlalchemy import select, update

from notification_service import notices
from notification_service.exceptions import EmailBeingSent
from notification_service.mailer import SmtpMailer
from notification_service.messages import order_email, welcome_email
from notification_service.models import SentEmail
from order_service.events import ORDER_CONFIRMED
from shop_common.vocabulary.clock import utc_now

ORDER = {
    "id": "o1",
    "customer_email": "ada@example.com",
    "status": "confirmed",
    "items": [{"sku": "TEA-1", "quantity": 1, "unit_price": "1.00"}],
    "total": "1.00",
    "rejection_reason": None,
}


def confirmed(event_id, **order):
    """The event id and email of an ``order_confirmed`` event for ``ORDER`` with ``order``'s changes."""
    return event_id, order_email(ORDER_CONFIRMED, {**ORDER, **order})


@pytest.fixture
def mailer(smtp_sink):
    return SmtpMailer("127.0.0.1", smtp_sink.port, "shop@test.local", timeout=5)


def test_an_event_sends_one_email_and_records_it(notifications_db, mailer, smtp_sink):
    email = "svc-one@example.com"
    event_id, message = confirmed("e1", customer_email=email)
    assert notices.notify(notifications_db, mailer, event_id, message) is True
    notifications_db.commit()
    assert smtp_sink.subjects_to(email) == ["Order o1 confirmed"]
    assert [(n.regarding_id, n.kind, n.event_id) for n in notices.sent_to(notifications_db, email)] == [
        ("o1", "confirmed", "e1")
    ]


def test_a_redelivered_event_sends_nothing(notifications_db, mailer, smtp_sink):
    email = "svc-twice@example.com"
    event = confirmed("e2", id="o2", customer_email=email)
    notices.notify(notifications_db, mailer, *event)
    notifications_db.commit()
    assert notices.notify(notifications_db, mailer, *event) is False
    notifications_db.commit()
    assert len(smtp_sink.messages_to(email)) == 1


def test_an_email_that_could_not_be_sent_is_not_listed_and_is_sent_on_the_next_delivery(
    notifications_db, mailer, smtp_sink
):
    email = "svc-down@example.com"
    unreachable = SmtpMailer("127.0.0.1", 1, "shop@test.local", timeout=1)
    event = confirmed("e3", id="o3", customer_email=email)
    with pytest.raises(OSError):
        notices.notify(notifications_db, unreachable, *event)
    notifications_db.rollback()
    assert notices.sent_to(notifications_db, email) == []
    assert notices.notify(notifications_db, mailer, *event) is True
    notifications_db.commit()
    assert smtp_sink.subjects_to(email) == ["Order o3 confirmed"]
    assert len(notices.sent_to(notifications_db, email)) == 1


def test_two_deliveries_of_one_event_at_the_same_moment_send_one_email(clean_databases, mailer, smtp_sink):
    email = "svc-race@example.com"
    event = confirmed("e4", id="o4", customer_email=email)

    def try_deliver(_):
        with clean_databases.session("notifications") as session:
            try:
                return notices.notify(session, mailer, *event)
            except EmailBeingSent:
                return "being sent"

    outcomes = list(eventlet.GreenPool(2).imap(try_deliver, range(2)))
    # the one that lost the race sees the email sent, or being sent (and is retried later)
    assert sorted(map(str, outcomes)) in (["False", "True"], ["True", "being sent"])
    assert len(smtp_sink.messages_to(email)) == 1


def test_a_claim_left_by_a_delivery_that_died_is_taken_over_after_the_lease(notifications_db, mailer, smtp_sink):
    email = "svc-lease@example.com"
    event = confirmed("e5", id="o5", customer_email=email)
    event_id, message = event
    notices._claim(notifications_db, {(message.regarding_id, message.kind): event}, "dead-holder", lease=timedelta(0))
    with pytest.raises(EmailBeingSent):
        notices.notify(notifications_db, mailer, *event)
    lease = 2 * mailer.longest_send
    notifications_db.execute(
        update(SentEmail)
        .where(SentEmail.regarding_id == "o5")
        .values(claimed_at=utc_now() - lease + timedelta(seconds=1))
    )
    notifications_db.commit()
    with pytest.raises(EmailBeingSent):  # a second before the lease ends: still the holder's
        notices.notify(notifications_db, mailer, *event)
    notifications_db.execute(
        update(SentEmail)
        .where(SentEmail.regarding_id == "o5")
        .values(claimed_at=utc_now() - lease - timedelta(seconds=1))
    )
    notifications_db.commit()
    assert notices.notify(notifications_db, mailer, *event) is True
    assert smtp_sink.subjects_to(email) == ["Order o5 confirmed"]


def test_an_account_is_welcomed_once_even_when_another_event_asks_again(notifications_db, mailer, smtp_sink):
    email = "svc-welcome@example.com"
    account = {"id": "acc-1", "email": email, "role": "customer", "created_at": "2026-11-23T10:00:00+00:00"}
    assert notices.notify(notifications_db, mailer, "e6", welcome_email(account)) is True
    notifications_db.commit()
    assert notices.notify(notifications_db, mailer, "e6", welcome_email(account)) is False
    assert notices.notify(notifications_db, mailer, "e7", welcome_email(account)) is False
    notifications_db.commit()
    assert smtp_sink.subjects_to(email) == ["Welcome to the shop"]
    assert [(n.regarding_id, n.kind) for n in notices.sent_to(notifications_db, email)] == [("acc-1", "welcome")]


def test_emails_notified_together_are_each_sent_once_and_recorded(notifications_db, mailer, smtp_sink):
    email = "svc-together@example.com"
    before = confirmed("e20", id="o20", customer_email=email)
    notices.notify(notifications_db, mailer, *before)
    first, second = (confirmed(f"e2{n}", id=f"o2{n}", customer_email=email) for n in (1, 2))
    assert notices.notify_all(notifications_db, mailer, [first, before, second, first]) == [True, False, True, True]
    assert sorted(smtp_sink.subjects_to(email)) == ["Order o20 confirmed", "Order o21 confirmed", "Order o22 confirmed"]
    assert sorted(n.regarding_id for n in notices.sent_to(notifications_db, email)) == ["o20", "o21", "o22"]


def test_a_send_failing_among_emails_notified_together_keeps_those_sent_and_frees_the_others(
    notifications_db, mailer, smtp_sink
):
    email = "svc-failing@example.com"
    good = confirmed("e31", id="o31", customer_email=email)
    unsendable = confirmed("e32", id="o32", customer_email="no\nsuch@example.com")  # refused before it leaves
    after = confirmed("e33", id="o33", customer_email=email)
    with pytest.raises(ValueError):
        notices.notify_all(notifications_db, mailer, [good, unsendable, after])
    assert smtp_sink.subjects_to(email) == ["Order o31 confirmed"]
    assert [n.regarding_id for n in notices.sent_to(notifications_db, email)] == ["o31"]
    assert notices.notify_all(notifications_db, mailer, [good, after]) == [False, True]  # no lease to wait out
    assert sorted(smtp_sink.subjects_to(email)) == ["Order o31 confirmed", "Order o33 confirmed"]


def test_emails_notified_together_wait_when_another_delivery_holds_one(notifications_db, mailer, smtp_sink):
    email = "svc-held@example.com"
    held, free = confirmed("e41", id="o41", customer_email=email), confirmed("e42", id="o42", customer_email=email)
    notices._claim(notifications_db, {("o41", "confirmed"): held}, "another-holder", lease=timedelta(0))
    with pytest.raises(EmailBeingSent):
        notices.notify_all(notifications_db, mailer, [free, held])
    assert smtp_sink.subjects_to(email) == []
    # Nothing committed: no claim of this call can be left held by a connection lost before it was given up.
    assert notifications_db.scalars(select(SentEmail.regarding_id).where(SentEmail.regarding_id == "o42")).all() == []
    assert notices.notify(notifications_db, mailer, *free) is True
