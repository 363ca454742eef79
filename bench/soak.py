"""``make soak``: the shop for a long run at 80 % of its sustained rate; it fails if anything keeps growing.

    SOAK_MINUTES=30 make soak          # or: python -m bench.soak --minutes 30 [--rate 20]

Two instances of every service behind the edge, on a fresh virtual host and fresh databases. The rate is
``--rate`` orders a second, or 80 % of the sustained open-loop rate the last ``make bench`` found
(``bench/out/results.json``). Orders are offered open loop (``bench/open_loop.py``) one minute at a time; at the
end of each minute the run records each process's resident memory, each queue's depth, the outbox backlog, the
pending orders and the dead letters (the metrics operators see, read from every instance), and the database
connections open (PostgreSQL's ``pg_stat_activity``). Once every order is final it adds each minute's
accept -> confirmed p50 and p99 (of the orders accepted in that minute).

It fails (exit 1) when an order is lost, doubled or left unfinished, or when a series grows steadily: a least-squares
line fitted over the run's second half rises, across that half, by more than the series' bound (``bench/growth.py``: a
share of the series' mean or a floor, whichever is larger), or when a minute of the second half took fewer than
95 % of the orders offered. Its clients sign in again as their tokens age. Figures go to ``bench/out/soak.json``
and ``bench/out/soak.png``.
"""

import argparse
import json
import os
import sys
import uuid

import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from bench.growth import short_minutes, verdicts
from bench.loads import offered_at
from bench.run import CATALOGUE, OUT, seeded_shop, shop_outcome
from harness.broker import SYSTEM_BROKER, queue_depths
from harness.databases import SERVER_URI
from harness.figures import percentile

MINUTE = 60
SOAK_ENV = {"DB_POOL_SIZE": "4"}  # 12 instances with a database x (4 + 3) = 84, within PostgreSQL's 100


def main(argv=None):
    args = arguments(argv)
    rate = args.rate or default_rate()
    run_id = uuid.uuid4().hex[:8]
    log_dir = OUT / f"soak-logs-{run_id}"
    log_dir.mkdir(parents=True)
    with (
        SYSTEM_BROKER.virtual_host(f"soak_{run_id}") as vhost,
        seeded_shop(vhost, run_id, log_dir, 8, 2, SOAK_ENV) as shop,
    ):
        minutes = []
        for _ in range(args.minutes):
            tokens = shop.stack.accounts.customer_tokens(len(shop.tokens), prefix="bench")  # signed in again if old
            offered = offered_at(shop.url, rate, MINUTE, tuple(CATALOGUE), tokens)
            minutes.append({"offered": offered["offered"], "accepted": offered["accepted"], "began": offered["began"]})
            minutes[-1]["figures"] = state_of(shop, vhost, f"shop_bench_{run_id}")
        outcome = shop_outcome(shop)
        add_latencies(minutes, shop.confirmations())
    results = {
        "rate": rate,
        "minutes": minutes,
        "outcome": outcome,
        "verdicts": verdicts(minutes),
        "short_minutes": short_minutes(minutes),
    }
    (OUT / "soak.json").write_text(json.dumps(results, indent=2))
    chart(minutes, OUT / "soak.png")
    growing = sorted(name for name, verdict in results["verdicts"].items() if verdict["grows"])
    broken = (
        outcome["not_final"] or outcome["stock_errors"] or outcome["emails_missing"] or outcome["emails_duplicated"]
    )
    print(summary(results, growing))
    return 1 if growing or broken or results["short_minutes"] else 0


def default_rate():
    """80 % of the sustained open-loop rate the last ``make bench`` found."""
    try:
        return 0.8 * json.loads((OUT / "results.json").read_text())["shop"]["open_loop"]["sustained_rate"]
    except (OSError, KeyError) as error:
        sys.exit(f"soak: no sustained rate from a make bench run ({error!r}): run make bench, or give --rate")


def arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=int(os.environ.get("SOAK_MINUTES", "30")))
    parser.add_argument("--rate", type=float, help="orders a second (default: 80 %% of the last make bench's)")
    return parser.parse_args(argv)


