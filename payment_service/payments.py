"""What the payments service does, as functions over a database session and the provider (``provider.Stripe``).

Exactly once, whatever fails: each order has one payment row, locked while
the provider is asked anything about it, and the shop records what it asked
before it relies on the answer.

- Authorising creates an unconfirmed intent and commits its id before
  confirming it. Killed before that commit, the intent was never confirmed
  (it holds nothing) and the next attempt makes another; killed after the
  confirmation and before its commit, the next attempt asks the provider
  what became of the recorded intent instead of confirming again. So at most
  one intent per order ever holds money.
- Capturing and voiding ask the provider what it holds when it refuses (a
  capture or void done before the answer was lost).
- Refunding first records the refunds the provider holds that the shop does
  not (one made before a crash, or in the provider's dashboard), then
  refunds at most what is left.

Each function that changes a payment returns a ``Change`` and leaves committing
(with its event) to its caller, except where a commit must come between two
calls to the provider: those commit themselves, as said.
"""

import time
import uuid
from datetime import timedelta
from logging import getLogger

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from payment_service import domain, statuses
from payment_service.exceptions import NothingToRefund, PaymentNotFound, ProviderDisagrees
from payment_service.models import Payment, ProcessedEvent, Refund
from payment_service.provider import CardDeclined, ProviderRefused, ProviderUnavailable
from shop_common.persistence.models import first_delivery
from shop_common.vocabulary.change import Change
from shop_common.vocabulary.clock import utc_now

_log = getLogger(__name__)

FIRST_RETRY_SECONDS = 0.25  # the provider did not answer: ask again after this long, doubling...
MAX_RETRY_SECONDS = 4.0  # ...up to this
METHOD_REFUSED = "payment_method_refused"  # the decline code when the provider refuses the method itself


def find_payment(session, order_id, for_update=False):
    query = select(Payment).where(Payment.order_id == order_id)
    if for_update:
        query = query.with_for_update(of=Payment)
    payment = session.scalars(query).first()
    if payment is None:
        raise PaymentNotFound(order_id)
    return payment


def authorise(session, provider, order_id, amount, currency, payment_method, deadline_seconds):
    """The payment of ``order_id`` authorised for ``amount``, declined, or failed once the provider has not
    answered for ``deadline_seconds`` since it was first asked; nothing happens to a payment that is past
    authorising (asked before, or voided because the order ended first)."""
    session.execute(
        insert(Payment)
        .values(
            order_id=order_id,
            status=statuses.AUTHORISING,
            amount=amount,
            currency=currency,
            payment_method=payment_method,
            refunded=0,
            requested_at=utc_now(),
            updated_at=utc_now(),
        )
        .on_conflict_do_nothing()
    )
    session.commit()
    wait = FIRST_RETRY_SECONDS
    while True:
        payment = find_payment(session, order_id, for_update=True)
        if payment.status != statuses.AUTHORISING:
            return Change(payment, False)
        try:
            return _authorisation_step(session, provider, payment)
        except ProviderUnavailable as error:
            if utc_now() - payment.requested_at >= timedelta(seconds=deadline_seconds):
                _log.warning(
                    "payment of order %s failed: the provider did not answer for %ss (%s)",
                    order_id,
                    deadline_seconds,
                    error,
                )
                return _now(payment, statuses.FAILED)
            session.rollback()  # the lock is not held while waiting
            _log.info("the provider did not answer for order %s, asking again in %.2fs: %s", order_id, wait, error)
            time.sleep(wait)
            wait = min(wait * 2, MAX_RETRY_SECONDS)


def _authorisation_step(session, provider, payment):
    minor = domain.minor_units(payment.amount, payment.currency)
    try:
        if payment.reference is None:
            payment.reference = provider.create_intent(
                payment.order_id, minor, payment.currency, payment.payment_method
            ).id
            session.commit()  # recorded before it is confirmed: never two intents of one order confirmed
            payment = find_payment(session, payment.order_id, for_update=True)
            if payment.status != statuses.AUTHORISING:
                return Change(payment, False)
        try:
            intent = provider.confirm(payment.reference)
        except ProviderRefused:
            intent = provider.retrieve(payment.reference)  # confirmed before, its answer lost? the provider tells
    except CardDeclined as declined:
        payment.decline_code = declined.code[:64]
        return _now(payment, statuses.DECLINED)
    except ProviderRefused as refused:
        _log.info("the provider refused the payment method of order %s: %s", payment.order_id, refused)
        payment.decline_code = METHOD_REFUSED
        return _now(payment, statuses.DECLINED)
    outcome = domain.authorisation_outcome(intent.status)
    if outcome is None:
        payment.decline_code = METHOD_REFUSED
        return _now(payment, statuses.DECLINED)
    return _now(payment, outcome)


