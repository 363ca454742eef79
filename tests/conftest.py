"""Fixtures for every level of test (the harness they share with the benchmark is the `harness` package).

Each run works in its own PostgreSQL databases and RabbitMQ virtual hosts,
named after the run, and removes them at the end.
"""

import eventlet

eventlet.monkey_patch()  # noqa: E402  (before anything else imports socket or threading)

import uuid  # noqa: E402

import pytest  # noqa: E402
from psycogreen.eventlet import patch_psycopg  # noqa: E402

from harness.audit import FIGURES  # noqa: E402
from harness.databases import TestDatabases  # noqa: E402
from harness.smtp import running_sink  # noqa: E402

patch_psycopg()


@pytest.fixture(scope="session")
def run_id():
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="session")
def databases(run_id):
    """The three service databases of this run, migrated to the latest schema."""
    dbs = TestDatabases(f"shop_test_{run_id}")
    dbs.create()
    yield dbs
    dbs.drop()


@pytest.fixture
def clean_databases(databases):
    databases.truncate_all()
    return databases


@pytest.fixture(scope="session")
def smtp_sink(tmp_path_factory):
    """A real SMTP server in its own process, keeping what it receives in a maildir."""
    with running_sink(tmp_path_factory.mktemp("smtp") / "maildir") as sink:
        yield sink


def pytest_terminal_summary(terminalreporter):
    """The fault tests' figures: orders accepted, lost, emails duplicated, per fault."""
    if FIGURES:
        terminalreporter.section("fault figures")
        for line in FIGURES:
            terminalreporter.line(line)
