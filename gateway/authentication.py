"""Who is calling, from the ``Authorization: Bearer`` header, and whether a route lets them in.

The gateway checks access tokens itself, offline, against the issuers it
trusts (``AUTH`` in config.yaml): the accounts service (its public keys from
the environment, see ``shop_common.identity.keys``) and, when configured, an
external OpenID Connect issuer. No header is an anonymous request; a header
that is not a valid bearer token is refused (401), never taken as anonymous.

Every route names who may use it (``ANYONE``, ``SIGNED_IN`` or ``STAFF``): a
route that does not cannot be declared (deny by default).
"""

import re

from nameko.extensions import SharedExtension

from shop_common.identity.caller import NOBODY
from shop_common.identity.keys import trusted_keys
from shop_common.identity.tokens import ExternalIssuer, LocalIssuer, TokenVerifier
from shop_common.vocabulary.errors import Forbidden, Unauthenticated

ANYONE = "anyone"
SIGNED_IN = "signed_in"
STAFF = "staff"
ACCESS = (ANYONE, SIGNED_IN, STAFF)

_BEARER = re.compile(r"^Bearer ([A-Za-z0-9._~+/-]+=*)$")  # RFC 6750 b64token
MAX_TOKEN_CHARS = 4096

ANONYMOUS = None  # the identity of a request without credentials


def bearer_token(headers):
    """The request's bearer token; None without an ``Authorization`` header; ``Unauthenticated`` if malformed."""
    given = headers.get("Authorization")
    if given is None:
        return None
    match = _BEARER.match(given.strip()) if len(given) <= MAX_TOKEN_CHARS else None
    if match is None:
        raise Unauthenticated("the Authorization header must be 'Bearer <access token>'", {}, code="invalid_token")
    return match[1]


def admit(access, identity):
    """Let ``identity`` (None: anonymous) through a route open to ``access``, or raise 401 / 403."""
    if access == ANYONE:
        return
    if identity is ANONYMOUS:
        raise Unauthenticated("this needs an access token: Authorization: Bearer <access token>")
    if access == STAFF and not identity.caller.is_staff:
        raise Forbidden("only staff may do this", {"role": identity.caller.role})


def caller_of(identity):
    return NOBODY if identity is ANONYMOUS else identity.caller


def issuers(config):
    """The issuers ``AUTH`` in config.yaml trusts: the accounts service, an external one, or both."""
    settings = config["AUTH"]
    trusted = []
    if settings["TRUST_ACCOUNTS_SERVICE"]:
        trusted.append(LocalIssuer(settings["ISSUER"], settings["AUDIENCE"], trusted_keys(config)))
    external = settings["EXTERNAL"]
    if external["ISSUER"]:
        trusted.append(ExternalIssuer(external["ISSUER"], external["AUDIENCE"], external["JWKS_URL"]))
    if not trusted:
        raise ValueError("AUTH trusts no issuer: trust the accounts service or set AUTH.EXTERNAL")
    return trusted


class Authenticator(SharedExtension):
    """The gateway's one ``TokenVerifier``, built when the service starts."""

    def setup(self):
        self.verifier = TokenVerifier(issuers(self.container.config))

    def identity_of(self, headers):
        """The caller's ``Identity``, or ``ANONYMOUS``; ``Unauthenticated`` for a token that does not hold."""
        token = bearer_token(headers)
        return ANONYMOUS if token is None else self.verifier.identity(token)
