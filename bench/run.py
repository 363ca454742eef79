"""``make bench``: the shop's orders per second against a bare Nameko baseline, on this machine.

Starts, on fresh databases and a fresh RabbitMQ virtual host, first the
baseline (a stock ``http`` entrypoint forwarding the body over RPC to a stock
echo service), then the whole shop with a seeded catalogue; drives ``POST
/orders`` at each with locust (closed loop, ``--clients`` at once, for
``--seconds``); then checks the shop: every order final, stock exact.

Writes ``bench/out/results.json`` and ``bench/out/chart.png`` and prints a
one-line summary. The headline is the ratio of the shop's confirmed orders per
second to the baseline's requests per second.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import requests
from sqlalchemy import text

from harness.repository import ROOT
from harness.figures import (confirmation_figures, cpu_ms_per_order, cpu_now, keeps_up, peak_rss,
                             server_cpu_ms_per_order, server_cpu_now)
from harness.accounts import bearer
from harness.audit import email_problems, stock_errors, wait_until_settled
from harness.broker import MANAGEMENT_API, wait_for_consumers
from harness.databases import TestDatabases
from harness.smtp import SmtpSink, free_port, wait_for_port
from harness.edge import running_edge
from harness.payment_provider import running_provider
from harness.stack import GENEROUS_LIMITS, MODULES, NAMEKO, Stack

OUT = ROOT / "bench" / "out"
LOCUST = str(Path(sys.executable).parent / "locust")
CATALOGUE_SIZE = 20
STOCK_PER_PRODUCT = 1_000_000
OPEN_LOOP_STEP_SECONDS = 15     # each rate tried in the open-loop search
OPEN_LOOP_STEPS = 7             # at most, the first at half the closed loop's confirmed/s, each next x1.25
OPEN_LOOP_SETTLE_SECONDS = 3    # after each step, for its orders to be confirmed before the next
OPEN_LOOP_REQUEST_TIMEOUT = 30  # seconds an open-loop request waits for its answer
# The shop's tuning for the run (environment variables config.yaml reads); the baseline stays stock.
SHOP_SETTINGS = {name: os.environ[f"BENCH_{name}"] for name in ("MAX_WORKERS", "TRACE_LOG_LEVEL")
                 if f"BENCH_{name}" in os.environ}


class VirtualHost:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        requests.put(f"{MANAGEMENT_API}/vhosts/{self.name}", timeout=10).raise_for_status()
        requests.put(f"{MANAGEMENT_API}/permissions/{self.name}/guest", timeout=10,
                     json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        return f"amqp://guest:guest@127.0.0.1:5672/{self.name}"

    def __exit__(self, *exc):
        requests.delete(f"{MANAGEMENT_API}/vhosts/{self.name}", timeout=30)


def run_load(url, seconds, clients, name, skus, tokens=()):
    """Run locust against ``url``; its summary for POST /orders and its per-second history."""
    prefix = OUT / name
    subprocess.run(
        [LOCUST, "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
         "-u", str(clients), "-r", str(clients), "-t", f"{seconds}s", "--host", url,
         "--csv", str(prefix), "--csv-full-history", "--loglevel", "WARNING"],
        env={**os.environ, "BENCH_SKUS": ",".join(skus), "BENCH_TOKENS": ",".join(tokens) or "none"}, check=False,
        stdout=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv") as stats_file:
        row = next(r for r in csv.DictReader(stats_file) if r["Name"] == "POST /orders")
    with open(f"{prefix}_stats_history.csv") as history_file:
        history = [r for r in csv.DictReader(history_file) if r["Name"] == "Aggregated"]
    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "requests_per_second": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]), "p99_ms": float(row["99%"]),
        "history": [{"t": int(r["Timestamp"]), "rps": _number(r["Requests/s"]),
                     "p50_ms": _number(r["50%"]), "p95_ms": _number(r["95%"])} for r in history],
    }


def _number(cell):
    """A locust CSV cell; it writes ``N/A`` before the first answer."""
    try:
        return float(cell)
    except ValueError:
        return None


def offer_open_loop(url, rate, seconds, skus, tokens=()):
    """``bench/open_loop.py`` at ``rate`` orders/s for ``seconds``: its summary, with the window's start and end."""
    began = time.time()
    finished = subprocess.run(
        [sys.executable, "-m", "bench.open_loop", url, str(rate), str(seconds), str(OPEN_LOOP_REQUEST_TIMEOUT)], cwd=ROOT, check=True,
        capture_output=True, text=True,
        env={**os.environ, "BENCH_SKUS": ",".join(skus), "BENCH_TOKENS": ",".join(tokens) or "none"})
    return {**json.loads(finished.stdout), "began": began, "ended": began + seconds}


