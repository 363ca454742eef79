"""Each service's migrations produce exactly the schema its models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from inventory_service.models import Base as InventoryBase
from notification_service.models import Base as NotificationsBase
from order_service.models import Base as OrdersBase


@pytest.mark.parametrize(
    "service, base", [("orders", OrdersBase), ("inventory", InventoryBase), ("notifications", NotificationsBase)]
)
def test_migrations_match_the_models(databases, service, base):
    with databases.engine(service).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, base.metadata) == []


def test_each_service_has_its_own_database(databases):
    tables = {
        service: set(databases.engine(service).dialect.get_table_names(databases.engine(service).connect()))
        for service in databases.uris
    }
    assert "orders" in tables["orders"] and "orders" not in tables["inventory"]
    assert "products" in tables["inventory"] and "products" not in tables["orders"]
    assert "sent_emails" in tables["notifications"] and "sent_emails" not in tables["orders"]
