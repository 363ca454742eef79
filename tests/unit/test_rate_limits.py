"""``RateLimiter`` in the gateway's own memory, and the ``RateLimits`` provider that builds it from config.

The provider is bound to a real nameko ``ServiceContainer`` (built, never
started: no broker needed) and set up as the container would.
"""

import logging
import time

import pytest
from nameko.containers import ServiceContainer
from nameko.testing.utils import get_extension

from gateway.rate_limits import RateLimiter, RateLimits, SharedRateLimiter
from shop_common.vocabulary.errors import TooManyRequests

ADA = "ada@example.com"
GRACE = "grace@example.com"
UNREACHABLE_REDIS = "redis://127.0.0.1:1"  # nothing listens on port 1: connections are refused
MEMORY = "memory://"
PREFIX = "test"


def limiter(**limits):
    return RateLimiter(limits, MEMORY, PREFIX)


def allowed(limiter, name, identity, times):
    for _ in range(times):
        limiter.check(name, identity)


def test_requests_are_allowed_up_to_the_limit_then_refused_with_when_to_retry():
    limits = limiter(PER_CLIENT="3/minute")
    allowed(limits, "PER_CLIENT", "10.0.0.1", 3)
    with pytest.raises(TooManyRequests) as refused:
        limits.check("PER_CLIENT", "10.0.0.1")
    retry_after = refused.value.details["retry_after"]
    assert isinstance(retry_after, int) and 1 <= retry_after <= 60
    assert refused.value.details == {"limit": "PER_CLIENT", "retry_after": retry_after}
    assert refused.value.message == f"too many requests; try again in {retry_after} s"
    assert refused.value.family == "too_many_requests"


