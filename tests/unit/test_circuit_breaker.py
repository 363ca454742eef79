from shop_common.messaging.circuit_breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def failing_breaker(clock, failures=3):
    breaker = CircuitBreaker(failure_threshold=3, reset_seconds=10, clock=clock)
    for _ in range(failures):
        assert breaker.allow()
        breaker.record_failure()
    return breaker


def test_stays_closed_below_the_threshold_and_a_success_resets_the_count():
    breaker = failing_breaker(Clock(), failures=2)
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == CLOSED and breaker.allow()


def test_opens_after_the_threshold_and_refuses_calls():
    breaker = failing_breaker(Clock())
    assert breaker.state == OPEN
    assert breaker.allow() is False


def test_after_the_reset_time_lets_one_trial_call_through():
    clock = Clock()
    breaker = failing_breaker(clock)
    clock.now += 10
    assert breaker.state == HALF_OPEN
    assert breaker.allow() is True
    assert breaker.allow() is False  # only one trial at a time


def test_a_successful_trial_closes_it():
    clock = Clock()
    breaker = failing_breaker(clock)
    clock.now += 10
    breaker.allow()
    breaker.record_success()
    assert breaker.state == CLOSED and breaker.allow()


def test_a_failed_trial_opens_it_again_for_the_full_reset_time():
    clock = Clock()
    breaker = failing_breaker(clock)
    clock.now += 10
    breaker.allow()
    breaker.record_failure()
    assert breaker.state == OPEN
    clock.now += 9
    assert breaker.allow() is False
