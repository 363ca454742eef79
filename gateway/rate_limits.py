"""Rate limits: named limits, each counted per identity, refused with ``TooManyRequests``.

A limit is named in config (``RATE_LIMIT``: name -> limit in the ``limits``
library's notation, e.g. ``"5/15 minutes"``) and counted per identity (a
client address, an account id...). Counts live in one storage: Redis when
``REDIS_URL`` is set, so that every gateway instance with the same key prefix
shares them; the gateway's own memory otherwise (one instance, or tests).

The window moves (``MovingWindowRateLimiter``): a limit of 5 per 15 minutes
allows 5 requests in any 15 minutes, with no burst of 10 across the edge of
a fixed window, and a refused request takes no place in it, so a client that
keeps retrying gets through once its oldest request is 15 minutes old.
``retry_after`` says when that is, in whole seconds, at least 1.

Keys in storage hold the prefix, the limit's name and the identity (which may
be an email); nothing here logs an identity.

When the storage fails (Redis down or too slow: it has ``STORAGE_TIMEOUT_SECONDS``
unless the URI says otherwise, e.g. ``?socket_timeout=2``), the limiter fails
open: it lets the request through and logs one warning per run of failures.
A rate limit guards against abuse; refusing every client because Redis is
down would turn the storage's outage into the whole shop's.
"""

import math
import time
from contextlib import contextmanager
from logging import getLogger
from urllib.parse import urlsplit

from limits import parse_many
from limits.errors import ConcurrentUpdateError, StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from nameko.extensions import DependencyProvider, SharedExtension

from shop_common.observability.metrics import RATE_LIMITED
from shop_common.vocabulary.errors import TooManyRequests

_log = getLogger(__name__)

STORAGE_TIMEOUT_SECONDS = 0.5  # to connect to Redis, and for each answer; a normal one takes well under 1 ms
_STORAGE_ERRORS = (StorageError, ConcurrentUpdateError)


def parse_limit(name, limit_string, key_prefix):
    """The one limit ``limit_string`` describes, keyed under ``key_prefix``; ``ValueError`` naming ``name`` if none."""
    try:
        items = parse_many(limit_string)
    except ValueError:
        items = []
    if len(items) != 1:
        raise ValueError(f"rate limit {name}: {limit_string!r} is not one limit such as '5/15 minutes'")
    return type(items[0])(items[0].amount, items[0].multiples, namespace=key_prefix)


def _storage(storage_uri):
    """The storage at ``storage_uri``, its failures raised as ``StorageError``; a Redis one with timeouts."""
    options = {}
    if urlsplit(storage_uri).scheme.startswith(("redis", "valkey")):
        options = {"socket_timeout": STORAGE_TIMEOUT_SECONDS, "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS}
    return storage_from_string(storage_uri, wrap_exceptions=True, **options)


class RateLimiter:
    """Named limits, each counted per identity (a client address, an account id...), in one storage."""

    def __init__(self, limits, storage_uri, key_prefix):
        # each key: "<prefix>/<name>/<identity>/<amount>/<multiples>/<granularity>" (after "LIMITS:" in Redis)
        self._limits = {name: parse_limit(name, limit_string, key_prefix) for name, limit_string in limits.items()}
        self._strategy = MovingWindowRateLimiter(_storage(storage_uri))
        self._storage_failing = False

    def check(self, name, identity):
        """Count one request against limit ``name`` for ``identity``; raise TooManyRequests when it is spent
        (the refused request is not counted)."""
        limit = self._limits[name]
        if not self._ask(self._strategy.hit, limit, name, identity):
            raise self._refusal(limit, name, identity)

    def refuse_if_spent(self, name, identity):
        """Raise TooManyRequests when ``name`` is spent for ``identity``, counting nothing
        (failed logins: checked before the password is)."""
        limit = self._limits[name]
        if not self._ask(self._strategy.test, limit, name, identity):
            raise self._refusal(limit, name, identity)

    def count(self, name, identity):
        """Count one without checking (a failed login)."""
        self._ask(self._strategy.hit, self._limits[name], name, identity)

    @contextmanager
    def counting_failures(self, limited, failure):
        """Refuse (``TooManyRequests``) when any ``(name, identity)`` of ``limited`` is spent, counting nothing;
        then count one against each when the block raises ``failure`` (a failed sign-in)."""
        for name, identity in limited:
            self.refuse_if_spent(name, identity)
        try:
            yield
        except failure:
            for name, identity in limited:
                self.count(name, identity)
            raise

    def _ask(self, question, limit, name, identity):
        """The storage's answer to ``question`` (hit or test): True, "go ahead", when the storage fails."""
        try:
            answer = question(limit, name, identity)
        except _STORAGE_ERRORS as error:
            self._storage_failed(name, error)
            return True
        self._storage_answered()
        return answer

    def _refusal(self, limit, name, identity):
        RATE_LIMITED.labels(name).inc()
        seconds = self._retry_after(limit, name, identity)
        return TooManyRequests(f"too many requests; try again in {seconds} s", {"limit": name, "retry_after": seconds})

    def _retry_after(self, limit, name, identity):
        """Whole seconds until ``limit`` has room again for ``identity``; at least 1."""
        try:
            room_at = self._strategy.get_window_stats(limit, name, identity).reset_time
        except _STORAGE_ERRORS as error:
            self._storage_failed(name, error)
            room_at = time.time() + limit.get_expiry()  # at the latest
        return max(1, math.ceil(room_at - time.time()))

    def _storage_failed(self, name, error):
        if not self._storage_failing:
            cause = getattr(error, "storage_error", error)
            _log.warning(
                "rate limit storage failed (%s: %s) counting %s; requests go through unlimited until it answers again",
                type(cause).__name__,
                cause,
                name,
            )
        self._storage_failing = True

    def _storage_answered(self):
        if self._storage_failing:
            _log.info("rate limit storage answers again; limits apply")
        self._storage_failing = False


class SharedRateLimiter(SharedExtension):
    """The gateway's one ``RateLimiter``: its HTTP entrypoints and its workers count in the same one.

    Built in setup() from config: ``RATE_LIMIT`` (name -> limit string), ``REDIS_URL`` (Redis storage when set
    and not empty, the gateway's own memory otherwise) and ``RATE_LIMIT_KEY_PREFIX``.
    """

    def setup(self):
        config = self.container.config
        self.limiter = RateLimiter(
            config["RATE_LIMIT"],
            storage_uri=config["REDIS_URL"] or "memory://",
            key_prefix=config["RATE_LIMIT_KEY_PREFIX"],
        )


class RateLimits(DependencyProvider):
    """Gives every worker the gateway's ``RateLimiter``."""

    shared = SharedRateLimiter()

    def get_dependency(self, worker_ctx):
        return self.shared.limiter
