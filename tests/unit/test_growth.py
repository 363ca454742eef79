"""The long run's judgement (``bench/growth.py``): a series grows when the line fitted over its second half rises,
across that half, by more than its bound."""

import pytest

from bench.growth import growth, short_minutes, slope, verdicts


def test_the_slope_is_the_least_squares_one():
    assert slope([1, 3, 5, 7]) == pytest.approx(2.0)
    assert slope([4, 4, 4]) == 0.0
    assert slope([5]) == 0.0


def test_a_series_that_rises_steadily_in_its_second_half_grows():
    memory = [100, 100, 100, 100, 100, 104, 108, 112, 116, 120]
    verdict = growth(memory, "rss_mb")
    assert verdict["risen"] == pytest.approx(16.0)
    assert verdict["bound"] == pytest.approx(0.05 * 112)
    assert verdict["grows"]


def test_a_series_that_rose_early_then_stayed_flat_does_not_grow():
    memory = [60, 80, 100, 110, 112, 112, 113, 112, 112, 113]
    assert not growth(memory, "rss_mb")["grows"]


def test_noise_within_the_bound_is_not_growth_and_one_more_dead_letter_is():
    assert not growth([900, 1200, 800, 1100, 950, 1000, 1050, 980, 1020, 1010], "latency_ms")["grows"]
    assert growth([0, 0, 0, 0, 0, 0, 0, 0, 1, 1], "dead_letters")["grows"]


def test_every_series_of_every_minute_is_judged_by_its_kind_and_name():
    minutes = [
        {"figures": {"rss_mb": {"orders-0": 100 + 5 * n}, "pending_orders": 10, "queue_depth": {"evt-a": 3}}}
        for n in range(6)
    ]
    judged = verdicts(minutes)
    assert sorted(judged) == ["pending_orders", "queue_depth:evt-a", "rss_mb:orders-0"]
    assert judged["rss_mb:orders-0"]["grows"] and not judged["pending_orders"]["grows"]


def test_a_second_half_minute_that_took_fewer_than_95_percent_of_the_orders_offered_fails_the_run():
    accepted = [800, 1000, 1000, 1000, 1000, 1000, 960, 949, 0, 0]  # the first half's warm-up is not judged
    minutes = [{"offered": 1000, "accepted": number} for number in accepted]
    assert short_minutes(minutes) == [8, 9, 10]
    assert short_minutes(minutes[:7]) == []
