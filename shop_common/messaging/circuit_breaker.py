"""A circuit breaker: after repeated failures, fail fast for a while instead of waiting on a dead service.

Closed: calls go through; ``failure_threshold`` failures in a row open it.
Open: calls are refused at once for ``reset_seconds``. Then one trial call
goes through (half-open): its success closes the breaker, its failure opens
it again. Plain Python; ``clock`` is injectable for tests.
"""

import time

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, failure_threshold, reset_seconds, clock=time.monotonic):
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self.clock = clock
        self.failures = 0
        self.opened_at = None
        self.trial_running = False

    @property
    def state(self):
        if self.opened_at is None:
            return CLOSED
        if self.clock() - self.opened_at >= self.reset_seconds:
            return HALF_OPEN
        return OPEN

    def allow(self):
        """May a call go through now? In half-open state, only one at a time."""
        state = self.state
        if state == CLOSED:
            return True
        if state == HALF_OPEN and not self.trial_running:
            self.trial_running = True
            return True
        return False

    def record_success(self):
        self.failures = 0
        self.opened_at = None
        self.trial_running = False

    def record_inconclusive(self):
        """A call that tells nothing about the service ends a half-open trial without a verdict."""
        self.trial_running = False

    def record_failure(self):
        self.failures += 1
        if self.trial_running or self.failures >= self.failure_threshold:
            self.opened_at = self.clock()
        self.trial_running = False
