"""The shop's services, one entry each: every tool that needs the list reads it here."""

from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Service:
    name: str     # the Nameko service name
    module: str   # what ``nameko run`` starts

    def service_class(self):
        """The Nameko service class ``module`` defines for ``name``."""
        module = import_module(self.module)
        return next(value for value in vars(module).values()
                    if isinstance(value, type) and getattr(value, "name", None) == self.name
                    and value.__module__ == self.module)


SERVICES = (
    Service("orders", "order_service.service"),
    Service("inventory", "inventory_service.service"),
    Service("notifications", "notification_service.service"),
    Service("gateway", "gateway.service"),
)
