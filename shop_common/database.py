"""The injected database session every service uses, with the shop's engine settings."""

from nameko_sqlalchemy import DatabaseSession

ENGINE_OPTIONS = {
    "pool_pre_ping": True,   # a connection dropped by a database restart is replaced, not used
    "pool_size": 10,         # one per nameko worker (max_workers defaults to 10)
    "max_overflow": 5,
}


def database_session(declarative_base):
    return DatabaseSession(declarative_base, engine_options=ENGINE_OPTIONS)
