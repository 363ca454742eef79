"""The injected database session every service uses, with the shop's engine settings."""

import inspect
from functools import wraps
from logging import getLogger

import eventlet
from nameko.extensions import DependencyProvider
from nameko_sqlalchemy import DatabaseSession
from psycogreen.eventlet import patch_psycopg
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from shop_common.vocabulary.errors import ServiceUnavailable

_log = getLogger(__name__)

# No pre-ping: it costs a round trip per worker. A connection lost to a database
# restart fails one statement, which SQLAlchemy answers by replacing the whole pool;
# that worker's call is retried (reads, events) or answered 503 (writes).
# A worker holds at most one connection: the pool holds ``DB_POOL_SIZE`` of them (one per worker, ``max_workers``,
# when it is not set), and no more, so that every instance's share of the database's connections is known.
# A worker's session ends with its worker: what it committed stays readable without reloading.
SESSION_OPTIONS = {"expire_on_commit": False}


class GreenDatabaseSession(DatabaseSession):
    """nameko-sqlalchemy's ``DatabaseSession`` with psycopg2 made cooperative.

    psycopg2 blocks the whole process while it waits for PostgreSQL; with
    eventlet's wait callback only the waiting worker waits, so a worker held
    on a row lock never stops the worker that holds it. Each statement has
    its span in the worker's trace (``tracing``).
    """

    def setup(self):
        patch_psycopg()
        self.engine_options = {
            "pool_size": pool_size(self.container.config, self.container.max_workers),
            "max_overflow": 0,
        }
        super().setup()

    def figures(self):
        return {"shop_database_connections_in_use": {(self.container.service_name,): self.engine.pool.checkedout()}}

    def worker_teardown(self, worker_ctx):
        """Close the worker's session; one whose connection was lost must not take the service down."""
        try:
            super().worker_teardown(worker_ctx)
        except DBAPIError as error:
            _log.warning("closed a session whose database connection was lost: %s", error)


class DatabaseGauges(DependencyProvider):
    """Gauges read from the service's database when Prometheus scrapes: ``read(session)`` gives the figures
    (as ``Gauges`` takes them), over a connection of its own."""

    def __init__(self, declarative_base, read):
        self.declarative_base = declarative_base
        self.read = read

    def setup(self):
        key = f"{self.container.service_name}:{self.declarative_base.__name__}"
        self.engine = create_engine(self.container.config["DB_URIS"][key], pool_size=1, max_overflow=0)

    def figures(self):
        with Session(self.engine) as session:
            return self.read(session)

    def stop(self):
        self.engine.dispose()


def pool_size(config, max_workers):
    """Connections a service instance's workers share: ``DB_POOL_SIZE``, or one per worker when it is empty. A
    worker finding none free waits for one."""
    return int(config["DB_POOL_SIZE"] or max_workers)


def database_session(declarative_base):
    return GreenDatabaseSession(declarative_base, session_options=SESSION_OPTIONS)


def lost_connection(error):
    return isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)


def commit_surely(session, change, attempts=8):
    """Apply ``change(session)`` and commit, again on a fresh connection if the connection is lost (waiting 0.1 s,
    then twice as long each time: a database away for up to about 13 s).

    For a change that must not be lost once something outside the database
    has happened (an email left): ``change`` must be safe to apply twice.
    """
    for attempt in range(attempts):
        try:
            change(session)
            session.commit()
            return
        except DBAPIError as error:
            session.rollback()
            if not lost_connection(error) or attempt == attempts - 1:
                raise
            _log.warning("database connection lost while committing (attempt %s): %s", attempt + 1, error)
            eventlet.sleep(0.1 * 2**attempt)


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
                    eventlet.sleep(0.1 * 2**attempt)
            raise ServiceUnavailable("the database is unavailable", {"service": self.name})

        # The method's own signature, so nameko reads its arguments by name (``sensitive_arguments``).
        wrapper.__signature__ = inspect.signature(method)
        return wrapper

    return decorate
