"""The body of every service's alembic ``env.py``: online migrations on the service's own database."""

from alembic import context
from sqlalchemy import create_engine


def run_migrations(service, metadata):
    config = context.config
    uri = config.attributes.get("database_uri")
    if uri is None:
        from shop_common.operations.migrate import database_uri

        uri = database_uri(service)
    engine = create_engine(uri)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=metadata, compare_type=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
