"""The order every load of the benchmark posts, and how the runner tells a load process what to order.

A load process (locust, ``bench/open_loop.py``) reads ``BENCH_SKUS`` (comma-separated), the catalogue, and
``BENCH_TOKENS`` (comma-separated), the access tokens of the customers its clients sign in as: ``none`` for the
baseline and the floor, which check no token. Every system gets the same orders.
"""

import os

from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS

# What the closed loop's statistics call an order placed, and one the shop refused at the door (503, Retry-After).
PLACED, REFUSED = "POST /orders", "POST /orders refused"


def environment(skus, tokens=()):
    """The environment of a load process ordering from ``skus`` as the customers of ``tokens``."""
    return {**os.environ, "BENCH_SKUS": ",".join(skus), "BENCH_TOKENS": ",".join(tokens) or "none"}


def skus():
    return os.environ.get("BENCH_SKUS", "BENCH-0").split(",")


def tokens():
    return os.environ.get("BENCH_TOKENS", "none").split(",")


def order(chooser, catalogue):
    """An order of one unit each of two products of ``catalogue``, drawn by ``chooser`` (a ``random.Random``)."""
    items = [{"sku": sku, "quantity": 1} for sku in chooser.sample(catalogue, min(2, len(catalogue)))]
    return {"payment_method": APPROVED, "shipping_address": ADDRESS, "items": items}
