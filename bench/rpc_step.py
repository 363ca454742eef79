"""An RPC round trip alone: CPU per call of the caller and the service together (one process), and RabbitMQ's.

    python -m bench.rpc_step [--calls 2000] [--trace-log-level INFO]

Starts a service of one ``rpc`` entrypoint (the shop's, ``shop_common.messaging.entrypoints``) on a fresh virtual
host, calls it ``calls`` times one after the other from a standalone proxy, and prints one JSON line. Run against
two versions of the code, in turn, to pair them. With ``--trace-log-level``, the service also has the shop's
nameko-tracer, its lines formatted by the shop's logging configuration at that ``TRACE_LOG_LEVEL`` (and written
to ``/dev/null``).
"""

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import logging.config  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.rpc import ServiceRpcProxy  # noqa: E402
from nameko_tracer import Tracer  # noqa: E402

from harness.broker import SYSTEM_BROKER  # noqa: E402
from harness.figures import server_cpu_now  # noqa: E402
from shop_common.messaging.entrypoints import rpc  # noqa: E402
from shop_common.operations.config import load_config  # noqa: E402


class Echo:
    name = "echo"

    @rpc
    def echo(self, value):
        return value


class TracedEcho(Echo):
    tracer = Tracer()


def round_trips(calls, trace_log_level=None):
    if trace_log_level is not None:
        os.environ["TRACE_LOG_LEVEL"] = trace_log_level
    with SYSTEM_BROKER.virtual_host(f"shop_rpc_step_{uuid.uuid4().hex[:8]}") as vhost:
        config = {**load_config(), "AMQP_URI": SYSTEM_BROKER.uri(vhost)}
        if trace_log_level is not None:
            logging.config.dictConfig(config["LOGGING"])  # its handlers write to sys.stdout: /dev/null here
        container = ServiceContainer(Echo if trace_log_level is None else TracedEcho, config)
        container.start()
        try:
            with ServiceRpcProxy("echo", config) as echo:
                for _ in range(100):
                    echo.echo({"order_id": "o1"})
                broker_before = server_cpu_now()["rabbitmq"]
                client_before, wall_before = time.process_time(), time.monotonic()
                for _ in range(calls):
                    echo.echo({"order_id": "o1"})
                client, wall = time.process_time() - client_before, time.monotonic() - wall_before
                broker_after = server_cpu_now()["rabbitmq"]
        finally:
            container.stop()
    broker = sum(broker_after.values()) - sum(broker_before.get(pid, 0.0) for pid in broker_after)
    return {
        "caller_and_service_us_per_call": round(client / calls * 1e6),
        "rabbitmq_us_per_call": round(broker / calls * 1e6),
        "calls_per_second": round(calls / wall),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--trace-log-level")
    arguments = parser.parse_args()
    out, sys.stdout = sys.stdout, open(os.devnull, "w")  # noqa: SIM115 (the service's log lines, to the end)
    figures = round_trips(arguments.calls, arguments.trace_log_level)
    print(json.dumps({**figures, "trace_log_level": arguments.trace_log_level}), file=out)
