"""The shop's services, one entry each: every tool that needs the list reads it here.

Migrations, the test harness, the benchmark, the broker accounts and the
checks of the deployment files (Procfile, docker-compose.yml, the database
script, alembic.ini, config.yaml) all read ``SERVICES``. Adding a service
means an entry here and its package; a test names every deployment file that
misses it.
"""

from dataclasses import dataclass
from importlib import import_module


@dataclass(frozen=True)
class Service:
    name: str  # the Nameko service name
    package: str  # its Python package; ``nameko run <package>.service``
    has_database: bool = True  # a PostgreSQL database of its own, with an alembic history
    ops_port: int | None = None  # where it answers /health/live, /health/ready and /metrics by default;
    # None: on its own HTTP address (the gateway's WEB_SERVER_ADDRESS)

    @property
    def module(self):
        """What ``nameko run`` starts."""
        return f"{self.package}.service"

    @property
    def ops_address_variable(self):
        """The environment variable that holds the address of its operations endpoints (not for the gateway)."""
        return f"{self.name.upper()}_OPS_ADDRESS"

    @property
    def default_ops_address(self):
        return f"0.0.0.0:{self.ops_port}"

    @property
    def database_variable(self):
        """The environment variable that holds its database address."""
        return f"{self.name.upper()}_DB_URI"

    @property
    def default_database(self):
        return f"shop_{self.name}"

    @property
    def config_key(self):
        """Its key in ``DB_URIS``, as nameko-sqlalchemy reads it: ``<service>:<declarative base>``."""
        return f"{self.name}:Base"

    @property
    def alembic_section(self):
        return self.name

    @property
    def migrations(self):
        return f"{self.package}/migrations"

    @property
    def migration_scripts(self):
        """Its alembic ``script_location`` as a package resource: found wherever the package is installed."""
        return f"{self.package}:migrations"

    def service_class(self):
        """The Nameko service class ``module`` defines for ``name``."""
        module = import_module(self.module)
        return next(
            value
            for value in vars(module).values()
            if isinstance(value, type) and getattr(value, "name", None) == self.name and value.__module__ == self.module
        )


SERVICES = (
    Service("orders", "order_service", ops_port=8101),
    Service("inventory", "inventory_service", ops_port=8102),
    Service("notifications", "notification_service", ops_port=8103),
    Service("accounts", "accounts_service", ops_port=8104),
    Service("payments", "payment_service", ops_port=8105),
    Service("shipping", "shipping_service", ops_port=8106),
    Service("gateway", "gateway", has_database=False),
)

BY_NAME = {service.name: service for service in SERVICES}
WITH_DATABASES = tuple(service for service in SERVICES if service.has_database)
