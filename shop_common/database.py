"""The injected database session every service uses, with the shop's engine settings."""

from functools import wraps
from logging import getLogger

import eventlet
from nameko_sqlalchemy import DatabaseSession
from psycogreen.eventlet import patch_psycopg
from sqlalchemy.exc import DBAPIError, OperationalError

from shop_common.errors import ServiceUnavailable

_log = getLogger(__name__)

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


def lost_connection(error):
    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def on_lost_connection(retries):
    """For an RPC entrypoint: retry ``retries`` times when the database connection is lost, then 503.

    Retry only what is safe to run again (reads); for writes use ``retries=0``:
    the caller gets ``ServiceUnavailable`` and the transaction was rolled back.
    """
    def decorate(method):
        @wraps(method)
        def wrapper(self, *args, **kwargs):
            for attempt in range(retries + 1):
                try:
                    return method(self, *args, **kwargs)
                except DBAPIError as error:
                    if not lost_connection(error):
                        raise
                    self.db.rollback()
                    _log.warning("database connection lost in %s (attempt %s): %s", method.__name__, attempt + 1, error)
                    eventlet.sleep(0.1 * 2 ** attempt)
            raise ServiceUnavailable("the database is unavailable", {"service": self.name})
        return wrapper
    return decorate
