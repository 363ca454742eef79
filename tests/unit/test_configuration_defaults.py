"""Each setting's default is config.yaml's alone: with its environment variable unset, the code uses what
config.yaml says, and without the key in the config it fails loudly (KeyError) rather than fall back on a
default of its own."""

import ipaddress
from functools import reduce

import pytest
from nameko.containers import ServiceContainer
from nameko.testing.utils import get_extension

from gateway import rate_limits
from gateway.authentication import issuers
from gateway.http import trusted_proxies
from shop_common.identity.tokens import LocalIssuer
from shop_common.messaging.queues import queue_arguments
from shop_common.messaging.rpc_proxy import GuardedRpcProxy
from shop_common.operations.config import load_config
from shop_common.persistence.database import pool_size

VARIABLES = (
    "QUEUE_TYPE",
    "CIRCUIT_BREAKER_FAILURES",
    "CIRCUIT_BREAKER_RESET_SECONDS",
    "REDIS_URL",
    "RATE_LIMIT_KEY_PREFIX",
    "DB_POOL_SIZE",
    "TRUSTED_PROXIES",
    "OIDC_ISSUER",
    "OIDC_AUDIENCE",
    "OIDC_JWKS_URL",
)


@pytest.fixture
def config(monkeypatch):
    """config.yaml with none of these settings' environment variables set: its own defaults."""
    for variable in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    return load_config()


@pytest.fixture(autouse=True)
def recorded_rate_limiter(monkeypatch):
    """``SharedRateLimiter`` builds this in place of a ``RateLimiter``: the storage and key prefix it was given."""
    monkeypatch.setattr(rate_limits, "RateLimiter", lambda limits, storage_uri, key_prefix: (storage_uri, key_prefix))


class Gateway:
    name = "gateway"
    inventory_rpc = GuardedRpcProxy("inventory")
    rate_limits = rate_limits.RateLimits()


def set_up(extension_type, config):
    container = ServiceContainer(Gateway, config)  # its extensions hold it weakly: kept here while they set up
    extension = get_extension(container, extension_type)
    extension.setup()
    return extension


def breaker(config):
    breaker = set_up(GuardedRpcProxy, config).breaker
    return breaker.failure_threshold, breaker.reset_seconds


def rate_limiter(config):
    return set_up(rate_limits.SharedRateLimiter, config).limiter


def test_the_circuit_breaker_is_config_yamls(config):
    assert breaker(config) == (config["CIRCUIT_BREAKER"]["FAILURES"], config["CIRCUIT_BREAKER"]["RESET_SECONDS"])


def test_queues_are_of_config_yamls_type(config):
    assert config["QUEUE_TYPE"] == "classic"
    assert queue_arguments(config) == {}


def test_rate_limits_are_counted_in_memory_under_config_yamls_prefix(config):
    assert config["REDIS_URL"] is None  # empty: the gateway's own memory
    assert rate_limiter(config) == ("memory://", config["RATE_LIMIT_KEY_PREFIX"])


def test_the_database_pool_is_one_connection_per_worker_as_config_yaml_leaves_it_empty(config):
    assert config["DB_POOL_SIZE"] is None
    assert pool_size(config, max_workers=7) == 7


def test_the_trusted_proxies_are_config_yamls(config):
    networks = tuple(ipaddress.ip_network(entry) for entry in config["TRUSTED_PROXIES"].split(","))
    assert trusted_proxies(config) == networks


def test_no_external_issuer_is_trusted_as_config_yaml_names_none(config):
    assert config["AUTH"]["EXTERNAL"]["ISSUER"] is None
    assert [type(issuer) for issuer in issuers(config)] == [LocalIssuer]


@pytest.mark.parametrize(
    "path, read",
    [
        (("QUEUE_TYPE",), queue_arguments),
        (("CIRCUIT_BREAKER", "FAILURES"), breaker),
        (("CIRCUIT_BREAKER", "RESET_SECONDS"), breaker),
        (("REDIS_URL",), rate_limiter),
        (("RATE_LIMIT_KEY_PREFIX",), rate_limiter),
        (("DB_POOL_SIZE",), lambda config: pool_size(config, max_workers=7)),
        (("TRUSTED_PROXIES",), trusted_proxies),
        (("AUTH", "EXTERNAL"), issuers),
        (("AUTH", "EXTERNAL", "ISSUER"), issuers),
    ],
    ids=lambda value: ".".join(value) if isinstance(value, tuple) else None,
)
def test_without_the_setting_the_code_fails_rather_than_use_a_default_of_its_own(config, path, read):
    section = reduce(lambda settings, key: settings[key], path[:-1], config)
    del section[path[-1]]
    with pytest.raises(KeyError, match=path[-1]):
        read(config)
