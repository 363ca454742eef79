"""The outbox relay alone: CPU per message of the relay and of RabbitMQ, relaying rows written beforehand.

    python -m bench.relay_step [--rows 3000] [--wake-ups 30]

Writes ``rows`` events to a fresh orders database in ``wake-ups`` equal groups, and after each group lets the relay
publish what waits (as a worker's commit wakes it); prints one JSON line: the relay's CPU microseconds per message
(this process), RabbitMQ's, and the wall time. Run against two versions of the code, in turn, to pair them.
"""

import argparse
import json
import time
import uuid

from nameko.standalone.events import get_event_exchange

from harness.databases import TestDatabases
from harness.figures import server_cpu_now
from order_service.models import OutboxMessage
from shop_common.messaging import outbox
from shop_common.operations.config import load_config


def relay_cpu(rows, wake_ups):
    config = load_config()
    databases = TestDatabases(f"shop_relay_{uuid.uuid4().hex[:8]}")
    databases.create()
    try:
        exchange = get_event_exchange("orders", config)
        relay = outbox.Relay(
            databases.engine("orders"),
            OutboxMessage,
            outbox.ConfirmingPublisher(config["AMQP_URI"], exchange),
            lock_key=4243,
        )
        client = broker = wall = 0.0
        for _ in range(wake_ups):
            with databases.session("orders") as session:
                writer = outbox.OutboxWriter(OutboxMessage, {}, exchange.name)
                for number in range(rows // wake_ups):
                    writer.add(session, "order_created", {"event_id": uuid.uuid4().hex, "n": number})
                session.commit()
            broker_before, client_before, wall_before = (
                server_cpu_now()["rabbitmq"],
                time.process_time(),
                time.monotonic(),
            )
            while (
                relay.publish_pending() == outbox.BATCH_SIZE
            ):  # as the service's relay: until a batch comes back short
                pass
            client += time.process_time() - client_before
            wall += time.monotonic() - wall_before
            broker_after = server_cpu_now()["rabbitmq"]
            broker += sum(broker_after.values()) - sum(broker_before.get(pid, 0.0) for pid in broker_after)
        return {
            "relay_us_per_message": round(client / rows * 1e6, 1),
            "rabbitmq_us_per_message": round(broker / rows * 1e6, 1),
            "wall_ms": round(wall * 1000),
        }
    finally:
        databases.drop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--wake-ups", type=int, default=30)
    arguments = parser.parse_args()
    print(json.dumps(relay_cpu(arguments.rows, arguments.wake_ups)))
