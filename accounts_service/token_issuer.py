"""The ``TokenIssuer`` dependency: signs access tokens for accounts with the service's key.

Configured by ``AUTH`` in config.yaml (issuer, audience, lifetimes); the key
comes from the environment (``shop_common.identity.keys``), loaded once at setup.
"""

from nameko.extensions import DependencyProvider

from shop_common.identity.keys import signing_key
from shop_common.identity.tokens import issue_access_token


class Tokens:
    """What a worker gets: ``pair(account, refresh_token)``, the answer to a sign-in or a refresh."""

    def __init__(self, key, settings):
        self.key = key
        self.issuer = settings["ISSUER"]
        self.audience = settings["AUDIENCE"]
        self.access_seconds = int(settings["ACCESS_TOKEN_SECONDS"])
        self.refresh_seconds = int(settings["REFRESH_TOKEN_SECONDS"])

    def pair(self, account, refresh_token):
        access_token = issue_access_token(
            self.key,
            {"id": account.id, "email": account.email, "role": account.role},
            self.issuer,
            self.audience,
            self.access_seconds,
        )
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.access_seconds,
            "refresh_token": refresh_token,
        }


class TokenIssuer(DependencyProvider):
    def setup(self):
        config = self.container.config
        self.tokens = Tokens(signing_key(config), config["AUTH"])

    def get_dependency(self, worker_ctx):
        return self.tokens