def void(session, provider, order_id):
    """The order ended (cancelled, rejected): whatever its payment holds is given back; a payment not yet
    asked for never will be."""
    inserted = session.execute(
        insert(Payment)
        .values(
            order_id=order_id,
            status=statuses.VOIDED,
            refunded=0,
            requested_at=utc_now(),
            updated_at=utc_now(),
        )
        .on_conflict_do_nothing()
        .returning(Payment.order_id)
    ).first()
    if inserted is not None:
        return Change(find_payment(session, order_id), False)  # nothing was asked: nothing to tell
    payment = find_payment(session, order_id, for_update=True)
    if not domain.may_void(payment.status):
        return Change(payment, False)
    if payment.reference is None:
        return _now(payment, statuses.VOIDED) if payment.status == statuses.AUTHORISING else Change(payment, False)
    intent = provider.retrieve(payment.reference)
    held = domain.authorisation_outcome(intent.status) == statuses.AUTHORISED
    if intent.status in domain.CANCELLABLE:
        provider.cancel(payment.reference)
    elif intent.status != "canceled":
        raise ProviderDisagrees(order_id, f"cannot void: the intent is {intent.status}")
    if payment.status == statuses.FAILED and not held:
        return Change(payment, False)  # it never held anything: the payment stays failed
    return _now(payment, statuses.VOIDED)


def capture(session, provider, order_id):
    """Take the authorised money (the order shipped); nothing happens when it was taken before."""
    payment = find_payment(session, order_id, for_update=True)
    if payment.status in (statuses.CAPTURED, statuses.REFUNDED):
        return Change(payment, False)
    if not domain.may_capture(payment.status):
        raise ProviderDisagrees(order_id, f"a payment that is {payment.status} cannot be captured")
    _settled(provider, payment.reference, provider.capture, statuses.CAPTURED)
    return _now(payment, statuses.CAPTURED)


def _settled(provider, intent_id, ask, wanted):
    """``ask(intent_id)``, whose answer must leave the intent ``wanted``; when the provider refuses, what it holds,
    if that is ``wanted`` (done before, the answer lost). ``ProviderDisagrees`` otherwise."""
    try:
        intent = ask(intent_id)
    except ProviderRefused as refused:
        intent, why = provider.retrieve(intent_id), str(refused)
    else:
        why = "it answered"
    if domain.authorisation_outcome(intent.status) != wanted:
        raise ProviderDisagrees(intent_id, f"{why}; the intent is {intent.status}, not {wanted}")
    return intent


def refund(session, provider, order_id, asked=None):
    """Give back ``asked`` (all that is left when None) of a captured payment; ``NothingToRefund`` when it is
    not captured or not that much is left."""
    payment = find_payment(session, order_id, for_update=True)
    if payment.reference is None:
        raise NothingToRefund(order_id, f"a payment that is {payment.status} cannot be refunded")
    recorded = record_provider_refunds(session, payment, provider.refunds(payment.reference))
    try:
        amount = domain.refundable(payment.status, payment.amount, payment.refunded, asked)
    except domain.NotAllowed as refused:
        if recorded:
            session.commit()  # what the provider had refunded is the shop's record now
        raise NothingToRefund(order_id, refused.message) from None
    given = provider.refund(
        payment.reference, domain.minor_units(amount, payment.currency), key=f"{order_id}:refund:{uuid.uuid4().hex}"
    )
    _add_refund(session, payment, given.id, amount)
    return _now(payment, domain.status_after_refunds(payment.amount, payment.refunded))


def record_provider_refunds(session, payment, provider_refunds):
    """Record each refund the provider holds for the payment that the shop does not; whether there was one."""
    known = {refund.id for refund in payment.refunds}
    new = [refund for refund in provider_refunds if refund.id not in known and refund.status != "failed"]
    for refund in new:
        _add_refund(session, payment, refund.id, domain.from_minor_units(refund.amount, payment.currency))
    if new:
        payment.status = domain.status_after_refunds(payment.amount, payment.refunded)
        payment.updated_at = utc_now()
    return bool(new)


def _add_refund(session, payment, refund_id, amount):
    session.add(Refund(id=refund_id, order_id=payment.order_id, amount=amount, created_at=utc_now()))
    payment.refunded = min(payment.refunded + amount, payment.amount)
    session.flush()


def follow_provider(session, provider, event):
    """A webhook's event, applied once: the payment of its intent follows what the provider now holds (an
    authorisation cancelled or expired there, a capture or a refund made in its dashboard). The event only
    says where to look, so events that arrive late or out of order change nothing the provider did not."""
    if not first_delivery(session, ProcessedEvent, event["id"]) or not event["intent_id"]:
        return Change(None, False)
    payment = session.scalars(
        select(Payment).where(Payment.reference == event["intent_id"]).with_for_update(of=Payment)
    ).first()
    if payment is None:
        return Change(None, False)  # not an intent the shop relies on (one of an attempt that was never confirmed)
    outcome = domain.authorisation_outcome(provider.retrieve(payment.reference).status)
    if payment.status == statuses.AUTHORISED and outcome in (statuses.VOIDED, statuses.CAPTURED):
        return _now(payment, outcome)
    if payment.status in (statuses.CAPTURED, statuses.REFUNDED):
        return Change(payment, record_provider_refunds(session, payment, provider.refunds(payment.reference)))
    return Change(payment, False)


def _now(payment, status):
    payment.status = status
    payment.updated_at = utc_now()
    return Change(payment, True)
