"""Live queue figures straight from RabbitMQ (the management API's are up to seconds old)."""

import time
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from amqp.exceptions import NotFound, ResourceLocked
from kombu import Connection

from harness.waiting import wait_until

MANAGEMENT_URL = "http://guest:guest@127.0.0.1:15672"  # an administrator's, as the tests use it
MANAGEMENT_API = f"{MANAGEMENT_URL}/api"


@dataclass(frozen=True)
class Broker:
    """A RabbitMQ as the shop reaches it: the AMQP address of each node (the machine's one, or every node of a
    cluster) and an administrator's management API."""

    addresses: tuple = ("127.0.0.1:5672",)
    management_url: str = MANAGEMENT_URL

    def uri(self, vhost, user="guest", password="guest"):
        """kombu's failover list: a client connects to the first node that answers, and to the next when it goes."""
        return ";".join(f"amqp://{user}:{password}@{address}/{vhost}" for address in self.addresses)

    @contextmanager
    def virtual_host(self, name):
        """A new virtual host ``name``, open to guest, for the length of a ``with`` block; its name."""
        api = f"{self.management_url}/api"
        requests.put(f"{api}/vhosts/{name}", timeout=10).raise_for_status()
        try:
            requests.put(
                f"{api}/permissions/{name}/guest", timeout=10, json={"configure": ".*", "write": ".*", "read": ".*"}
            ).raise_for_status()
            yield name
        finally:
            requests.delete(f"{api}/vhosts/{name}", timeout=30)


SYSTEM_BROKER = Broker()  # the machine's own RabbitMQ


def queue_depths(vhost):
    """``{queue name: messages}`` of every queue of ``vhost``, as the management API last counted them."""
    response = requests.get(f"{MANAGEMENT_API}/queues/{vhost}", params={"columns": "name,messages"}, timeout=10)
    response.raise_for_status()
    return {queue["name"]: queue.get("messages", 0) for queue in response.json()}


def queue_names(vhost):
    return list(queue_depths(vhost))


def queue_state(amqp_uri, queue):
    """``(ready messages, consumers)`` of ``queue``; None when it does not exist or is another's exclusive queue."""
    with Connection(amqp_uri) as connection:
        try:
            _, messages, consumers = connection.default_channel.queue_declare(queue, passive=True)
        except (NotFound, ResourceLocked):
            return None
    return messages, consumers


def wait_for_consumers(amqp_uri, queue, count, timeout=30.0):
    def consumed():
        state = queue_state(amqp_uri, queue)
        return state if state and state[1] >= count else None

    wait_until(consumed, timeout, f"{count} consumers of {queue}", poll_seconds=0.1)


def wait_until_drained(amqp_uri, vhost, timeout=30.0, settle=0.5, keeping=".dead-letters"):
    """Wait until every queue of ``vhost`` (but those whose name ends with ``keeping``) is empty,
    then ``settle`` seconds for work in hand."""

    def drained():
        states = [queue_state(amqp_uri, name) for name in queue_names(vhost) if not name.endswith(keeping)]
        return all(state is None or state[0] == 0 for state in states)

    wait_until(drained, timeout, f"every queue of {vhost} empty", poll_seconds=0.1)
    time.sleep(settle)
