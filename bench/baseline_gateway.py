"""Baseline, front half: a stock Nameko ``http`` entrypoint forwarding the JSON body over RPC."""

import json

from nameko.rpc import RpcProxy
from nameko.web.handlers import http


class EchoGateway:
    name = "bench_gateway"

    echo = RpcProxy("bench_echo")

    @http("POST", "/orders")
    def forward(self, request):
        return json.dumps(self.echo.echo(json.loads(request.get_data())))
