"""A small service with the gateway's ``http`` entrypoint, for tests of the HTTP path without the shop behind it."""

import eventlet

from gateway.authentication import ANYONE
from gateway.http import http, read_json
from harness.smtp import free_port
from shop_common.operations.config import load_config


class EchoService:
    name = "echo"
    calls = []
    release = None

    @http("GET", "/health", access=ANYONE)
    def health(self, request):
        return {"status": "ok"}

    @http("POST", "/echo", access=ANYONE)
    def echo(self, request):
        EchoService.calls.append(request.path)
        return {"echo": read_json(request)}

    @http("GET", "/echo", access=ANYONE)
    def client(self, request):
        return {"client": request.client_address}

    @http("POST", "/slow", access=ANYONE)
    def slow(self, request):
        EchoService.release.wait()
        return {"done": True}


def started_echo(container_factory, **settings):
    """A running ``EchoService`` on a port of its own, trusting 127.0.0.1 as its edge; its container, whose
    ``address`` is ``(host, port)``. ``settings`` replace the configuration's."""
    EchoService.calls = []
    EchoService.release = eventlet.Event()
    port = free_port()
    config = {**load_config(), "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "TRUSTED_PROXIES": "127.0.0.1", **settings}
    container = container_factory(EchoService, config)
    container.start()
    container.address = ("127.0.0.1", port)
    return container
