"""The benchmark's arithmetic: what it reports is computed from what it measured."""

import os

from harness.figures import (
    confirmation_figures,
    cpu_now,
    cpu_seconds,
    keeps_up,
    peak_rss_mb,
    percentile,
    server_cpu_ms_per_order,
    server_cpu_now,
)


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


def test_a_rate_is_sustained_when_confirmations_keep_pace_with_acceptances_in_the_second_half():
    accepted = [100 + i * 0.1 for i in range(100)]  # 10 per second for 10 s
    in_step = [t + 0.05 for t in accepted]
    falling_behind = [100 + i * 0.125 for i in range(80)]  # 8 per second: the backlog grows
    assert keeps_up(100, accepted, in_step, 100.0, 110.0)
    assert not keeps_up(100, accepted, falling_behind, 100.0, 110.0)
    assert not keeps_up(100, accepted[:90], in_step[:90], 100.0, 110.0)  # a tenth of the offers refused
    answered_late = accepted[:80] + [112.0 + i * 0.1 for i in range(20)]  # a fifth answered 2 s after the window
    assert not keeps_up(100, answered_late, [t + 0.05 for t in answered_late], 100.0, 110.0)


def test_the_servers_cpu_is_read_from_their_processes_and_counted_per_order():
    before = server_cpu_now()
    assert before["rabbitmq"] and before["postgresql"]  # both run beside the tests
    per_order = server_cpu_ms_per_order(before, orders=1)
    assert set(per_order) == {"rabbitmq", "postgresql", "edge"}  # the edge: nginx, when it runs
    assert all(ms >= 0 for ms in per_order.values())
