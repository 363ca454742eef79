"""An event handler alone: the CPU per event of the inventory service reserving stock for ``order_created`` events.

    python -m bench.batch_step [--events 3000] [--groups 1] [--max-events 50]

Publishes ``events`` orders' ``order_created`` events in ``groups`` equal groups to a fresh virtual host and fresh
databases; after each group, runs the inventory service (in this process, with its outbox relay) until every
order of the group has its reservation and its ``stock_reserved`` event is published, then stops it. Prints one
JSON line: the service's CPU microseconds per event (this process, the publishing left out), RabbitMQ's,
PostgreSQL's, and the wall time. ``max-events`` is the most a batch takes (``EVENT_BATCH.MAX_EVENTS``). Run against
two versions of the code, in turn, to pair them.
"""

import eventlet

eventlet.monkey_patch()  # as ``nameko run`` does, before anything else is imported

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from decimal import Decimal  # noqa: E402

from nameko.containers import ServiceContainer  # noqa: E402
from nameko.standalone.events import event_dispatcher  # noqa: E402
from sqlalchemy import text  # noqa: E402

from harness.broker import SYSTEM_BROKER  # noqa: E402
from harness.databases import TestDatabases  # noqa: E402
from harness.figures import server_cpu_now  # noqa: E402
from inventory_service import stock  # noqa: E402
from inventory_service.service import InventoryService  # noqa: E402
from shop_common.operations.config import load_config  # noqa: E402
from shop_common.vocabulary.clock import utc_now  # noqa: E402
from shop_common.vocabulary.events import new_event  # noqa: E402

SKUS = [f"STEP-{n}" for n in range(20)]


def order_created(number):
    items = [{"sku": SKUS[number % len(SKUS)], "quantity": 1}, {"sku": SKUS[(number + 7) % len(SKUS)], "quantity": 2}]
    now = utc_now().isoformat()
    order = {"id": uuid.uuid4().hex, "customer_email": "step@example.com", "status": "pending", "items": items}
    return new_event(order={**order, "created_at": now, "updated_at": now})


def applied(databases):
    """Reservations made, and outbox rows published."""
    with databases.engine("inventory").connect() as connection:
        return (
            connection.scalar(text("SELECT count(*) FROM reservations")),
            connection.scalar(text("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")),
        )


def handler_cpu(events, groups, max_events):
    run_id = uuid.uuid4().hex[:8]
    with SYSTEM_BROKER.virtual_host(f"shop_step_{run_id}") as vhost:
        amqp_uri = SYSTEM_BROKER.uri(vhost)
        databases = TestDatabases(f"shop_step_{run_id}")
        databases.create()
        try:
            config = {**load_config(), "AMQP_URI": amqp_uri, "DB_URIS": {"inventory:Base": databases.uris["inventory"]}}
            config["OPS_ADDRESS"] = "127.0.0.1:0"
            config["EVENT_BATCH"] = {**config.get("EVENT_BATCH", {}), "MAX_EVENTS": max_events}
            with databases.session("inventory") as session:
                for sku in SKUS:
                    stock.create_product(session, sku, sku, Decimal("1.00"), 1_000_000, weight_grams=100)
                session.commit()
            container = ServiceContainer(InventoryService, config)
            container.start()  # declares the queues
            container.stop()
            publish = event_dispatcher(config)
            service = broker = database = wall = 0.0
            for group in range(groups):
                for number in range(events // groups):
                    publish("orders", "order_created", order_created(number))
                done = (group + 1) * (events // groups)
                before = server_cpu_now(), time.process_time(), time.monotonic()
                container = ServiceContainer(InventoryService, config)
                container.start()
                while applied(databases) != (done, done):
                    eventlet.sleep(0.05)
                after = server_cpu_now()  # before the service stops: its database connections end with it
                service += time.process_time() - before[1]
                wall += time.monotonic() - before[2]
                container.stop()
                broker += _used(before[0], after, "rabbitmq")
                database += _used(before[0], after, "postgresql")
            return {
                "service_us_per_event": round(service / events * 1e6),
                "rabbitmq_us_per_event": round(broker / events * 1e6),
                "postgresql_us_per_event": round(database / events * 1e6),
                "wall_ms": round(wall * 1000),
            }
        finally:
            databases.drop()


def _used(before, after, server):
    return sum(seconds - before[server].get(pid, 0.0) for pid, seconds in after[server].items())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--groups", type=int, default=1)
    parser.add_argument("--max-events", type=int, default=50)
    arguments = parser.parse_args()
    print(json.dumps(handler_cpu(arguments.events, arguments.groups, arguments.max_events)))
