"""The benchmark's report: every figure rounded as its unit wants, in one place (``bench/report.py``)."""

import re

from bench.report import rounded, summary


def test_milliseconds_are_whole_from_100_up_and_to_one_decimal_below():
    figures = {
        "p99_ms": 113.77833599999576,
        "p50_ms": 42.2649,
        "accept_to_confirmed_ms": {"p99": 2312.44, "p50": None},
        "cpu_ms_per_order": {"orders-0": 17.786, "accounts-0": 0.0712, "postgresql": 7.64},
    }

    assert rounded(figures) == {
        "p99_ms": 114,
        "p50_ms": 42.3,
        "accept_to_confirmed_ms": {"p99": 2312, "p50": None},
        "cpu_ms_per_order": {"orders-0": 17.8, "accounts-0": 0.1, "postgresql": 7.6},
    }


def test_rates_are_to_one_decimal_ratios_to_two_and_counts_stay_as_they_are():
    figures = {
        "confirmed_per_second": 29.4666,
        "sustained_rate": 33.5999,
        "ratio": 0.2567,
        "requests": 893,
        "history": [{"t": 1700000000, "rps": 31.04, "p95_ms": None}],
        "open_loop": {"steps": [{"rate": 14.7333, "offered": 220, "sustained": True}]},
    }

    assert rounded(figures) == {
        "confirmed_per_second": 29.5,
        "sustained_rate": 33.6,
        "ratio": 0.26,
        "requests": 893,
        "history": [{"t": 1700000000, "rps": 31.0, "p95_ms": None}],
        "open_loop": {"steps": [{"rate": 14.7, "offered": 220, "sustained": True}]},
    }


def system(**more):
    return {
        "requests_per_second": 487.3821,
        "p99_ms": 23.8812,
        "confirmed_per_second": 107.4417,
        "accept_to_confirmed_ms": {"p99": 1893.77},
        "cpu_ms_per_order": {"orders-0": 17.7912, "rabbitmq": 4.4333},
        "outside_cpu_ms_per_order": {"payment_provider": 1.8612},
        "open_loop": {
            "sustained_rate": 33.6123,
            "at_80_percent": {"rate": 26.8898, "post_p99_ms": 1457.3, "accept_to_confirmed_ms": {"p99": 5515.123}},
        },
        **more,
    }


def test_the_summary_line_shows_no_figure_unrounded():
    results = {
        "ratio": 0.0564213,
        "floor_ratio": 0.22037,
        "shop_to_floor_ratio": 0.25603,
        "cpu_to_floor_ratio": 3.81234,
        "clients": 8,
        "seconds": 30,
        "baseline": system(cpu_ms_per_request={"gateway": 1.7123}),
        "floor": system(),
        "shop": system(
            errors=0,
            refused=12,
            not_final=0,
            stock_errors={},
            emails_missing=0,
            emails_duplicated=0,
            peak_rss_mb={"accounts-0": 117.3086},
            events_per_batch={"orders.handle_stock_reserved": 3.4567},
            overload={
                "rate": 48.01234,
                "accepted": 600,
                "refused": 840,
                "placed": 600,
                "accept_to_confirmed_ms": {"p99": 2875.456},
                "bound_seconds": 10.0,
            },
        ),
    }

    line = summary(rounded(results))

    assert re.findall(r"\d+\.\d{3,}", line) == []
    assert "POST p99 23.9 ms" in line and "= 0.06 x baseline 487.4 req/s" in line
    assert "accept->confirmed p99 1894 ms" in line and "accounts-0 117.3" in line
    assert "the shop 0.26 x the floor's" in line and "CPU per order 3.81 x the floor's" in line
    assert "orders.handle_stock_reserved 3.5" in line and "refused at the door 12" in line
    assert "at twice the sustained rate (48.0/s): accepted 600, refused at the door 840, placed 600" in line
    assert "accept->confirmed p99 2875 ms (bound 10.0 s)" in line
