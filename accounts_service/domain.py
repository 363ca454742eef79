"""The rules of accounts and their refresh tokens. Plain Python, standard library only.

A refresh token is a random secret the client keeps; the service keeps only
its digest. Each use spends it and gives a new one of the same family (one
sign-in): a token used a second time means two parties hold it, so the whole
family is revoked and both must sign in again (OAuth 2.0 Security BCP,
refresh token rotation).
"""

import hashlib
import secrets
import uuid
from datetime import datetime

REFRESH_TOKEN_PREFIX = "shop_rt_"  # recognisable, so a leaked one can be found (and scrubbed from logs)


def new_account_id() -> str:
    return uuid.uuid4().hex


def new_refresh_token() -> tuple[str, str]:
    """A fresh refresh token: what the client gets, and the digest the service keeps."""
    token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, digest_of(token)


def digest_of(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


class RefreshRefused(Exception):
    """The refresh token cannot be used; ``revoke_family`` when its use shows it was stolen."""

    def __init__(self, reason: str, revoke_family: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.revoke_family = revoke_family


def check_refresh(used_at: datetime | None, revoked_at: datetime | None, expires_at: datetime, now: datetime) -> None:
    """Raise ``RefreshRefused`` unless a stored token with these times may be spent ``now``."""
    if used_at is not None:
        raise RefreshRefused("used before", revoke_family=True)
    if revoked_at is not None:
        raise RefreshRefused("revoked")
    if expires_at <= now:
        raise RefreshRefused("expired")
