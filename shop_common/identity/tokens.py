"""Access tokens: JWTs (RFC 9068 profile) the accounts service issues and every verifier checks offline.

A token's header names its key (``kid``); its claims are ``iss``, ``aud``,
``sub`` (the account id), ``email``, ``role``, ``iat``, ``nbf``, ``exp`` (at
most ``MAX_LIFETIME_SECONDS`` later) and ``jti``. A verifier accepts a token
only from an issuer it trusts, signed by one of that issuer's keys with that
key's own algorithm (so neither ``alg: none`` nor an HMAC keyed with a public
key can pass), for its audience, within its lifetime.

Besides the accounts service, a deployment may trust an external OpenID
Connect issuer, whose keys come from its JWKS address. Its users are
customers, named by an account id derived from the issuer and subject.
"""

import hashlib
import time
import uuid
from dataclasses import dataclass
from logging import getLogger

import jwt
from marshmallow import ValidationError

from shop_common.identity.caller import CUSTOMER, ROLES, Caller
from shop_common.identity.keys import algorithm_for, kid_of
from shop_common.vocabulary.errors import Unauthenticated
from shop_common.vocabulary.validation import EmailAddress

_log = getLogger(__name__)

MAX_LIFETIME_SECONDS = 900
CLOCK_SKEW_SECONDS = 30
TOKEN_TYPE = "at+jwt"
_REQUIRED = ["iss", "aud", "sub", "iat", "exp"]
ASYMMETRIC_ALGORITHMS = ("EdDSA", "ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")


def issue_access_token(key, account, issuer, audience, lifetime_seconds, now=None):
    """A signed access token for ``account`` (``id``, ``email``, ``role``)."""
    if not 0 < lifetime_seconds <= MAX_LIFETIME_SECONDS:
        raise ValueError(f"an access token lives 1 to {MAX_LIFETIME_SECONDS} seconds")
    now = int(time.time() if now is None else now)
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": account["id"],
        "email": account["email"],
        "role": account["role"],
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm=algorithm_for(key), headers={"kid": kid_of(key), "typ": TOKEN_TYPE})


@dataclass(frozen=True)
class Identity:
    caller: Caller
    email: str | None


class LocalIssuer:
    """The accounts service: keys from the environment, accounts with roles."""

    required = [*_REQUIRED, "jti"]

    def __init__(self, issuer, audience, keys):
        self.issuer, self.audience, self._keys = issuer, audience, keys

    def key(self, kid):
        """``(key, algorithm)`` for ``kid``; None when it is not trusted."""
        key = self._keys.get(kid)
        return key and (key, algorithm_for(key))

    def identity(self, claims):
        if claims.get("role") not in ROLES or claims["exp"] - claims["iat"] > MAX_LIFETIME_SECONDS:
            return None
        return Identity(Caller(claims["role"], claims["sub"]), claims.get("email"))


class ExternalIssuer:
    """An OpenID Connect issuer: keys from its JWKS address (cached), users are customers with an ``email``.

    Only its asymmetric keys count: a symmetric (``oct``) key in the set is ignored.
    """

    required = _REQUIRED  # an issuer's tokens need not carry a jti
    REFETCH_SECONDS = 60  # an unknown kid fetches the key set again at most this often...
    MAX_AGE_SECONDS = 600  # ...and a key set this old is fetched again in any case (a key withdrawn)

    def __init__(self, issuer, audience, jwks_url):
        self.issuer, self.audience = issuer, audience
        self._client = jwt.PyJWKClient(jwks_url, cache_jwk_set=False, timeout=5)
        self._keys, self._fetched_at = {}, None

    def key(self, kid):
        """``(key, algorithm)`` for ``kid`` in the issuer's key set; None when it is not there."""
        age = None if self._fetched_at is None else time.monotonic() - self._fetched_at
        if age is None or age > self.MAX_AGE_SECONDS or (kid not in self._keys and age > self.REFETCH_SECONDS):
            self._fetched_at = time.monotonic()
            try:
                self._keys = {
                    jwk.key_id: (jwk.key, jwk.algorithm_name)
                    for jwk in self._client.get_signing_keys()
                    if jwk.algorithm_name in ASYMMETRIC_ALGORITHMS
                }
            except jwt.PyJWKClientError as error:
                _log.warning("the key set of %s cannot be fetched: %s", self.issuer, error)
        return self._keys.get(kid)

    def identity(self, claims):
        digest = hashlib.sha256(f"{self.issuer}\n{claims['sub']}".encode()).hexdigest()[:32]
        try:
            email = EmailAddress().deserialize(claims.get("email"))  # another party's claim: checked like input
        except ValidationError:
            return None
        return Identity(Caller(CUSTOMER, f"x{digest}"), email)


class TokenVerifier:
    """Who an access token names, if an issuer it trusts signed it and it holds now."""

    def __init__(self, issuers):
        self._issuers = {issuer.issuer: issuer for issuer in issuers}

    def identity(self, token):
        """The token's ``Identity``; ``Unauthenticated`` (saying nothing of why) when it does not hold."""
        try:
            header = jwt.get_unverified_header(token)
            issuer = self._issuers.get(jwt.decode(token, options={"verify_signature": False}).get("iss"))
            trusted = issuer and isinstance(header.get("kid"), str) and issuer.key(header["kid"])
            if not trusted:
                raise jwt.InvalidTokenError("no trusted issuer and key")
            key, algorithm = trusted
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=issuer.audience,
                issuer=issuer.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": issuer.required},
            )
            identity = isinstance(claims["sub"], str) and issuer.identity(claims)
            if not identity:
                raise jwt.InvalidTokenError("claims the shop cannot use")
        except jwt.PyJWTError as error:
            _log.info("access token refused: %s", type(error).__name__)
            raise Unauthenticated("the access token is not valid", {}, code="invalid_token") from None
        return identity
