"""What the accounts service does, as functions over a database session.

Functions that change something leave committing to their caller, so that
the change and its event (written to the outbox) leave together.
"""

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from accounts_service import domain
from accounts_service.exceptions import AccountNotFound, EmailTaken, RefreshTokenRefused
from accounts_service.models import Account, RefreshToken
from shop_common.vocabulary.clock import utc_now


def open_account(session, email, password_hash, role):
    """A new account; ``EmailTaken`` when the (lower-cased) email has one already."""
    account_id = session.execute(
        insert(Account)
        .values(id=domain.new_account_id(), email=email, role=role, password_hash=password_hash, created_at=utc_now())
        .on_conflict_do_nothing(index_elements=[Account.email])
        .returning(Account.id)
    ).scalar()
    if account_id is None:
        raise EmailTaken()
    return session.get(Account, account_id)


def account_with_email(session, email):
    return session.scalars(select(Account).where(Account.email == email)).first()


def find_account(session, account_id):
    account = session.get(Account, account_id)
    if account is None:
        raise AccountNotFound(account_id)
    return account


def start_refresh_family(session, account, lifetime):
    """A refresh token for a new sign-in of ``account``."""
    return _new_refresh_token(session, account.id, domain.new_account_id(), lifetime)


def spend_refresh_token(session, refresh_token, lifetime):
    """``(account, next refresh token)`` for a valid ``refresh_token``, which is spent.

    ``RefreshTokenRefused`` otherwise; a token used before revokes its whole
    family, and that revocation is committed before the refusal is raised.
    """
    now = utc_now()
    stored = session.scalars(
        select(RefreshToken).where(RefreshToken.digest == domain.digest_of(refresh_token)).with_for_update()
    ).first()
    if stored is None:
        raise RefreshTokenRefused()
    try:
        domain.check_refresh(stored.used_at, stored.revoked_at, stored.expires_at, now)
    except domain.RefreshRefused as refused:
        if refused.revoke_family:
            revoke_family(session, stored.family_id)
            session.commit()
        raise RefreshTokenRefused() from None
    stored.used_at = now
    return find_account(session, stored.account_id), _new_refresh_token(
        session, stored.account_id, stored.family_id, lifetime
    )


def revoke_family_of(session, refresh_token):
    """Sign out the sign-in ``refresh_token`` belongs to; nothing when it is unknown."""
    family_id = session.scalar(
        select(RefreshToken.family_id).where(RefreshToken.digest == domain.digest_of(refresh_token))
    )
    if family_id is not None:
        revoke_family(session, family_id)


def revoke_family(session, family_id):
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utc_now())
    )


def _new_refresh_token(session, account_id, family_id, lifetime):
    token, digest = domain.new_refresh_token()
    now = utc_now()
    session.add(
        RefreshToken(
            digest=digest,
            family_id=family_id,
            account_id=account_id,
            created_at=now,
            expires_at=now + timedelta(seconds=lifetime),
        )
    )
    return token
