"""What the notifications service does, as functions over a database session."""

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from notification_service.messages import compose
from notification_service.models import SentEmail
from shop_common.clock import utc_now
from shop_common.database import commit_surely

LIST_LIMIT = 100


def notify(session, mailer, kind, event):
    """Send the email for ``event`` unless it was sent before; True when it was sent now.

    The email is claimed (committed) before it is sent and marked sent after,
    under a row lock, so a second delivery of the event, even at the same
    moment, sends nothing; an email that could not be sent stays unsent and is
    tried again with the next delivery. The mark is committed again on a fresh
    connection if the first one is lost, so only a database away for longer
    than those retries (or a crash right after the send) can send it twice.
    """
    order = event["order"]
    subject, body = compose(kind, order)
    session.execute(
        insert(SentEmail)
        .values(event_id=event["event_id"], order_id=order["id"], kind=kind,
                customer_email=order["customer_email"], subject=subject, claimed_at=utc_now())
        .on_conflict_do_nothing()
    )
    session.commit()
    claim = session.scalars(
        select(SentEmail).where(SentEmail.order_id == order["id"], SentEmail.kind == kind).with_for_update()
    ).one()
    if claim.sent_at is not None:
        return False
    mailer.send(order["customer_email"], subject, body)
    sent_at, claim_id = utc_now(), claim.id
    commit_surely(session, lambda retried: retried.execute(
        update(SentEmail).where(SentEmail.id == claim_id).values(sent_at=sent_at)))
    return True


def sent_to(session, customer_email):
    query = (
        select(SentEmail)
        .where(SentEmail.customer_email == customer_email.lower(), SentEmail.sent_at.is_not(None))
        .order_by(SentEmail.sent_at.desc(), SentEmail.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(session.scalars(query))
