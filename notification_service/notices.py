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

from sqlalchemy import or_, select, tuple_, update
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
    return notify_all(session, mailer, [(event_id, email)])[0]


def notify_all(session, mailer, emails):
    """``notify`` for each ``(event_id, email)`` of ``emails``; for each, whether it was sent now.

    The claims are taken together (two statements, one commit), the emails sent one after the other, and marked
    sent together (one statement). When another delivery holds one of the claims, none is claimed or sent
    (``EmailBeingSent``); when a send fails, the emails sent before it are marked sent and the claims
    left are given up before the error is raised, so that each can be sent on its own.
    """
    token = uuid.uuid4().hex
    wanted = {}  # (regarding id, kind) -> (event id, email), the first of each
    for event_id, email in emails:
        wanted.setdefault((email.regarding_id, email.kind), (event_id, email))
    claims = _claim(session, wanted, token, lease=2 * mailer.longest_send)
    sent = {}  # (regarding id, kind) -> claim id, of those sent now
    try:
        for key, claim_id in claims.items():
            _send(mailer, wanted[key][1])
            sent[key] = claim_id
    except Exception:
        _mark_sent(session, list(sent.values()), token)
        _release(session, [claim_id for key, claim_id in claims.items() if key not in sent], token)
        raise
    _mark_sent(session, list(sent.values()), token)
    return [(email.regarding_id, email.kind) in sent for _, email in emails]


def _send(mailer, email):
    try:
        mailer.send(email.to, email.subject, email.body)
    except Exception:
        EMAILS.labels(email.kind, "failed").inc()
        raise
    EMAILS.labels(email.kind, "sent").inc()


def _mark_sent(session, claim_ids, token):
    if not claim_ids:
        return
    sent_at = utc_now()
    commit_surely(
        session,
        lambda retried: retried.execute(
            update(SentEmail).where(SentEmail.id.in_(claim_ids), SentEmail.claim_token == token).values(sent_at=sent_at)
        ),
    )


def _claim(session, wanted, token, lease):
    """``{(regarding id, kind): claimed row's id}`` of the emails of ``wanted`` this call may send: new, or unsent
    and unclaimed, or unsent with an expired claim; those sent already are left out."""
    now = utc_now()
    key = tuple_(SentEmail.regarding_id, SentEmail.kind)
    claimed = _claims_of(
        session.execute(
            insert(SentEmail)
            .values(
                [
                    {
                        "event_id": event_id,
                        "regarding_id": email.regarding_id,
                        "kind": email.kind,
                        "customer_email": email.to,
                        "subject": email.subject,
                        "claim_token": token,
                        "claimed_at": now,
                    }
                    for event_id, email in wanted.values()
                ]
            )
            .on_conflict_do_nothing()
            .returning(SentEmail.regarding_id, SentEmail.kind, SentEmail.id)
        )
    )
    known = [pair for pair in wanted if pair not in claimed]
    if known:
        claimed.update(
            _claims_of(
                session.execute(
                    update(SentEmail)
                    .where(
                        key.in_(known),
                        SentEmail.sent_at.is_(None),
                        or_(SentEmail.claim_token.is_(None), SentEmail.claimed_at < now - lease),
                    )
                    .values(claim_token=token, claimed_at=now)
                    .returning(SentEmail.regarding_id, SentEmail.kind, SentEmail.id)
                )
            )
        )
    held = [pair for pair in wanted if pair not in claimed]
    if held:
        unsent = session.execute(
            select(SentEmail.regarding_id, SentEmail.kind).where(key.in_(held), SentEmail.sent_at.is_(None))
        ).first()
        if unsent is not None:
            session.rollback()  # nothing claimed, so nothing to give up (which a lost connection could prevent)
            raise EmailBeingSent(*unsent)
    session.commit()  # the last statement before the sends: a claim committed is a claim about to be sent
    return {pair: claimed[pair] for pair in wanted if pair in claimed}  # in the order the emails came


def _claims_of(rows):
    return {(row.regarding_id, row.kind): row.id for row in rows}


def _release(session, claim_ids, token):
    """Give up claims (after a failed send), so the next delivery sends at once (else the lease expires)."""
    if not claim_ids:
        return
    try:
        session.rollback()
        session.execute(
            update(SentEmail)
            .where(SentEmail.id.in_(claim_ids), SentEmail.claim_token == token)
            .values(claim_token=None)
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
