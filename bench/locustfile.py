"""The load: closed-loop clients posting orders as fast as answers come back.

``BENCH_SKUS`` (comma-separated) names the catalogue; the baseline gets the same bodies.
"""

import os
import random

from locust import FastHttpUser, task

SKUS = os.environ.get("BENCH_SKUS", "BENCH-0").split(",")


class Customer(FastHttpUser):
    @task
    def place_order(self):
        items = [{"sku": sku, "quantity": 1} for sku in random.sample(SKUS, min(2, len(SKUS)))]
        self.client.post("/orders", json={"customer_email": "bench@example.com", "items": items}, name="POST /orders")