def open_loop(url, skus, tokens, confirmed, closed_loop_rate):
    """The highest rate (Poisson arrivals) the system sustains, then accept-to-confirmed at 80 % of it.

    ``confirmed()`` gives the (accepted at, confirmed at) pairs of every order confirmed so far. Rates are tried
    from half ``closed_loop_rate`` up, each 1.25 times the last, until one is not sustained (``keeps_up``).
    """
    steps = []
    rate = round(closed_loop_rate / 2, 1)
    for _ in range(OPEN_LOOP_STEPS):
        step = offer_open_loop(url, rate, OPEN_LOOP_STEP_SECONDS, skus, tokens)
        time.sleep(OPEN_LOOP_SETTLE_SECONDS)
        step["sustained"] = keeps_up(step["offered"], step["accepted_at"], [c for _, c in confirmed()],
                                     step["began"], step["ended"])
        steps.append({name: value for name, value in step.items() if name != "accepted_at"})
        if not step["sustained"]:
            break
        rate = round(rate * 1.25, 1)
    sustained = max((step["rate"] for step in steps if step["sustained"]), default=0.0)
    result = {"steps": steps, "sustained_rate": sustained}
    if sustained:
        at_80 = offer_open_loop(url, round(0.8 * sustained, 1), 2 * OPEN_LOOP_STEP_SECONDS, skus, tokens)
        deadline = time.monotonic() + 60
        while True:   # every order of the window confirmed (or a minute passed), so the slowest are counted
            # an order offered in the window is accepted by its end or within a request's timeout after it
            last_accepted = at_80["ended"] + OPEN_LOOP_REQUEST_TIMEOUT
            window = [(a, c) for a, c in confirmed() if at_80["began"] <= a <= last_accepted]
            if len(window) >= at_80["accepted"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        figures = confirmation_figures(window, at_80["began"], at_80["ended"])
        result["at_80_percent"] = {
            "rate": at_80["rate"], "offered": at_80["offered"], "accepted": at_80["accepted"],
            "confirmed": figures["confirmed"], "post_p99_ms": at_80["p99_ms"],
            "accept_to_confirmed_ms": figures["accept_to_confirmed_ms"]}
    return result


def stock_env(amqp_uri, port, **extra):
    """The environment of a stock Nameko process on the run's virtual host."""
    return {**os.environ, "AMQP_URI": amqp_uri, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "LOG_LEVEL": "WARNING",
            **extra}


@contextmanager
def running(services, env, log_dir, system):
    """``nameko run`` each of ``services`` ({name: module}) for the length of a ``with`` block."""
    processes = {}
    try:
        for name, module in services.items():
            log = open(log_dir / f"{system}-{name}.log", "ab")
            processes[name] = subprocess.Popen([NAMEKO, "run", module, "--config", "config.yaml"], cwd=ROOT,
                                               env=env, stdout=log, stderr=subprocess.STDOUT)
            log.close()
        yield processes
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(timeout=30)


@contextmanager
def edge_in_front(gateway_port, log_dir, system):
    """The shop's edge (nginx, ``deploy/nginx/run``) in front of ``system``'s gateway; its URL."""
    port = free_port()
    work_dir = log_dir / f"{system}-edge"
    work_dir.mkdir(exist_ok=True)
    with running_edge({**GENEROUS_LIMITS, "EDGE_ADDRESS": f"127.0.0.1:{port}",
                       "WEB_SERVER_ADDRESS": f"127.0.0.1:{gateway_port}"}, work_dir):
        yield f"http://127.0.0.1:{port}"


def bench_baseline(amqp_uri, seconds, clients, skus, log_dir):
    port = free_port()
    services = {"echo": "bench.baseline_echo", "gateway": "bench.baseline_gateway"}
    with running(services, stock_env(amqp_uri, port), log_dir, "baseline") as processes:
        wait_for_consumers(amqp_uri, "rpc-bench_echo", 1)
        wait_for_port(port, timeout=30)
        with edge_in_front(port, log_dir, "baseline") as url:
            cpu_before, servers_before = cpu_now(processes), server_cpu_now()
            result = run_load(url, seconds, clients, "baseline", skus)
            result["cpu_ms_per_request"] = {**cpu_ms_per_order(processes, cpu_before, result["requests"]),
                                            **server_cpu_ms_per_order(servers_before, result["requests"])}
        result["peak_rss_mb"] = peak_rss(processes)
        return result


FLOOR_SERVICES = ("FloorNotifications", "FloorPayments", "FloorInventory", "FloorOrders", "FloorGateway")
FLOOR_EVENT_QUEUES = ("evt-floor_orders-order_created--floor_inventory.handle_order_created",
                      "evt-floor_inventory-stock_reserved--floor_orders.handle_stock_reserved",
                      "evt-floor_orders-payment_requested--floor_payments.handle_payment_requested",
                      "evt-floor_payments-payment_authorised--floor_orders.handle_payment_authorised",
                      "evt-floor_orders-order_confirmed--floor_notifications.handle_order_confirmed")


def bench_floor(amqp_uri, seconds, clients, skus, log_dir):
    """The shop's message path in stock Nameko, without its database work and email (``bench/floor.py``), paying
    at a payment provider of its own as the shop does."""
    port = free_port()
    confirmations_file = log_dir / "floor-confirmations.txt"
    with running_provider(log_dir / "floor-payment-provider.log") as provider:
        env = stock_env(amqp_uri, port, FLOOR_CONFIRMATIONS=str(confirmations_file), **provider.environment)
        return _bench_floor(env, amqp_uri, port, seconds, clients, skus, log_dir, confirmations_file, provider)


def _bench_floor(env, amqp_uri, port, seconds, clients, skus, log_dir, confirmations_file, provider):
    with running({name: f"bench.floor:{name}" for name in FLOOR_SERVICES}, env, log_dir, "floor") as processes:
        for queue in ("rpc-floor_orders",) + FLOOR_EVENT_QUEUES:
            wait_for_consumers(amqp_uri, queue, 1)
        wait_for_port(port, timeout=30)
        with edge_in_front(port, log_dir, "floor") as url:
            outside = {"payment_provider": provider.process}
            cpu_before, servers_before, outside_before = cpu_now(processes), server_cpu_now(), cpu_now(outside)
            began = time.time()
            result = run_load(url, seconds, clients, "floor", skus)
            ended = time.time()
            confirmed = _wait_for_lines(confirmations_file, result["requests"], timeout=120)
            result["cpu_ms_per_order"] = {**cpu_ms_per_order(processes, cpu_before, result["requests"]),
                                          **server_cpu_ms_per_order(servers_before, result["requests"])}
            result["outside_cpu_ms_per_order"] = cpu_ms_per_order(outside, outside_before, result["requests"])
            result["peak_rss_mb"] = peak_rss(processes)
            result.update(confirmation_figures(confirmed, began, ended))
            result["open_loop"] = open_loop(url, skus, (), lambda: _wait_for_lines(confirmations_file, 0, timeout=0),
                                            result["confirmed_per_second"])
            return result


def _wait_for_lines(path, count, timeout):
    """The (accepted, confirmed) pairs in ``path`` once it holds ``count`` of them (or at ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return [tuple(float(value) for value in line.split()) for line in lines]
        time.sleep(0.25)


def confirmations(databases):
    """(accepted at, confirmed at) of every confirmed order, from its order_confirmed event."""
    with databases.engine("orders").connect() as connection:
        rows = connection.execute(text(
            "SELECT payload->'order'->>'created_at', created_at FROM outbox WHERE event_type = 'order_confirmed'"
        )).all()
    return [(datetime.fromisoformat(accepted).timestamp(), confirmed.timestamp()) for accepted, confirmed in rows]


def bench_shop(amqp_uri, seconds, clients, skus, log_dir, run_id):
    databases = TestDatabases(f"shop_bench_{run_id}")
    databases.create()
    smtp = SmtpSink(log_dir / "maildir")
    smtp.start()
    stack = Stack(log_dir, amqp_uri, databases, smtp.port, rpc_timeout=5,
                  extra_env={"LOG_LEVEL": "WARNING", **SHOP_SETTINGS})
    try:
        stack.start_payment_provider()
        for service in MODULES:
            stack.start(service)
        stack.start_edge()
        for sku in skus:
            requests.post(f"{stack.url}/products", timeout=10, headers=bearer(stack.accounts.staff_token()), json={
                "sku": sku, "name": f"Product {sku}", "price": "4.20", "stock": STOCK_PER_PRODUCT, "weight_grams": 250}).raise_for_status()
        tokens = stack.accounts.customer_tokens(clients, prefix="bench")
        processes = {f"{service}-{instance}": process for (service, instance), process in stack.processes.items()
                     if service != "edge"}   # nginx's workers are its children: counted as the server "edge"
        outside = {"payment_provider": stack.payment_provider.process, "smtp_sink": smtp.process}
        cpu_before, servers_before, outside_before = cpu_now(processes), server_cpu_now(), cpu_now(outside)
        began = time.time()
        result = run_load(stack.url, seconds, clients, "shop", skus, tokens)
        ended = time.time()
        statuses = wait_until_settled(databases, [], skus, timeout=300)
        result["cpu_ms_per_order"] = {**cpu_ms_per_order(processes, cpu_before, len(statuses)),
                                      **server_cpu_ms_per_order(servers_before, len(statuses))}
        result["outside_cpu_ms_per_order"] = cpu_ms_per_order(outside, outside_before, len(statuses))
        result.update(confirmation_figures(confirmations(databases), began, ended))
        result["open_loop"] = open_loop(stack.url, skus, tokens, lambda: confirmations(databases),
                                        result["confirmed_per_second"])
        statuses = wait_until_settled(databases, [], skus, timeout=300)
        emails_missing, emails_duplicated = email_problems(smtp, statuses, timeout=300)
        result["peak_rss_mb"] = peak_rss(processes)
        result.update({
            "orders": len(statuses),
            "not_final": sum(1 for status in statuses.values() if status not in ("confirmed", "rejected")),
            "stock_errors": stock_errors(databases, {sku: STOCK_PER_PRODUCT for sku in skus}),
            "emails_missing": len(emails_missing),
            "emails_duplicated": emails_duplicated,
        })
        return result
    finally:
        stack.stop_all()
        smtp.stop()
        databases.drop()


def chart(results, path):
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
        throughput.plot([c["second"] for c in confirmed], [c["confirmed"] for c in confirmed], ":",
                        label=f"{name}: orders confirmed/s")
        latency.plot([c["second"] for c in confirmed], [c["p95_ms"] for c in confirmed], ":",
                     label=f"{name}: accept-to-confirmed p95 ms")
    throughput.set_ylabel("per second")
    latency.set_ylabel("milliseconds")
    latency.set_xlabel("seconds into the load")
    throughput.legend()
    latency.legend()
    figure.suptitle(f"{results['clients']} clients, {results['seconds']} s each")
    figure.tight_layout()
    figure.savefig(path)


def summary(results):
    base, floor, shop = results["baseline"], results["floor"], results["shop"]
    rss = _per_process(shop["peak_rss_mb"])
    return (f"bench: confirmed {shop['confirmed_per_second']}/s = {results['ratio']:.2f} x baseline "
            f"{base['requests_per_second']} req/s (target >= 0.75) | floor (same messages, stock Nameko, no "
            f"database): {floor['confirmed_per_second']}/s = {results['floor_ratio']:.2f} x, accept->confirmed p99 "
            f"{floor['accept_to_confirmed_ms']['p99']} ms | accepted {shop['requests_per_second']}/s | "
            f"POST p99 {shop['p99_ms']} ms vs baseline {base['p99_ms']} ms (target <= 2x) | "
            f"accept->confirmed p99 {shop['accept_to_confirmed_ms']['p99']} ms (target <= 250) | "
            f"errors {shop['errors']} | not final {shop['not_final']} | stock errors {len(shop['stock_errors'])} | "
            f"emails missing {shop['emails_missing']}, duplicated {shop['emails_duplicated']} | "
            f"peak RSS MB: {rss} | CPU ms per order: {_per_process(shop['cpu_ms_per_order'])} "
            f"(floor: {_per_process(floor['cpu_ms_per_order'])}; outside the shop: "
            f"{_per_process(shop['outside_cpu_ms_per_order'])}, the floor's "
            f"{_per_process(floor['outside_cpu_ms_per_order'])}; baseline per request: "
            f"{_per_process(base['cpu_ms_per_request'])}) | open loop, sustained orders/s: shop "
            f"{shop['open_loop']['sustained_rate']}, floor {floor['open_loop']['sustained_rate']}; at 80 %: "
            f"shop {_at_80(shop)}, floor {_at_80(floor)}")


def _at_80(system):
    at_80 = system["open_loop"].get("at_80_percent")
    return "not run" if at_80 is None else (
        f"{at_80['rate']}/s accept->confirmed p99 {at_80['accept_to_confirmed_ms']['p99']} ms (target <= 250), "
        f"POST p99 {at_80['post_p99_ms']} ms")


def _per_process(figures):
    return ", ".join(f"{name} {value}" for name, value in figures.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:8]
    log_dir = OUT / f"logs-{run_id}"
    log_dir.mkdir()
    skus = [f"BENCH-{n}" for n in range(CATALOGUE_SIZE)]
    results = {"clients": args.clients, "seconds": args.seconds, "run_id": run_id, "shop_settings": SHOP_SETTINGS}
    with VirtualHost(f"bench_{run_id}") as amqp_uri:
        results["baseline"] = bench_baseline(amqp_uri, args.seconds, args.clients, skus, log_dir)
        results["floor"] = bench_floor(amqp_uri, args.seconds, args.clients, skus, log_dir)
        results["shop"] = bench_shop(amqp_uri, args.seconds, args.clients, skus, log_dir, run_id)
    baseline_rps = results["baseline"]["requests_per_second"]
    results["ratio"] = round(results["shop"]["confirmed_per_second"] / baseline_rps, 3)
    results["floor_ratio"] = round(results["floor"]["confirmed_per_second"] / baseline_rps, 3)
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    chart(results, OUT / "chart.png")
    print(summary(results))
    shop = results["shop"]
    correct = not (shop["not_final"] or shop["stock_errors"] or shop["emails_missing"] or shop["emails_duplicated"])
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
