"""``wait_until``: the one way tests wait for something to happen elsewhere."""

import pytest

from harness.waiting import wait_until


class Answers:
    """A condition that gives its answers in turn, and counts how often it was asked."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.answers.pop(0)


def test_returns_the_first_truthy_value_of_the_condition():
    condition = Answers(None, [], {"status": "confirmed"})
    assert wait_until(condition, timeout=5, what="the order confirmed", poll_seconds=0.001) == {"status": "confirmed"}


def test_does_not_ask_the_condition_again_once_it_holds():
    condition = Answers(0, 0, 3, "asked once too often")
    wait_until(condition, timeout=5, what="three mails", poll_seconds=0.001)
    assert condition.calls == 3


def test_raises_after_the_timeout_naming_what_was_awaited_and_the_last_value_seen():
    with pytest.raises(AssertionError) as timed_out:
        wait_until(list, timeout=0.1, what="the event in the dead letters", poll_seconds=0.01)
    assert str(timed_out.value) == "not reached within 0.1 s: the event in the dead letters (last seen [])"


def test_asks_a_condition_that_does_not_hold_again_and_again_until_the_timeout():
    condition = Answers(*[False] * 1000)
    with pytest.raises(AssertionError):
        wait_until(condition, timeout=0.1, what="a condition that never holds", poll_seconds=0.02)
    assert 2 <= condition.calls <= 10
