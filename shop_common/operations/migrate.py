"""Create each service's database when missing and bring its schema to the latest migration.

    python -m shop_common.operations.migrate            # every service
    python -m shop_common.operations.migrate orders     # one

Addresses come from config.yaml, so from each service's ``<SERVICE>_DB_URI``
when it is set; the services are those of ``shop_common.operations.services`` that own a
database.
"""

import sys

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shop_common.operations.config import load_config
from shop_common.operations.services import BY_NAME, WITH_DATABASES


def database_uri(service, config=None):
    config = config or load_config()
    return config["DB_URIS"][BY_NAME[service].config_key]


def create_database(uri):
    """Create the database ``uri`` names, when it does not exist yet."""
    url = make_url(uri)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            ).first()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        server.dispose()


def drop_database(uri):
    url = make_url(uri)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        server.dispose()


def alembic_config(service, uri):
    """Alembic's settings for ``service``, from its installed package (``alembic.ini`` is for the ``alembic`` command
    in a checkout)."""
    config = Config()
    config.set_main_option("script_location", BY_NAME[service].migration_scripts)
    config.attributes["database_uri"] = uri
    return config


def migrate(service, uri):
    create_database(uri)
    command.upgrade(alembic_config(service, uri), "head")


def main(services):
    config = load_config()
    for service in services or [service.name for service in WITH_DATABASES]:
        uri = database_uri(service, config)
        migrate(service, uri)
        print(f"{service}: {make_url(uri).render_as_string(hide_password=True)} is at the latest migration")


if __name__ == "__main__":
    main(sys.argv[1:])
