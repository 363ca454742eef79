"""``on_lost_connection``: which database failures are retried, and what the caller sees."""

import inspect

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from shop_common.persistence.database import on_lost_connection
from shop_common.vocabulary.errors import ServiceUnavailable


class Session:
    def __init__(self):
        self.rollbacks = 0

    def rollback(self):
        self.rollbacks += 1


class Service:
    """Stands in for a Nameko service instance: a ``name`` and an injected ``db``."""

    name = "orders"

    def __init__(self, failures, error=None):
        self.db = Session()
        self.failures = failures
        self.error = error or OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        self.calls = 0

    @on_lost_connection(retries=2)
    def read(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "answer"

    @on_lost_connection(retries=0)
    def write(self):
        self.calls += 1
        raise self.error


def test_a_read_is_retried_after_a_lost_connection_with_a_rollback_each_time():
    service = Service(failures=2)
    assert service.read() == "answer"
    assert (service.calls, service.db.rollbacks) == (3, 2)


def test_a_read_that_keeps_failing_is_unavailable():
    service = Service(failures=5)
    with pytest.raises(ServiceUnavailable) as unavailable:
        service.read()
    assert unavailable.value.details == {"service": "orders"}
    assert service.calls == 3


def test_a_write_is_not_retried_and_is_unavailable():
    service = Service(failures=1)
    with pytest.raises(ServiceUnavailable):
        service.write()
    assert service.calls == 1


def test_other_database_errors_are_not_retried():
    service = Service(failures=1, error=IntegrityError("INSERT", {}, Exception("duplicate key")))
    with pytest.raises(IntegrityError):
        service.read()
    assert service.calls == 1


def test_a_guarded_method_keeps_its_signature_so_nameko_can_withhold_its_secret_arguments():
    class Accounts:
        @on_lost_connection(retries=0)
        def sign_in(self, email, password):
            return email

    assert inspect.getcallargs(Accounts.sign_in, None, "ada@example.com", "secret") == {
        "self": None,
        "email": "ada@example.com",
        "password": "secret",
    }
