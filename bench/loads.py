"""The loads the benchmark offers a system, each through ``POST /orders``, and what each measures.

- ``closed_loop``: locust's clients (``bench/locustfile.py``) posting as fast as answers come back, for a time:
  requests per second, errors and answer percentiles, with the per-second history.
- ``highest_sustained_rate``: open-loop steps (``bench/open_loop.py``: a rate with Poisson arrivals), each rate
  1.25 times the last, until one is not sustained (``keeps_up``); then accept-to-confirmed latency at 80 % of the
  highest sustained (``latency_at``, which the shop's overload run uses at twice it).
"""

import csv
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import orders
from harness.figures import confirmation_figures, keeps_up
from harness.repository import ROOT

LOCUST = str(Path(sys.executable).parent / "locust")
OPEN_LOOP_STEPS = 7  # at most, the first at half the closed loop's confirmed/s, each next x1.25
OPEN_LOOP_GROWTH = 1.25
OPEN_LOOP_SETTLE_SECONDS = 3  # after each step, for its orders to be confirmed before the next
OPEN_LOOP_REQUEST_TIMEOUT = 30  # seconds an open-loop request waits for its answer
AT_80_PERCENT_WAIT_SECONDS = 60  # at most, for every order of the 80 % window to be confirmed


@dataclass(frozen=True)
class Load:
    """What every system is offered: ``clients`` closed-loop clients for ``seconds``, then open-loop steps of
    ``step_seconds`` (and twice that at 80 %), all ordering from ``skus``; locust's files go to ``out``."""

    clients: int
    seconds: int
    step_seconds: int
    skus: tuple
    out: Path


def closed_loop(url, load, name, tokens=()):
    """``load.clients`` locust clients posting orders to ``url`` for ``load.seconds``: the summary of
    ``POST /orders`` and its per-second history; and the window (epoch seconds) it ran in."""
    prefix = load.out / name
    began = time.time()
    subprocess.run(
        [
            LOCUST,
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--only-summary",
            "-u",
            str(load.clients),
            "-r",
            str(load.clients),
            "-t",
            f"{load.seconds}s",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--csv-full-history",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=orders.environment(load.skus, tokens),
        check=False,
        stdout=subprocess.DEVNULL,
    )
    ended = time.time()
    with open(f"{prefix}_stats.csv") as stats_file:
        rows = {r["Name"]: r for r in csv.DictReader(stats_file)}
    row = rows[orders.PLACED]
    with open(f"{prefix}_stats_history.csv") as history_file:
        history = [r for r in csv.DictReader(history_file) if r["Name"] == "Aggregated"]
    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "refused": int(rows.get(orders.REFUSED, {}).get("Request Count", 0)),
        "requests_per_second": float(row["Requests/s"]),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
        "p99_ms": float(row["99%"]),
        "history": [
            {
                "t": int(r["Timestamp"]),
                "rps": _number(r["Requests/s"]),
                "p50_ms": _number(r["50%"]),
                "p95_ms": _number(r["95%"]),
            }
            for r in history
        ],
    }, (began, ended)


def _number(cell):
    """A locust CSV cell; it writes ``N/A`` before the first answer."""
    try:
        return float(cell)
    except ValueError:
        return None


def highest_sustained_rate(url, load, tokens, confirmed, closed_loop_rate):
    """The highest rate (Poisson arrivals) the system at ``url`` sustains, then accept-to-confirmed at 80 % of it.

    ``confirmed()`` gives the (accepted at, confirmed at) pairs of every order confirmed so far. Rates are tried
    from half ``closed_loop_rate`` up until one is not sustained.
    """
    steps = []
    rate = closed_loop_rate / 2
    for _ in range(OPEN_LOOP_STEPS):
        step = offered_at(url, rate, load.step_seconds, load.skus, tokens)
        time.sleep(OPEN_LOOP_SETTLE_SECONDS)
        step["sustained"] = keeps_up(
            step["offered"], step.pop("accepted_at"), [c for _, c in confirmed()], step["began"], step["ended"]
        )
        steps.append(step)
        if not step["sustained"]:
            break
        rate *= OPEN_LOOP_GROWTH
    sustained = max((step["rate"] for step in steps if step["sustained"]), default=0.0)
    result = {"steps": steps, "sustained_rate": sustained}
    if sustained:
        result["at_80_percent"] = latency_at(0.8 * sustained, url, load, tokens, confirmed)
    return result


def latency_at(rate, url, load, tokens, confirmed):
    """Accept-to-confirmed latency of the orders offered at ``rate`` for two steps' time, once every one of them
    is confirmed (or ``AT_80_PERCENT_WAIT_SECONDS`` have passed), so that the slowest are counted; how many were
    refused (503), and the window (``began`` to ``ended``) in which those accepted were."""
    offered = offered_at(url, rate, 2 * load.step_seconds, load.skus, tokens)
    # an order offered in the window is accepted by its end or within a request's timeout after it
    last_accepted = offered["ended"] + OPEN_LOOP_REQUEST_TIMEOUT
    deadline = time.monotonic() + AT_80_PERCENT_WAIT_SECONDS
    while True:
        window = [(a, c) for a, c in confirmed() if offered["began"] <= a <= last_accepted]
        if len(window) >= offered["accepted"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    figures = confirmation_figures(window, offered["began"], offered["ended"])
    return {
        "rate": offered["rate"],
        "offered": offered["offered"],
        "accepted": offered["accepted"],
        "refused": offered["other_answers"].get("503", 0),
        "began": offered["began"],
        "ended": last_accepted,
        "confirmed": figures["confirmed"],
        "post_p99_ms": offered["p99_ms"],
        "accept_to_confirmed_ms": figures["accept_to_confirmed_ms"],
    }


def offered_at(url, rate, seconds, skus, tokens):
    """``bench/open_loop.py`` at ``rate`` orders/s for ``seconds``: its summary, with the window's start and end."""
    began = time.time()
    finished = subprocess.run(
        [sys.executable, "-m", "bench.open_loop", url, str(rate), str(seconds), str(OPEN_LOOP_REQUEST_TIMEOUT)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env=orders.environment(skus, tokens),
    )
    return {**json.loads(finished.stdout), "began": began, "ended": began + seconds}
