"""The injected database session every service uses, with the shop's engine settings."""

from nameko_sqlalchemy import DatabaseSession
from psycogreen.eventlet import patch_psycopg

ENGINE_OPTIONS = {
    "pool_pre_ping": True,   # a connection dropped by a database restart is replaced, not used
    "pool_size": 10,         # one per nameko worker (max_workers defaults to 10)
    "max_overflow": 5,
}


class GreenDatabaseSession(DatabaseSession):
    """nameko-sqlalchemy's ``DatabaseSession`` with psycopg2 made cooperative.

    psycopg2 blocks the whole process while it waits for PostgreSQL; with
    eventlet's wait callback only the waiting worker waits, so a worker held
    on a row lock never stops the worker that holds it.
    """

    def setup(self):
        patch_psycopg()
        super().setup()


def database_session(declarative_base):
    return GreenDatabaseSession(declarative_base, engine_options=ENGINE_OPTIONS)
