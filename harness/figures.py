"""What a benchmark reports, computed from what it measured: percentiles, confirmations per second,
CPU time and peak memory of processes (read from /proc). Unrounded: the report rounds (``bench/report.py``)."""

import math
import os
import statistics

# The servers beside the services, by the command names of their processes on this machine.
SERVERS = {"rabbitmq": ("beam.smp", "erl_child_setup", "epmd"), "postgresql": ("postgres",), "edge": ("nginx",)}


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
    return {
        name: (cpu_seconds(process.pid) - cpu_before[name]) * 1000 / max(orders, 1)
        for name, process in processes.items()
    }


def server_cpu_now():
    """CPU seconds used so far by each process of each server: ``{server: {pid: seconds}}``."""
    by_command = {command: server for server, commands in SERVERS.items() for command in commands}
    now = {server: {} for server in SERVERS}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/comm") as comm:
                server = by_command.get(comm.read().strip())
            if server:
                now[server][int(entry.name)] = cpu_seconds(entry.name)
        except OSError:
            pass  # the process ended meanwhile
    return now


def server_cpu_ms_per_order(before, orders):
    """Each server's CPU milliseconds per order since ``before`` (``server_cpu_now()``) was read.

    A process started since counts in full; one that ended since is not counted (PostgreSQL's backends live as
    long as the services' pooled connections, so for the length of a run).
    """
    return {
        server: sum(seconds - before[server].get(pid, 0.0) for pid, seconds in pids.items()) * 1000 / max(orders, 1)
        for server, pids in server_cpu_now().items()
    }


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
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
        "confirmed_per_second": len(in_window) / (ended - began),
        "accept_to_confirmed_ms": {
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "mean": statistics.fmean(latencies) if latencies else None,
        },
        "confirmed_history": _per_second(confirmed, began),
    }


def keeps_up(offered, accepted_at, confirmed_at, began, ended, tolerance=0.05, grace=1.0):
    """Whether a system sustained a rate offered from ``began`` to ``ended``: it accepted (nearly) every order
    offered by ``grace`` seconds after the window (no queue of requests builds up in front of it), and over the
    window's second half it confirmed as many orders per second as it accepted (no backlog builds up behind it).
    ``accepted_at`` and ``confirmed_at`` are epoch seconds, of any orders."""
    middle = (began + ended) / 2
    answered = sum(1 for t in accepted_at if t <= ended + grace)
    arrived = sum(1 for t in accepted_at if middle <= t <= ended)
    confirmed = sum(1 for t in confirmed_at if middle <= t <= ended)
    return answered >= (1 - tolerance) * offered and confirmed >= (1 - tolerance) * arrived


def _per_second(confirmed, began):
    buckets = {}
    for accepted, at in confirmed:
        second = math.floor(at - began)
        count, latencies = buckets.get(second, (0, []))
        buckets[second] = (count + 1, latencies + [(at - accepted) * 1000])
    return [{"second": s, "confirmed": n, "p95_ms": percentile(ms, 0.95)} for s, (n, ms) in sorted(buckets.items())]
