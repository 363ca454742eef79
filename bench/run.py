"""``make bench``: the shop's orders per second against a bare Nameko baseline and the floor, on this machine.

On a fresh RabbitMQ virtual host, one system after the other, each behind the shop's edge: the baseline and the
floor (``bench/systems.py``), then the whole shop, started and seeded by the harness (a catalogue, signed-in
customers). Each gets the same load (``bench/loads.py``): ``--clients`` closed-loop clients for ``--seconds``,
then, the floor and the shop, open-loop steps of ``--step-seconds`` up to the highest rate it sustains, and the
shop twice that rate (what its door refuses, and how fast what it accepts is confirmed). Then the shop is
audited: every order final, stock exact, one email per order. The shop starts last, so that its idle processes
take no CPU from the others' runs.

The report (``bench/report.py``): ``bench/out/results.json``, ``bench/out/chart.png`` and a one-line summary,
whose headline is the shop's confirmed orders per second over the baseline's requests per second. With
``--dashboard PATH``, a picture of the Grafana dashboard over the shop's runs too (``bench/dashboard.py``).
"""

import argparse
import os
import sys
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bench.dashboard import recording
from bench.loads import Load, closed_loop, highest_sustained_rate, latency_at
from bench.report import report
from bench.systems import System, running_baseline, running_floor
from harness.audit import email_problems, stock_errors, wait_until_settled
from harness.broker import SYSTEM_BROKER
from harness.catalogue import add_products
from harness.figures import (
    confirmation_figures,
    cpu_ms_per_order,
    cpu_now,
    peak_rss,
    server_cpu_ms_per_order,
    server_cpu_now,
)
from harness.repository import ROOT
from harness.shop import running_shop
from harness.smtp import running_sink
from shop_common.operations.config import load_config

OUT = ROOT / "bench" / "out"
CATALOGUE = {f"BENCH-{n}": 1_000_000 for n in range(20)}  # sku -> units: more than any run orders
# The shop's tuning for the run (environment variables config.yaml reads); the baseline stays stock.
SHOP_SETTINGS = {
    name: os.environ[f"BENCH_{name}"] for name in ("MAX_WORKERS", "TRACE_LOG_LEVEL") if f"BENCH_{name}" in os.environ
}


def main(argv=None):
    args = arguments(argv)
    run_id = uuid.uuid4().hex[:8]
    log_dir = OUT / f"logs-{run_id}"
    log_dir.mkdir(parents=True)
    load = Load(args.clients, args.seconds, args.step_seconds, tuple(CATALOGUE), OUT)
    results = {
        "clients": args.clients,
        "seconds": args.seconds,
        "step_seconds": args.step_seconds,
        "run_id": run_id,
        "shop_settings": SHOP_SETTINGS,
    }
    with SYSTEM_BROKER.virtual_host(f"bench_{run_id}") as vhost:
        amqp_uri = SYSTEM_BROKER.uri(vhost)
        results["baseline"] = baseline_requests_per_second(amqp_uri, load, log_dir)
        results["floor"] = floor_orders_per_second(amqp_uri, load, log_dir)
        with (
            seeded_shop(vhost, run_id, log_dir, args.clients) as shop,
            recording(shop.stack, args.dashboard) as dashboard,
        ):
            results["shop"] = {**shop_orders_per_second(shop, load), **shop_outcome(shop)}
            dashboard.draw(results)
    shop = report(results, OUT)["shop"]
    return 1 if shop["not_final"] or shop["stock_errors"] or shop["emails_missing"] or shop["emails_duplicated"] else 0


def arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="of each system's closed loop (default 30)")
    parser.add_argument("--clients", type=int, default=8, help="closed-loop clients (default 8)")
    parser.add_argument(
        "--step-seconds",
        type=int,
        default=15,
        help="of each open-loop step, twice that at 80 %% of the highest sustained (default 15)",
    )
    parser.add_argument(
        "--dashboard",
        type=Path,
        metavar="PATH",
        help="draw the Grafana dashboard over the shop's runs to PATH (e.g. docs/dashboard.png)",
    )
    return parser.parse_args(argv)


@contextmanager
def seeded_shop(vhost, run_id, log_dir, clients, instances=1, env=None):
    """The whole shop, from the harness, on fresh databases with a real SMTP server, ``instances`` of each service
    with ``env`` on top of ``SHOP_SETTINGS``; ``CATALOGUE`` in stock and ``clients`` customers signed in."""
    with (
        running_sink(log_dir / "maildir") as smtp,
        running_shop(
            vhost,
            f"shop_bench_{run_id}",
            log_dir,
            smtp.port,
            instances=instances,
            rpc_timeout=5,
            extra_env={"LOG_LEVEL": "WARNING", **SHOP_SETTINGS, **(env or {})},
        ) as stack,
    ):
        add_products(stack, CATALOGUE)
        yield Shop(stack, smtp, stack.accounts.customer_tokens(clients, prefix="bench"))


class Shop(System):
    """The seeded shop as a system under load: its stack, its SMTP sink, its customers' tokens."""

    def __init__(self, stack, smtp, tokens):
        processes = {
            f"{service}-{instance}": process
            for (service, instance), process in stack.processes.items()
            if service != "edge"
        }  # nginx's workers are its children: counted as the server "edge"
        super().__init__(
            stack.url,
            processes,
            {"payment_provider": stack.payment_provider.process, "smtp_sink": smtp.process},
            self.confirmations,
        )
        self.stack, self.smtp, self.tokens = stack, smtp, tokens

    def confirmations(self):
        """(accepted at, confirmed at) of every confirmed order, from its order_confirmed event."""
        with self.stack.databases.engine("orders").connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT payload->'order'->>'created_at', created_at FROM outbox"
                    " WHERE event_type = 'order_confirmed'"
                )
            ).all()
        return [(datetime.fromisoformat(accepted).timestamp(), confirmed.timestamp()) for accepted, confirmed in rows]

    def placed_between(self, began, ended):
        """How many orders were placed between two epoch times."""
        with self.stack.databases.engine("orders").connect() as connection:
            return connection.execute(
                text(
                    "SELECT count(*) FROM orders WHERE created_at BETWEEN to_timestamp(:began) AND to_timestamp(:ended)"
                ),
                {"began": began, "ended": ended},
            ).scalar()

    def settled(self):
        """Every order's status, once every one is final."""
        return wait_until_settled(self.stack.databases, [], CATALOGUE, timeout=300)


