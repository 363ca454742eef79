"""The whole shop for a program outside pytest (the benchmark): a RabbitMQ virtual host of its own, fresh
databases, every service running behind the edge. The tests get theirs from ``running_stack``."""

from contextlib import contextmanager

import requests

from harness.broker import MANAGEMENT_API
from harness.databases import TestDatabases
from harness.stack import Stack


@contextmanager
def virtual_host(name):
    """A new virtual host ``name`` for the length of a ``with`` block, open to guest; its AMQP URI."""
    requests.put(f"{MANAGEMENT_API}/vhosts/{name}", timeout=10).raise_for_status()
    try:
        requests.put(
            f"{MANAGEMENT_API}/permissions/{name}/guest",
            timeout=10,
            json={"configure": ".*", "write": ".*", "read": ".*"},
        ).raise_for_status()
        yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    finally:
        requests.delete(f"{MANAGEMENT_API}/vhosts/{name}", timeout=30)


@contextmanager
def running_shop(amqp_uri, database_prefix, log_dir, smtp_port, **options):
    """One instance of every service, the edge in front, on fresh databases named ``database_prefix_<service>``;
    the ``Stack`` (with its ``databases``) for the length of a ``with`` block, everything removed after."""
    databases = TestDatabases(database_prefix)
    databases.create()
    try:
        stack = Stack(log_dir, amqp_uri, databases, smtp_port, **options)
        stack.databases = databases
        try:
            stack.start_all()
            yield stack
        finally:
            stack.stop_all()
    finally:
        databases.drop()
