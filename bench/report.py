"""What the benchmark reports: ``results.json``, ``chart.png`` and one printed line, every figure rounded.

``rounded`` is the one place that rounds, by what a figure's name says it is: milliseconds (``*_ms``, and every
value of a ``*_ms*`` table) to one decimal, whole from ``WHOLE_MS_FROM`` up; rates (``*per_second``, ``*rate``,
``rps``) to one decimal; ratios (``*ratio``) to two decimals; megabytes (``*_mb``) and epoch seconds (``began``,
``ended``) to one decimal. Counts are whole already.
"""

import json
import math

WHOLE_MS_FROM = 100
ROUNDING = {
    "ms": lambda value: round(value) if abs(value) >= WHOLE_MS_FROM else round(value, 1),
    "rate": lambda value: round(value, 1),
    "ratio": lambda value: round(value, 2),
    "mb": lambda value: round(value, 1),
    "s": lambda value: round(value, 1),
}


def report(results, out):
    """``results`` with the ratios the headline is, rounded, written to ``out/results.json`` and drawn to
    ``out/chart.png``; prints the one-line summary. The figures as written."""
    baseline_rps = results["baseline"]["requests_per_second"]
    results = rounded(
        {
            **results,
            "ratio": results["shop"]["confirmed_per_second"] / baseline_rps,
            "floor_ratio": results["floor"]["confirmed_per_second"] / baseline_rps,
            "shop_to_floor_ratio": results["shop"]["confirmed_per_second"] / results["floor"]["confirmed_per_second"],
            "cpu_to_floor_ratio": _all_cpu(results["shop"]) / _all_cpu(results["floor"]),
        }
    )
    (out / "results.json").write_text(json.dumps(results, indent=2))
    chart(results, out / "chart.png")
    print(summary(results))
    return results


def rounded(figures, unit=None):
    """``figures`` (numbers in dicts and lists, as results.json holds them) with each number rounded as its unit
    wants; a number takes the unit of its own name, else of the table it is in."""
    if isinstance(figures, dict):
        return {name: rounded(value, unit_of(name) or unit) for name, value in figures.items()}
    if isinstance(figures, list):
        return [rounded(value, unit) for value in figures]
    if isinstance(figures, float) and unit and not math.isnan(figures):
        return ROUNDING[unit](figures)
    return figures


def unit_of(name):
    name = str(name)
    if name.endswith("_ms") or "_ms_" in name:
        return "ms"
    if name.endswith(("per_second", "rate", "per_batch")) or name == "rps":
        return "rate"
    if name.endswith("ratio"):
        return "ratio"
    if name.endswith("_mb"):
        return "mb"
    if name in ("began", "ended"):
        return "s"
    return None


def summary(results):
    """The one line: the shop against the baseline and the floor, its latencies, its audit, its CPU and memory."""
    base, floor, shop = results["baseline"], results["floor"], results["shop"]
    return (
        f"bench: confirmed {shop['confirmed_per_second']}/s = {results['ratio']} x baseline "
        f"{base['requests_per_second']} req/s | floor (same messages, stock Nameko, no database): "
        f"{floor['confirmed_per_second']}/s = {results['floor_ratio']} x baseline, accept->confirmed p99 "
        f"{floor['accept_to_confirmed_ms']['p99']} ms | the shop {results['shop_to_floor_ratio']} x the floor's "
        f"(target >= 0.75), CPU per order {results['cpu_to_floor_ratio']} x the floor's (target <= 1.5) | "
        f"accepted {shop['requests_per_second']}/s | POST p99 {shop['p99_ms']} ms vs the floor's {floor['p99_ms']} "
        f"ms (target <= 2x), the baseline's {base['p99_ms']} ms | "
        f"accept->confirmed p99 {shop['accept_to_confirmed_ms']['p99']} ms (target <= 250) | "
        f"errors {shop['errors']} | refused at the door {shop['refused']} | not final {shop['not_final']} | "
        f"stock errors {len(shop['stock_errors'])} | "
        f"emails missing {shop['emails_missing']}, duplicated {shop['emails_duplicated']} | "
        f"peak RSS MB: {_per_process(shop['peak_rss_mb'])} | CPU ms per order: "
        f"{_per_process(shop['cpu_ms_per_order'])} (floor: {_per_process(floor['cpu_ms_per_order'])}; outside "
        f"the shop: {_per_process(shop['outside_cpu_ms_per_order'])}, the floor's "
        f"{_per_process(floor['outside_cpu_ms_per_order'])}; baseline per request: "
        f"{_per_process(base['cpu_ms_per_request'])}) | open loop, sustained orders/s: shop "
        f"{shop['open_loop']['sustained_rate']}, floor {floor['open_loop']['sustained_rate']}; at 80 %: "
        f"shop {_at_80(shop)}, floor {_at_80(floor)} | {_overload(shop)} | "
        f"events per batch: {_per_process(shop['events_per_batch'])}"
    )


def _overload(shop):
    overload = shop.get("overload")
    if overload is None:
        return "at twice the sustained rate: not run"
    return (
        f"at twice the sustained rate ({overload['rate']}/s): accepted {overload['accepted']}, refused at the door "
        f"{overload['refused']}, placed {overload['placed']}, accept->confirmed p99 "
        f"{overload['accept_to_confirmed_ms']['p99']} ms (bound {overload['bound_seconds']} s)"
    )


def _all_cpu(system):
    """CPU ms per order of every process of the system, its servers included (not those outside it)."""
    return sum(system["cpu_ms_per_order"].values())


def _at_80(system):
    at_80 = system["open_loop"].get("at_80_percent")
    return (
        "not run"
        if at_80 is None
        else (
            f"{at_80['rate']}/s accept->confirmed p99 {at_80['accept_to_confirmed_ms']['p99']} ms (target <= 250), "
            f"POST p99 {at_80['post_p99_ms']} ms"
        )
    )


def _per_process(figures):
    return ", ".join(f"{name} {value}" for name, value in figures.items())


def chart(results, path):
    """Answers and confirmations per second, and their p95 latency, over each system's closed loop."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (throughput, latency) = pyplot.subplots(2, 1, figsize=(10, 7), sharex=True)
    for name, style in (("baseline", "--"), ("floor", "-."), ("shop", "-")):
        history = results[name]["history"]
        start_t = history[0]["t"] if history else 0
        seconds = [h["t"] - start_t for h in history]
        throughput.plot(seconds, [h["rps"] for h in history], style, label=f"{name}: POST /orders answered/s")
        latency.plot(seconds, [h["p95_ms"] for h in history], style, label=f"{name}: POST /orders p95 ms")
    for name in ("floor", "shop"):
        confirmed = results[name]["confirmed_history"]
        throughput.plot(
            [c["second"] for c in confirmed],
            [c["confirmed"] for c in confirmed],
            ":",
            label=f"{name}: orders confirmed/s",
        )
        latency.plot(
            [c["second"] for c in confirmed],
            [c["p95_ms"] for c in confirmed],
            ":",
            label=f"{name}: accept-to-confirmed p95 ms",
        )
    throughput.set_ylabel("per second")
    latency.set_ylabel("milliseconds")
    latency.set_xlabel("seconds into the load")
    throughput.legend()
    latency.legend()
    figure.suptitle(f"{results['clients']} clients, {results['seconds']} s each")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
