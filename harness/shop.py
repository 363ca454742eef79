"""The whole shop for a program outside pytest (the benchmark): fresh databases, every service running behind the
edge. The tests get theirs from ``running_stack``."""

from contextlib import contextmanager

from harness.broker import SYSTEM_BROKER
from harness.databases import TestDatabases
from harness.stack import Stack


@contextmanager
def running_shop(vhost, database_prefix, log_dir, smtp_port, instances=1, **options):
    """``instances`` of every service, the edge in front, on the machine's RabbitMQ (virtual host ``vhost``) and fresh
    databases named ``database_prefix_<service>``;
    the ``Stack`` (with its ``databases``) for the length of a ``with`` block, everything removed after."""
    databases = TestDatabases(database_prefix)
    databases.create()
    try:
        stack = Stack(log_dir, SYSTEM_BROKER, vhost, databases, smtp_port, **options)
        try:
            stack.start_all(instances)
            yield stack
        finally:
            stack.stop_all()
    finally:
        databases.drop()
