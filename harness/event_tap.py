"""Watches the events a service publishes, straight from RabbitMQ, and can publish them again.

A tap is a queue of its own bound to ``<service>.events`` with ``#``: it sees
every event exactly as the consumers do, without taking any from them.
"""

from kombu import Connection, Exchange, Queue
from nameko.standalone.events import get_event_exchange

from harness.waiting import wait_until


class EventTap:
    def __init__(self, amqp_uri, *services):
        self.amqp_uri = amqp_uri
        self.connection = Connection(amqp_uri)
        self.channel = self.connection.channel()
        self.queue = Queue(exclusive=True, channel=self.channel)
        self.queue.declare()
        for service in services:
            exchange = Exchange(f"{service}.events", type="topic", durable=True, channel=self.channel)
            exchange.declare()
            self.queue.bind_to(exchange, routing_key="#")
        self.seen = []

    def _drain(self):
        while True:
            message = self.queue.get(no_ack=True, accept=["json"])
            if message is None:
                return
            self.seen.append(message)

    def events(self, event_type=None):
        self._drain()
        return [m.payload for m in self.seen if event_type in (None, m.delivery_info["routing_key"])]

    def event_types(self):
        self._drain()
        return {message.delivery_info["routing_key"] for message in self.seen}

    def wait_for(self, event_type, count=1, timeout=10.0, where=lambda payload: True):
        """The payloads of the ``event_type`` events seen that are ``where``, once there are ``count`` of them."""

        def enough():
            found = [payload for payload in self.events(event_type) if where(payload)]
            return found if len(found) >= count else None

        return wait_until(enough, timeout, f"{count} {event_type} events", poll_seconds=0.02)

    def republish_all(self, config):
        """Publish every event seen so far once more, body and headers unchanged (a redelivery)."""
        self._drain()
        with Connection(self.amqp_uri) as connection:
            producer = connection.Producer()
            for message in list(self.seen):
                source = message.delivery_info["exchange"].rsplit(".events", 1)[0]
                producer.publish(
                    message.body,
                    exchange=get_event_exchange(source, config),
                    routing_key=message.delivery_info["routing_key"],
                    headers=message.headers,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode=2,
                )
        return len(self.seen)

    def close(self):
        self.connection.release()
