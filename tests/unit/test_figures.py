"""The benchmark's arithmetic: what it reports is computed from what it measured."""

import os

from harness.figures import confirmation_figures, cpu_now, cpu_seconds, peak_rss_mb, percentile


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))
    assert (percentile(values, 0.50), percentile(values, 0.99), percentile(values, 1.0)) == (51, 100, 100)
    assert percentile([], 0.5) is None


def test_confirmed_per_second_counts_only_the_load_window_and_latency_counts_every_order():
    began, ended = 100.0, 110.0
    confirmed = [(99.0, 99.5), (100.0, 100.2), (101.0, 101.4), (108.0, 112.0)]  # first and last outside

    figures = confirmation_figures(confirmed, began, ended)

    assert figures["confirmed"] == 4
    assert figures["confirmed_per_second"] == 0.2
    assert figures["accept_to_confirmed_ms"]["p50"] == 500.0
    assert figures["accept_to_confirmed_ms"]["p99"] == 4000.0
    assert [(s["second"], s["confirmed"]) for s in figures["confirmed_history"]] == [(-1, 1), (0, 1), (1, 1), (12, 1)]


def test_a_run_that_confirmed_nothing_is_reported_not_crashed():
    figures = confirmation_figures([], 100.0, 110.0)
    assert figures["confirmed_per_second"] == 0.0
    assert figures["accept_to_confirmed_ms"] == {"p50": None, "p95": None, "p99": None, "mean": None}


class ThisProcess:
    pid = os.getpid()


def test_cpu_time_and_peak_memory_are_read_from_proc():
    before = cpu_now({"me": ThisProcess})["me"]
    while cpu_seconds(os.getpid()) - before < 0.05:
        sum(range(10_000))
    assert cpu_seconds(os.getpid()) - before >= 0.05
    assert peak_rss_mb(os.getpid()) > 1