def state_of(shop, vhost, database_prefix):
    """What the run records at the end of a minute (the latencies are added at the end)."""
    metrics = [gauges(url) for url in shop.stack.ops_urls.values()]
    return {
        "rss_mb": {name: rss_mb(process.pid) for name, process in shop.processes.items()},
        "queue_depth": {name: depth for name, depth in queue_depths(vhost).items() if not name.startswith("rpc.reply")},
        "outbox_backlog": _most_per_service(metrics, "shop_outbox_unpublished_events"),
        "pending_orders": max(sample.get("shop_pending_orders", {}).get((), 0) for sample in metrics),
        "dead_letters": _most_per_service(metrics, "shop_dead_letters"),
        "database_connections": open_connections(database_prefix),
    }


def gauges(url):
    """``{name: {label values: value}}`` of what ``url/metrics`` exports."""
    figures = {}
    for family in text_string_to_metric_families(requests.get(f"{url}/metrics", timeout=5).text):
        for sample in family.samples:
            figures.setdefault(sample.name, {})[tuple(sample.labels.values())] = sample.value
    return figures


def _most_per_service(metrics, name):
    """The sum over services of the largest value any instance reports (instances of a service share its
    database and queues, so each reports the same)."""
    most = {}
    for sample in metrics:
        for labels, value in sample.get(name, {}).items():
            most[labels] = max(most.get(labels, 0), value)
    return sum(most.values())


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))


def open_connections(database_prefix):
    engine = create_engine(f"{SERVER_URI}/postgres")
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname LIKE :prefix"),
                {"prefix": f"{database_prefix}%"},
            ).scalar()
    finally:
        engine.dispose()


def add_latencies(minutes, confirmations):
    """Each minute's accept -> confirmed p50 and p99 (ms), of the orders accepted in it."""
    for minute in minutes:
        waits = [
            (confirmed - accepted) * 1000
            for accepted, confirmed in confirmations
            if 0 <= accepted - minute["began"] < MINUTE
        ]
        minute["figures"]["latency_ms"] = {"p50": percentile(waits, 0.5), "p99": percentile(waits, 0.99)}


def summary(results, growing):
    latencies = [minute["figures"]["latency_ms"]["p99"] for minute in results["minutes"]]
    outcome = results["outcome"]
    return (
        f"soak: {len(results['minutes'])} minutes at {results['rate']:.1f} orders/s | orders {outcome['orders']}, "
        f"not final {outcome['not_final']}, stock errors {len(outcome['stock_errors'])}, emails missing "
        f"{outcome['emails_missing']}, duplicated {outcome['emails_duplicated']} | accept->confirmed p99 by minute: "
        f"{', '.join('-' if value is None else f'{value:.0f}' for value in latencies)} ms | "
        f"growing: {', '.join(growing) or 'nothing'} | minutes short of the orders offered: "
        f"{', '.join(map(str, results['short_minutes'])) or 'none'}"
    )


def chart(minutes, path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (latency, memory, backlog) = pyplot.subplots(3, 1, figsize=(10, 10), sharex=True)
    numbers = range(1, len(minutes) + 1)
    for quantile in ("p50", "p99"):
        latency.plot(
            numbers, [m["figures"]["latency_ms"][quantile] for m in minutes], label=f"accept->confirmed {quantile}"
        )
    for name in minutes[0]["figures"]["rss_mb"]:
        memory.plot(numbers, [m["figures"]["rss_mb"][name] for m in minutes], label=name)
    for kind in ("outbox_backlog", "pending_orders", "dead_letters", "database_connections"):
        backlog.plot(numbers, [m["figures"][kind] for m in minutes], label=kind)
    backlog.plot(numbers, [sum(m["figures"]["queue_depth"].values()) for m in minutes], label="messages in queues")
    latency.set_ylabel("ms")
    memory.set_ylabel("resident MB")
    backlog.set_xlabel("minute")
    for axes in (latency, memory, backlog):
        axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path)


if __name__ == "__main__":
    sys.exit(main())
