"""Rate limits counted in the real Redis: gateways with the same key prefix share counts, others do not.

Every test works under its own prefix and deletes its keys afterwards.
"""

import uuid

import pytest
import redis
from nameko.containers import ServiceContainer
from nameko.testing.utils import get_extension

from gateway.rate_limits import RateLimiter, RateLimits, SharedRateLimiter
from shop_common.vocabulary.errors import TooManyRequests

REDIS_URL = "redis://127.0.0.1:6379"
LIMITS = {"PER_CLIENT": "2/minute", "FAILED_LOGINS_PER_ACCOUNT": "2/15 minutes"}


def unique_prefix():
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def prefixes(redis_client):
    """A fresh prefix per call; every key under them is deleted at the end."""
    made = []

    def prefix():
        made.append(unique_prefix())
        return made[-1]

    yield prefix
    for made_prefix in made:
        for key in redis_client.scan_iter(match=f"*{made_prefix}/*"):
            redis_client.delete(key)


def gateway(prefix):
    return RateLimiter(LIMITS, storage_uri=REDIS_URL, key_prefix=prefix)


def test_two_gateways_with_the_same_prefix_share_counts(prefixes):
    prefix = prefixes()
    one, another = gateway(prefix), gateway(prefix)
    one.check("PER_CLIENT", "10.0.0.1")
    another.check("PER_CLIENT", "10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        one.check("PER_CLIENT", "10.0.0.1")
    assert 1 <= refused.value.details["retry_after"] <= 60
    with pytest.raises(TooManyRequests):
        another.check("PER_CLIENT", "10.0.0.1")


def test_failed_logins_counted_by_one_gateway_lock_the_account_out_on_another(prefixes):
    prefix = prefixes()
    one, another = gateway(prefix), gateway(prefix)
    one.count("FAILED_LOGINS_PER_ACCOUNT", "ada@example.com")
    another.count("FAILED_LOGINS_PER_ACCOUNT", "ada@example.com")
    with pytest.raises(TooManyRequests):
        one.refuse_if_spent("FAILED_LOGINS_PER_ACCOUNT", "ada@example.com")
    another.refuse_if_spent("FAILED_LOGINS_PER_ACCOUNT", "grace@example.com")


def test_gateways_with_different_prefixes_count_apart(prefixes):
    one, another = gateway(prefixes()), gateway(prefixes())
    one.check("PER_CLIENT", "10.0.0.1")
    one.check("PER_CLIENT", "10.0.0.1")
    another.check("PER_CLIENT", "10.0.0.1")
    another.check("PER_CLIENT", "10.0.0.1")


def test_keys_in_redis_hold_the_prefix_the_limit_and_the_identity(prefixes, redis_client):
    prefix = prefixes()
    gateway(prefix).check("PER_CLIENT", "10.0.0.1")
    keys = [key.decode() for key in redis_client.scan_iter(match=f"*{prefix}/*")]
    assert len(keys) == 1
    assert f"{prefix}/PER_CLIENT/10.0.0.1/" in keys[0]


class Gateway:
    name = "gateway"
    rate_limits = RateLimits()


def test_the_provider_counts_in_redis_when_redis_url_is_set(prefixes):
    config = {"RATE_LIMIT": {"PER_CLIENT": "1/minute"}, "REDIS_URL": REDIS_URL, "RATE_LIMIT_KEY_PREFIX": prefixes()}
    one, another = ServiceContainer(Gateway, config), ServiceContainer(Gateway, config)  # two gateway instances
    for container in (one, another):
        get_extension(container, SharedRateLimiter).setup()
    get_extension(one, RateLimits).get_dependency(None).check("PER_CLIENT", "10.0.0.1")
    with pytest.raises(TooManyRequests):
        get_extension(another, RateLimits).get_dependency(None).check("PER_CLIENT", "10.0.0.1")