def test_retry_after_is_at_least_one_second_even_when_the_window_is_shorter():
    limits = limiter(PER_CLIENT="1/1 second")
    limits.check("PER_CLIENT", "10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        limits.check("PER_CLIENT", "10.0.0.1")
    assert refused.value.details["retry_after"] == 1


def test_each_identity_is_counted_apart():
    limits = limiter(PER_CLIENT="2/minute")
    allowed(limits, "PER_CLIENT", "10.0.0.1", 2)
    allowed(limits, "PER_CLIENT", "10.0.0.2", 2)
    with pytest.raises(TooManyRequests):
        limits.check("PER_CLIENT", "10.0.0.1")


def test_each_limit_is_counted_apart_for_the_same_identity():
    limits = limiter(REGISTRATIONS_PER_ADDRESS="1/hour", FAILED_LOGINS_PER_ADDRESS="1/hour")
    limits.check("REGISTRATIONS_PER_ADDRESS", "10.0.0.1")
    limits.check("FAILED_LOGINS_PER_ADDRESS", "10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        limits.check("REGISTRATIONS_PER_ADDRESS", "10.0.0.1")
    assert refused.value.details["limit"] == "REGISTRATIONS_PER_ADDRESS"


def test_a_refused_request_is_not_counted_and_a_place_frees_as_the_oldest_request_leaves_the_window():
    limits = limiter(PER_CLIENT="2/2 seconds")
    limits.check("PER_CLIENT", "10.0.0.1")
    time.sleep(1.0)
    limits.check("PER_CLIENT", "10.0.0.1")
    for _ in range(5):
        with pytest.raises(TooManyRequests):
            limits.check("PER_CLIENT", "10.0.0.1")
    time.sleep(1.1)  # the first request has left the window; the second has not
    limits.check("PER_CLIENT", "10.0.0.1")
    with pytest.raises(TooManyRequests):
        limits.check("PER_CLIENT", "10.0.0.1")


def test_requests_are_allowed_again_once_the_window_has_passed():
    limits = limiter(PER_CLIENT="2/1 second")
    allowed(limits, "PER_CLIENT", "10.0.0.1", 2)
    with pytest.raises(TooManyRequests):
        limits.check("PER_CLIENT", "10.0.0.1")
    time.sleep(1.1)
    limits.check("PER_CLIENT", "10.0.0.1")


def test_refuse_if_spent_counts_nothing():
    limits = limiter(FAILED_LOGINS_PER_ACCOUNT="2/15 minutes")
    for _ in range(10):
        limits.refuse_if_spent("FAILED_LOGINS_PER_ACCOUNT", ADA)
    allowed(limits, "FAILED_LOGINS_PER_ACCOUNT", ADA, 2)
    with pytest.raises(TooManyRequests):  # the two checks counted: a limiter that never counts fails here
        limits.check("FAILED_LOGINS_PER_ACCOUNT", ADA)


def test_failed_logins_counted_up_to_the_limit_lock_the_account_out():
    limits = limiter(FAILED_LOGINS_PER_ACCOUNT="3/15 minutes")
    for _ in range(3):
        limits.refuse_if_spent("FAILED_LOGINS_PER_ACCOUNT", ADA)  # before the password is checked
        limits.count("FAILED_LOGINS_PER_ACCOUNT", ADA)  # the password was wrong
    with pytest.raises(TooManyRequests) as refused:
        limits.refuse_if_spent("FAILED_LOGINS_PER_ACCOUNT", ADA)
    assert refused.value.details["limit"] == "FAILED_LOGINS_PER_ACCOUNT"
    assert 1 <= refused.value.details["retry_after"] <= 15 * 60
    limits.refuse_if_spent("FAILED_LOGINS_PER_ACCOUNT", GRACE)


def test_an_unknown_limit_name_is_a_programming_error():
    limits = limiter(PER_CLIENT="3/minute")
    for use in (limits.check, limits.refuse_if_spent, limits.count):
        with pytest.raises(KeyError):
            use("PER_CLEINT", "10.0.0.1")


@pytest.mark.parametrize("malformed", ["bogus", "5/15 fortnights", "", "5/minute;100/hour", None, 5])
def test_a_malformed_limit_is_refused_naming_it(malformed):
    with pytest.raises(ValueError, match="ORDERS_PER_ACCOUNT"):
        RateLimiter({"PER_CLIENT": "100/minute", "ORDERS_PER_ACCOUNT": malformed}, MEMORY, PREFIX)


def test_requests_go_through_when_the_storage_is_unreachable_with_one_warning_that_names_no_identity(caplog):
    limits = RateLimiter({"FAILED_LOGINS_PER_ACCOUNT": "1/hour"}, UNREACHABLE_REDIS, PREFIX)
    with caplog.at_level(logging.DEBUG, logger="gateway.rate_limits"):
        for _ in range(3):
            limits.refuse_if_spent("FAILED_LOGINS_PER_ACCOUNT", ADA)
            limits.count("FAILED_LOGINS_PER_ACCOUNT", ADA)
            limits.check("FAILED_LOGINS_PER_ACCOUNT", ADA)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "FAILED_LOGINS_PER_ACCOUNT" in warnings[0].getMessage()
    assert ADA not in caplog.text and "ada" not in caplog.text


class Gateway:
    name = "gateway"
    rate_limits = RateLimits()


def gateway_container(config):
    """A container of a service with ``RateLimits``, built from ``config`` and its provider set up, not started."""
    container = ServiceContainer(Gateway, config)
    get_extension(container, SharedRateLimiter).setup()
    return container  # the provider holds it weakly: the caller keeps it


def limiter_of(container):
    return get_extension(container, RateLimits).get_dependency(worker_ctx=None)


def test_the_provider_gives_every_worker_the_one_limiter_built_from_config():
    container = gateway_container(
        {"RATE_LIMIT": {"ORDERS_PER_ACCOUNT": "1/minute"}, "REDIS_URL": None, "RATE_LIMIT_KEY_PREFIX": PREFIX}
    )
    first, second = limiter_of(container), limiter_of(container)
    assert first is second
    first.check("ORDERS_PER_ACCOUNT", "account-1")
    with pytest.raises(TooManyRequests):
        second.check("ORDERS_PER_ACCOUNT", "account-1")


@pytest.mark.parametrize("redis_url", [None, ""], ids=["REDIS_URL unset", "REDIS_URL empty"])
def test_without_redis_each_gateway_counts_in_its_own_memory(redis_url):
    config = {"RATE_LIMIT": {"PER_CLIENT": "1/minute"}, "REDIS_URL": redis_url, "RATE_LIMIT_KEY_PREFIX": "one-prefix"}
    one, another = gateway_container(config), gateway_container(config)
    limiter_of(one).check("PER_CLIENT", "10.0.0.1")
    limiter_of(another).check("PER_CLIENT", "10.0.0.1")
    with pytest.raises(TooManyRequests):
        limiter_of(one).check("PER_CLIENT", "10.0.0.1")


def test_with_redis_configured_the_provider_counts_there(caplog):
    container = gateway_container(
        {"RATE_LIMIT": {"PER_CLIENT": "1/minute"}, "REDIS_URL": UNREACHABLE_REDIS, "RATE_LIMIT_KEY_PREFIX": PREFIX}
    )
    with caplog.at_level(logging.WARNING, logger="gateway.rate_limits"):
        limiter_of(container).check("PER_CLIENT", "10.0.0.1")
        limiter_of(container).check("PER_CLIENT", "10.0.0.1")  # memory would refuse it; no Redis lets it by
    assert "rate limit storage failed (ConnectionError" in caplog.text