def baseline_requests_per_second(amqp_uri, load, log_dir):
    """The baseline's closed loop: requests per second, their latency, CPU per request, peak memory."""
    with running_baseline(amqp_uri, log_dir) as baseline:
        cpu = CpuMeter(baseline)
        result, _ = closed_loop(baseline.url, load, "baseline")
        result["cpu_ms_per_request"] = cpu.per_order(result["requests"])["cpu_ms_per_order"]
        result["peak_rss_mb"] = peak_rss(baseline.processes)
        return result


def floor_orders_per_second(amqp_uri, load, log_dir):
    """The floor's closed loop (confirmed orders per second, accept-to-confirmed latency, CPU per order, peak
    memory), then the highest rate it sustains open loop."""
    with running_floor(amqp_uri, log_dir) as floor:
        cpu = CpuMeter(floor)
        result, window = closed_loop(floor.url, load, "floor")
        confirmed = floor.confirmed(result["requests"], timeout=120)
        result.update(cpu.per_order(result["requests"]))
        result["peak_rss_mb"] = peak_rss(floor.processes)
        result.update(confirmation_figures(confirmed, *window))
        result["open_loop"] = highest_sustained_rate(
            floor.url, load, (), floor.confirmed, result["confirmed_per_second"]
        )
        return result


def shop_orders_per_second(shop, load):
    """The shop's closed loop (confirmed orders per second, accept-to-confirmed latency, CPU per order of every
    order it took), then the highest rate it sustains open loop."""
    cpu = CpuMeter(shop)
    result, window = closed_loop(shop.url, load, "shop", shop.tokens)
    result.update(cpu.per_order(len(shop.settled())))
    result.update(confirmation_figures(shop.confirmed(), *window))
    result["open_loop"] = highest_sustained_rate(
        shop.url, load, shop.tokens, shop.confirmed, result["confirmed_per_second"]
    )
    if result["open_loop"]["sustained_rate"]:
        result["overload"] = shop_overload(shop, load, result["open_loop"]["sustained_rate"])
    return result


def shop_overload(shop, load, sustained):
    """Twice the sustained rate for two steps' time: the orders accepted, and their accept-to-confirmed latency
    (the admission bound's time is its ceiling, ``gateway/admission.py``); those refused at the door (503); and
    the orders placed meanwhile, which are the accepted ones alone when every refused order was refused before it
    was placed."""
    figures = latency_at(2 * sustained, shop.url, load, shop.tokens, shop.confirmed)
    bounds = load_config()["ADMISSION"]
    return {
        **figures,
        "placed": shop.placed_between(figures["began"], figures["ended"]),
        "bound_pending_orders": int(bounds["MAX_PENDING_ORDERS"]),
        "bound_seconds": float(bounds["MAX_PENDING_SECONDS"]),
    }


def shop_outcome(shop):
    """Once every order the shop took (open-loop ones too) is final: how many, stock exact, one email each, and
    its processes' peak memory."""
    statuses = shop.settled()
    emails_missing, emails_duplicated = email_problems(shop.smtp, statuses, timeout=300)
    return {
        "peak_rss_mb": peak_rss(shop.processes),
        "orders": len(statuses),
        "not_final": sum(1 for status in statuses.values() if status not in ("confirmed", "rejected")),
        "stock_errors": stock_errors(shop.stack.databases, CATALOGUE),
        "emails_missing": len(emails_missing),
        "emails_duplicated": emails_duplicated,
        "events_per_batch": events_per_batch(shop.stack),
    }


def events_per_batch(stack):
    """The mean events per batch of each batch handler over the shop's runs, ``service.handler``, from the
    services' own metrics."""
    means = {}
    for (service, _), url in stack.ops_urls.items():
        for family in text_string_to_metric_families(requests.get(f"{url}/metrics", timeout=5).text):
            if family.name == "shop_event_batch_events":
                totals = {}
                for sample in family.samples:
                    totals.setdefault(sample.labels["entrypoint"], {})[sample.name] = sample.value
                for entrypoint, figures in totals.items():
                    if figures.get("shop_event_batch_events_count"):
                        means[f"{service}.{entrypoint}"] = (
                            figures["shop_event_batch_events_sum"] / figures["shop_event_batch_events_count"]
                        )
    return means


class CpuMeter:
    """CPU milliseconds per order, since the meter was made, of a system's processes with the servers beside them
    (RabbitMQ, PostgreSQL, the edge), and of the processes outside it."""

    def __init__(self, system):
        self.system = system
        self.processes, self.outside = cpu_now(system.processes), cpu_now(system.outside)
        self.servers = server_cpu_now()

    def per_order(self, orders):
        return {
            "cpu_ms_per_order": {
                **cpu_ms_per_order(self.system.processes, self.processes, orders),
                **server_cpu_ms_per_order(self.servers, orders),
            },
            "outside_cpu_ms_per_order": cpu_ms_per_order(self.system.outside, self.outside, orders),
        }


if __name__ == "__main__":
    sys.exit(main())
