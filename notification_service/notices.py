"""What the notifications service does, as functions over a database session."""

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from notification_service.messages import compose
from notification_service.models import SentEmail
from shop_common.clock import utc_now

LIST_LIMIT = 100


def notify(session, mailer, kind, event):
    """Record and send the email for ``event``; False when it was sent before.

    The record is written first and committed by the caller after the send,
    so an email that could not be sent leaves no record and is tried again,
    and a second delivery of the event waits for the first and then sends nothing.
    """
    order = event["order"]
    subject, body = compose(kind, order)
    recorded = session.execute(
        insert(SentEmail)
        .values(
            event_id=event["event_id"], order_id=order["id"], kind=kind,
            customer_email=order["customer_email"], subject=subject, sent_at=utc_now(),
        )
        .on_conflict_do_nothing()
        .returning(SentEmail.id)
    ).first()
    if recorded is None:
        return False
    mailer.send(order["customer_email"], subject, body)
    return True


def sent_to(session, customer_email):
    query = (
        select(SentEmail)
        .where(SentEmail.customer_email == customer_email.lower())
        .order_by(SentEmail.sent_at.desc(), SentEmail.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(session.scalars(query))
