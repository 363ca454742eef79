"""The closed-loop load: locust's clients posting orders as fast as answers come back (``bench/orders.py``)."""

import random

from locust import FastHttpUser, task

from bench import orders

SKUS, TOKENS = orders.skus(), orders.tokens()


class Customer(FastHttpUser):
    def on_start(self):
        self.authorization = {"Authorization": f"Bearer {random.choice(TOKENS)}"}

    @task
    def place_order(self):
        self.client.post("/orders", json=orders.order(random, SKUS), headers=self.authorization, name="POST /orders")
