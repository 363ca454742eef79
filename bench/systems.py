"""The two stock Nameko systems the shop is measured against, each as processes behind the shop's edge.

- The baseline: a stock ``http`` entrypoint forwarding the body over RPC to a stock echo service
  (``bench/baseline_*.py``).
- The floor: the shop's message path in stock Nameko, with no database and no email (``bench/floor.py``), paying
  at a payment provider of its own as the shop does; it writes each confirmation to a file.
"""

import os
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from harness.broker import wait_for_consumers
from harness.edge import running_edge
from harness.payment_provider import running_provider
from harness.repository import ROOT
from harness.smtp import free_port, wait_for_port
from harness.stack import GENEROUS_LIMITS, NAMEKO

FLOOR_SERVICES = ("FloorNotifications", "FloorPayments", "FloorInventory", "FloorOrders", "FloorGateway")
FLOOR_QUEUES = (
    "rpc-floor_orders",
    "evt-floor_orders-order_created--floor_inventory.handle_order_created",
    "evt-floor_inventory-stock_reserved--floor_orders.handle_stock_reserved",
    "evt-floor_orders-payment_requested--floor_payments.handle_payment_requested",
    "evt-floor_payments-payment_authorised--floor_orders.handle_payment_authorised",
    "evt-floor_orders-order_confirmed--floor_notifications.handle_order_confirmed",
)


@dataclass
class System:
    """A running system: where its edge answers, its service processes, the processes outside it, and (the
    floor's) the (accepted at, confirmed at) pairs of the orders it confirmed so far."""

    url: str
    processes: dict
    outside: dict = field(default_factory=dict)
    confirmed: object = None


def confirmations_in(path, count=0, timeout=0.0):
    """The (accepted, confirmed) pairs in ``path``, a line each, once it holds ``count`` of them (or at ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count or time.monotonic() > deadline:
            return [tuple(float(value) for value in line.split()) for line in lines]
        time.sleep(0.25)


@contextmanager
def running_baseline(amqp_uri, log_dir):
    port = free_port()
    services = {"echo": "bench.baseline_echo", "gateway": "bench.baseline_gateway"}
    with _running(services, _stock_env(amqp_uri, port), log_dir, "baseline") as processes:
        wait_for_consumers(amqp_uri, "rpc-bench_echo", 1)
        wait_for_port(port, timeout=30)
        with _edge_in_front(port, log_dir, "baseline") as url:
            yield System(url, processes)


@contextmanager
def running_floor(amqp_uri, log_dir):
    port = free_port()
    confirmations_file = log_dir / "floor-confirmations.txt"
    with running_provider(log_dir / "floor-payment-provider.log") as provider:
        env = _stock_env(amqp_uri, port, FLOOR_CONFIRMATIONS=str(confirmations_file), **provider.environment)
        with _running({name: f"bench.floor:{name}" for name in FLOOR_SERVICES}, env, log_dir, "floor") as processes:
            for queue in FLOOR_QUEUES:
                wait_for_consumers(amqp_uri, queue, 1)
            wait_for_port(port, timeout=30)
            with _edge_in_front(port, log_dir, "floor") as url:
                yield System(
                    url,
                    processes,
                    {"payment_provider": provider.process},
                    partial(confirmations_in, confirmations_file),
                )


def _stock_env(amqp_uri, port, **extra):
    """The environment of a stock Nameko process on the run's virtual host."""
    return {
        **os.environ,
        "AMQP_URI": amqp_uri,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


@contextmanager
def _running(services, env, log_dir, system):
    """``nameko run`` each of ``services`` ({name: module}) for the length of a ``with`` block."""
    processes = {}
    try:
        for name, module in services.items():
            with open(log_dir / f"{system}-{name}.log", "ab") as log:
                processes[name] = subprocess.Popen(
                    [NAMEKO, "run", module, "--config", "config.yaml"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        yield processes
    finally:
        for process in processes.values():
            process.terminate()
            process.wait(timeout=30)


@contextmanager
def _edge_in_front(gateway_port, log_dir, system):
    """The shop's edge (nginx, ``deploy/nginx/run``) in front of ``system``'s gateway; its URL."""
    port = free_port()
    work_dir = log_dir / f"{system}-edge"
    work_dir.mkdir(exist_ok=True)
    with running_edge(
        {**GENEROUS_LIMITS, "EDGE_ADDRESS": f"127.0.0.1:{port}", "WEB_SERVER_ADDRESS": f"127.0.0.1:{gateway_port}"},
        work_dir,
    ):
        yield f"http://127.0.0.1:{port}"
