"""The shipping service's settings: ``SHIPPING`` and ``SHOP_CURRENCY`` in the configuration, the carriers' signing
secret from the environment (``CARRIER_WEBHOOK_SECRET`` or the file ``CARRIER_WEBHOOK_SECRET_FILE`` names)."""

import time
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from shipping_service import carrier_updates
from shop_common.identity.secrets import secret_from_environment


@dataclass(frozen=True)
class Settings:
    countries: frozenset  # ISO 3166 codes the shop ships to
    currency: str
    webhook_secret: str
    webhook_tolerance: int  # seconds

    def verify_carrier_update(self, body, header):
        """Nothing when ``header`` is the carrier's signature of ``body`` (bytes), made within the tolerance;
        ``carrier_updates.InvalidSignature`` otherwise."""
        carrier_updates.verify(body, header, self.webhook_secret, self.webhook_tolerance, time.time())


def settings_from(config):
    shipping = config["SHIPPING"]
    countries = frozenset(code.strip().upper() for code in str(shipping["COUNTRIES"]).split(",") if code.strip())
    return Settings(
        countries,
        config["SHOP_CURRENCY"],
        secret_from_environment("CARRIER_WEBHOOK_SECRET"),
        int(shipping["WEBHOOK_TOLERANCE"]),
    )


class ShippingSettings(DependencyProvider):
    """Gives each worker the service's ``Settings``, read once when it starts (a missing secret stops it there)."""

    def setup(self):
        self.settings = settings_from(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.settings
