"""What a benchmark reports, computed from what it measured: percentiles, confirmations per second,
CPU time and peak memory of processes (read from /proc)."""

import math
import os
import statistics


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def cpu_seconds(pid):
    """User plus system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ms_per_order(processes, cpu_before, orders):
    """Each process's CPU milliseconds per order since ``cpu_before`` was read."""
    return {name: round((cpu_seconds(process.pid) - cpu_before[name]) * 1000 / max(orders, 1), 2)
            for name, process in processes.items()}


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def cpu_now(processes):
    return {name: cpu_seconds(process.pid) for name, process in processes.items()}


def peak_rss(processes):
    return {name: peak_rss_mb(process.pid) for name, process in processes.items()}


def confirmation_figures(confirmed, began, ended):
    """Confirmed per second during the load, and accept-to-confirmed latency, from (accepted, confirmed) times."""
    in_window = [c for _, c in confirmed if began <= c <= ended]
    latencies = [(c - a) * 1000 for a, c in confirmed]
    return {
        "confirmed": len(confirmed),
        "confirmed_per_second": round(len(in_window) / (ended - began), 1),
        "accept_to_confirmed_ms": {
            "p50": _rounded(percentile(latencies, 0.50)), "p95": _rounded(percentile(latencies, 0.95)),
            "p99": _rounded(percentile(latencies, 0.99)),
            "mean": _rounded(statistics.fmean(latencies) if latencies else None)},
        "confirmed_history": _per_second(confirmed, began),
    }


def _rounded(value):
    return None if value is None else round(value, 1)


def _per_second(confirmed, began):
    buckets = {}
    for accepted, at in confirmed:
        second = math.floor(at - began)
        count, latencies = buckets.get(second, (0, []))
        buckets[second] = (count + 1, latencies + [(at - accepted) * 1000])
    return [{"second": s, "confirmed": n, "p95_ms": percentile(l, 0.95)} for s, (n, l) in sorted(buckets.items())]
