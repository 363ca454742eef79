"""The load: closed-loop clients posting orders as fast as answers come back.

``BENCH_SKUS`` (comma-separated) names the catalogue; ``BENCH_TOKENS`` (comma-separated) holds the access
tokens of the customers the clients sign in as. The baseline and the floor get the same requests.
"""

import os
import random

from locust import FastHttpUser, task
from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS

SKUS = os.environ.get("BENCH_SKUS", "BENCH-0").split(",")
TOKENS = os.environ.get("BENCH_TOKENS", "none").split(",")


class Customer(FastHttpUser):
    def on_start(self):
        self.authorization = {"Authorization": f"Bearer {random.choice(TOKENS)}"}

    @task
    def place_order(self):
        items = [{"sku": sku, "quantity": 1} for sku in random.sample(SKUS, min(2, len(SKUS)))]
        self.client.post("/orders", json={"payment_method": APPROVED, "shipping_address": ADDRESS, "items": items}, headers=self.authorization, name="POST /orders")
