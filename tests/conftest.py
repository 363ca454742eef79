"""Fixtures for every level of test (the harness they share with the benchmark is the `harness` package).

Each run works in its own PostgreSQL databases and RabbitMQ virtual hosts,
named after the run, and removes them at the end.
"""

import eventlet

eventlet.monkey_patch()  # noqa: E402  (before anything else imports socket or threading)

import uuid  # noqa: E402

import pytest  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402
from psycogreen.eventlet import patch_psycopg  # noqa: E402

from harness.audit import FIGURES  # noqa: E402
from harness.databases import TestDatabases  # noqa: E402
from harness.payment_provider import running_provider  # noqa: E402
from harness.smtp import running_sink  # noqa: E402

patch_psycopg()


@pytest.fixture(scope="session", autouse=True)
def signing_keys():
    """A key pair of the run's own, in the environment as an operator gives keys; the private key."""
    key = ed25519.Ed25519PrivateKey.generate()
    environment = {
        "AUTH_SIGNING_KEY": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "AUTH_TRUSTED_KEYS": key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        yield key


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


WEBHOOK_SECRET = "whsec_tests"  # the provider's webhooks to the services under test are signed with it
CARRIER_SECRET = "carrier_tests"  # and the carriers' updates with this


@pytest.fixture(scope="session")
def payment_provider(tmp_path_factory):
    """A real payment provider's API (localstripe) in its own process, its store in memory."""
    with running_provider(tmp_path_factory.mktemp("payment-provider") / "log") as provider:
        yield provider


def pytest_terminal_summary(terminalreporter):
    """The fault tests' figures (orders accepted, lost, emails duplicated, per fault) and the slow-client attacks'."""
    if FIGURES:
        terminalreporter.section("fault and attack figures")
        for line in FIGURES:
            terminalreporter.line(line)
