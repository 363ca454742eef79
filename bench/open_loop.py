"""The open-loop load: orders offered at a fixed rate with Poisson arrivals, whatever the answers take.

``python -m bench.open_loop URL RATE SECONDS TIMEOUT`` posts ``POST /orders``
at ``RATE`` per second on average (exponential gaps between requests, each on
a green thread of its own, so a slow answer delays no later request), for
``SECONDS``, each waiting at most ``TIMEOUT`` seconds for its answer; then
prints one JSON object: how many were offered, accepted (answered 2xx: 201
from the shop, 200 from the stock floor), refused or failed, the acceptances'
percentiles, and when (epoch seconds) each came back. What it orders, and as
whom: ``bench/orders.py``.
"""

import eventlet

eventlet.monkey_patch()

import collections  # noqa: E402  (after monkey_patch, as eventlet requires)
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import requests  # noqa: E402
from requests.adapters import HTTPAdapter  # noqa: E402

from bench import orders  # noqa: E402
from harness.figures import percentile  # noqa: E402

MAX_IN_FLIGHT = 500  # beyond this the system is far past what it sustains; the rest count as not sent


def offer(url, rate, seconds, timeout, seed=0):
    chooser = random.Random(seed)
    skus, tokens = orders.skus(), orders.tokens()
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=MAX_IN_FLIGHT))
    answers = collections.Counter()
    latencies = []
    accepted_at = []
    pool = eventlet.GreenPool(MAX_IN_FLIGHT)

    def post(order, token):
        sent = time.monotonic()
        try:
            response = session.post(
                f"{url}/orders", json=order, timeout=timeout, headers={"Authorization": f"Bearer {token}"}
            )
        except requests.RequestException as error:
            answers[type(error).__name__] += 1
            return
        if not response.ok:
            answers[response.status_code] += 1
            return
        latencies.append((time.monotonic() - sent) * 1000)
        accepted_at.append(time.time())

    began = time.monotonic()
    due = began
    offered = 0
    while due < began + seconds:
        due += chooser.expovariate(rate)
        eventlet.sleep(max(0.0, due - time.monotonic()))
        offered += 1
        if pool.free() == 0:
            answers["not sent"] += 1
            continue
        pool.spawn(post, orders.order(chooser, skus), chooser.choice(tokens))
    pool.waitall()
    return {
        "rate": rate,
        "seconds": seconds,
        "offered": offered,
        "accepted": len(accepted_at),
        "other_answers": {str(status): count for status, count in answers.items()},
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "accepted_at": accepted_at,
    }


if __name__ == "__main__":
    url, rate, seconds, timeout = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    print(json.dumps(offer(url, rate, seconds, timeout)))
