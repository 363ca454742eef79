"""Baseline, back half: a stock Nameko service that returns what it is sent."""

from nameko.rpc import rpc


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, body):
        return body
