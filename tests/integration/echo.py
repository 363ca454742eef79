"""A small service with the gateway's ``http`` entrypoint, for tests of the HTTP path without the shop behind it."""

from gateway.authentication import ANYONE
from gateway.http import http, read_json


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
