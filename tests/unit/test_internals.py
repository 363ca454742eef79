"""Pins what ``shop_common.internals`` relies on in the libraries' private names, for the versions setup.cfg allows:
when one of these fails after an upgrade, that module (and only it) needs reading again."""

import ast
import hashlib
import inspect
import socket
from importlib import import_module, metadata
from pathlib import Path
from types import SimpleNamespace

import pytest
from nameko.containers import ServiceContainer
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener
from nameko.web.handlers import http
from nameko.web.server import WebServer

from shop_common import internals
from shop_common.operations.services import SERVICES


def source_digest(dotted_name):
    module_name, class_name, method_name = dotted_name.rsplit(".", 2)
    method = getattr(getattr(import_module(module_name), class_name), method_name)
    return hashlib.sha256(inspect.getsource(method).encode()).hexdigest()[:16]


def test_the_pinned_versions_are_installed():
    assert metadata.version("nameko").startswith("2.14.")


@pytest.mark.parametrize("dotted_name", sorted(internals.COPIED_METHODS))
def test_a_method_the_shop_re_does_is_still_the_one_it_was_written_against(dotted_name):
    assert source_digest(dotted_name) == internals.COPIED_METHODS[dotted_name]


def test_a_queue_consumer_is_ready_once_its_consumers_are_set_up():
    queue_consumer = QueueConsumer()
    assert internals.consumers_ready(queue_consumer) is False
    queue_consumer.on_consume_ready(connection=None, channel=None, consumers=[])
    assert internals.consumers_ready(queue_consumer) is True


class Provider:
    queue = "rpc-orders"


class RecordingConsumer:
    def __init__(self, queues, callbacks, accept):
        self.queues = queues

    def qos(self, prefetch_count):
        pass


def test_a_queue_consumer_keeps_one_consumer_per_provider():
    queue_consumer = QueueConsumer()
    queue_consumer.container = SimpleNamespace(accept=["application/json"], max_workers=2)
    provider = Provider()
    queue_consumer.register_provider(provider)
    queue_consumer.get_consumers(RecordingConsumer, channel=None)
    consumers = internals.consumers_by_provider(queue_consumer)
    assert list(consumers) == [provider] and consumers[provider].queues == ["rpc-orders"]


def test_a_queue_consumer_lists_the_providers_registered_with_it():
    queue_consumer = QueueConsumer()
    first, second = Provider(), Provider()
    queue_consumer.register_provider(first)
    queue_consumer.register_provider(second)
    providers = internals.registered_providers(queue_consumer)
    assert providers == {first, second}
    providers.clear()  # a copy: the queue consumer's own set is untouched
    assert internals.registered_providers(queue_consumer) == {first, second}


def test_a_reply_waiter_is_taken_once():
    listener = ReplyListener()
    waiter = listener.get_reply_event("call-1")
    assert internals.take_reply_waiter(listener, "call-1") is waiter
    assert internals.take_reply_waiter(listener, "call-1") is None


class Pages:
    name = "pages"

    @http("GET", "/")
    def index(self, request):
        return "ok"


def test_a_web_server_stops_listening_and_hands_over_what_it_had_queued():
    container = ServiceContainer(Pages, {"WEB_SERVER_ADDRESS": "127.0.0.1:0", "AMQP_URI": "memory://"})
    container.start()
    try:
        server = next(extension for extension in container.extensions if isinstance(extension, WebServer))
        address = server._sock.getsockname()
        assert internals.is_accepting(server) is True
        internals.close_listening_socket(server, lambda connection, peer: connection.close())
        assert internals.is_accepting(server) is False
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(address, timeout=2)
    finally:
        container.kill()


DOCUMENTED_PROTECTED = {"_deserialize", "_serialize"}  # how marshmallow documents writing a field


def private_reaches(path):
    """``(line, expression)`` of each private name ``path`` reads that the module itself does not define: an
    attribute ``x._name`` (a ``self._name`` only when nothing in the module assigns or defines it)."""
    source = path.read_text()
    tree = ast.parse(source)
    own = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)}
    own |= {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    own |= {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr not in own
            and node.attr not in DOCUMENTED_PROTECTED
        ):
            yield node.lineno, ast.unparse(node)


def project_modules():
    checkout = Path(internals.__file__).resolve().parents[1]
    for package in [*(service.package for service in SERVICES), "shop_common"]:
        for path in sorted((checkout / package).rglob("*.py")):
            if path != Path(internals.__file__).resolve() and "migrations" not in path.parts:
                yield path


@pytest.mark.parametrize("path", list(project_modules()), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_other_module_reaches_into_a_private_name(path):
    assert list(private_reaches(path)) == []
