"""What the notifications service does, as functions over a database session.

Each email is sent by whoever holds its claim: a row per (what it is about, kind),
with a token and a time. A delivery of the event takes the claim when the
email is new, or unsent and unclaimed, or unsent with a claim older than
the lease (its holder died: a claim is held at most twice the longest send);
sends; and marks it sent with its token.
So a second delivery, even at the same moment and even while the database
drops connections, sends nothing; an email that could not be sent is released
and sent by the next delivery. Only a crash between sending and marking, or a
database away for longer than ``commit_surely`` retries, can send one twice.
"""

import uuid

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert

from notification_service.exceptions import EmailBeingSent
from notification_service.models import SentEmail
from shop_common.observability.metrics import EMAILS
from shop_common.persistence.database import commit_surely
from shop_common.vocabulary.clock import utc_now

LIST_LIMIT = 100


def notify(session, mailer, event_id, email):
    """Send ``email`` (a ``messages.Email``, the one for event ``event_id``) unless it was sent before;
    True when it was sent now.

    Raises ``EmailBeingSent`` while another delivery holds the claim.
    """
    token = uuid.uuid4().hex
    claim_id = _claim(session, event_id, email, token, lease=2 * mailer.longest_send)
    if claim_id is None:
        return False
    try:
        mailer.send(email.to, email.subject, email.body)
    except Exception:
        EMAILS.labels(email.kind, "failed").inc()
        _release(session, claim_id, token)
        raise
    EMAILS.labels(email.kind, "sent").inc()
    sent_at = utc_now()
    commit_surely(
        session,
        lambda retried: retried.execute(
            update(SentEmail).where(SentEmail.id == claim_id, SentEmail.claim_token == token).values(sent_at=sent_at)
        ),
    )
    return True


def _claim(session, event_id, email, token, lease):
    """The claimed row's id; None when the email was sent already."""
    now = utc_now()
    claimed = session.execute(
        insert(SentEmail)
        .values(
            event_id=event_id,
            regarding_id=email.regarding_id,
            kind=email.kind,
            customer_email=email.to,
            subject=email.subject,
            claim_token=token,
            claimed_at=now,
        )
        .on_conflict_do_nothing()
        .returning(SentEmail.id)
    ).scalar()
    if claimed is None:
        claimed = session.execute(
            update(SentEmail)
            .where(
                SentEmail.regarding_id == email.regarding_id,
                SentEmail.kind == email.kind,
                SentEmail.sent_at.is_(None),
                or_(SentEmail.claim_token.is_(None), SentEmail.claimed_at < now - lease),
            )
            .values(claim_token=token, claimed_at=now)
            .returning(SentEmail.id)
        ).scalar()
    session.commit()
    if claimed is not None:
        return claimed
    sent = session.scalar(
        select(SentEmail.sent_at).where(SentEmail.regarding_id == email.regarding_id, SentEmail.kind == email.kind)
    )
    if sent is None:
        raise EmailBeingSent(email.regarding_id, email.kind)
    return None


def _release(session, claim_id, token):
    """Give up a claim after a failed send, so the next delivery sends at once (else the lease expires)."""
    try:
        session.rollback()
        session.execute(
            update(SentEmail).where(SentEmail.id == claim_id, SentEmail.claim_token == token).values(claim_token=None)
        )
        session.commit()
    except Exception:
        session.rollback()


def sent_to(session, customer_email):
    query = (
        select(SentEmail)
        .where(SentEmail.customer_email == customer_email, SentEmail.sent_at.is_not(None))
        .order_by(SentEmail.sent_at.desc(), SentEmail.id.desc())
        .limit(LIST_LIMIT)
    )
    return list(session.scalars(query))
