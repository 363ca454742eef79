"""Fresh databases for a test run: created and migrated like ``make migrate``, dropped after."""

from sqlalchemy import MetaData, create_engine, select, text
from sqlalchemy.orm import Session

from shop_common.operations.migrate import drop_database, migrate
from shop_common.operations.services import BY_NAME, WITH_DATABASES

SERVER_URI = "postgresql+psycopg2://postgres@127.0.0.1:5432"


class TestDatabases:
    def __init__(self, prefix):
        self.uris = {service.name: f"{SERVER_URI}/{prefix}_{service.name}" for service in WITH_DATABASES}
        self._engines = {}
        self._seeded = {}  # service -> {table: rows} the migrations put in (the shipping rates, say)

    def create(self):
        for service, uri in self.uris.items():
            migrate(service, uri)
            self._seeded[service] = self._rows_of_every_table(service)

    def _rows_of_every_table(self, service):
        tables = self._tables(service)
        with self.engine(service).connect() as connection:
            rows = {table: [dict(row) for row in connection.execute(select(table)).mappings()] for table in tables}
        return {table: found for table, found in rows.items() if found}

    def _tables(self, service):
        metadata = MetaData()
        metadata.reflect(self.engine(service))
        return [table for table in metadata.sorted_tables if table.name != "alembic_version"]

    def drop(self):
        for engine in self._engines.values():
            engine.dispose()
        for uri in self.uris.values():
            drop_database(uri)

    def engine(self, service):
        if service not in self._engines:
            self._engines[service] = create_engine(self.uris[service], pool_pre_ping=True)
        return self._engines[service]

    def session(self, service):
        return Session(self.engine(service))

    def truncate_all(self):
        """Every table as the migrations left it: empty, or holding what they seed."""
        for service in self.uris:
            with self.engine(service).begin() as connection:
                tables = (
                    connection.execute(
                        text(
                            "SELECT tablename FROM pg_tables"
                            " WHERE schemaname = 'public' AND tablename != 'alembic_version'"
                        )
                    )
                    .scalars()
                    .all()
                )
                connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
                for table, rows in self._seeded.get(service, {}).items():
                    connection.execute(table.insert(), rows)  # as the migrations left them

    def scalar(self, service, sql, **params):
        with self.engine(service).connect() as connection:
            return connection.execute(text(sql), params).scalar()

    @property
    def db_uris_config(self):
        """The ``DB_URIS`` section of a service config for these databases."""
        return {BY_NAME[service].config_key: uri for service, uri in self.uris.items()}

    @property
    def environment(self):
        return {BY_NAME[service].database_variable: uri for service, uri in self.uris.items()}
