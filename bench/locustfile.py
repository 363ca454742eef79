"""The closed-loop load: locust's clients posting orders as fast as answers come back (``bench/orders.py``).

An order the shop refuses at the door (503 with ``Retry-After``: it is behind) is counted apart, as
``POST /orders refused``, and its client waits ``Retry-After`` seconds before the next, as a client told so does.
"""

import random

import gevent
from locust import FastHttpUser, task

from bench import orders

SKUS, TOKENS = orders.skus(), orders.tokens()


class Customer(FastHttpUser):
    def on_start(self):
        self.authorization = {"Authorization": f"Bearer {random.choice(TOKENS)}"}

    @task
    def place_order(self):
        wait = 0
        order = orders.order(random, SKUS)
        with self.client.post(
            "/orders", json=order, headers=self.authorization, name=orders.PLACED, catch_response=True
        ) as response:
            if response.status_code == 503 and response.headers.get("Retry-After", "").isdigit():
                response.request_meta["name"] = orders.REFUSED
                response.success()
                wait = int(response.headers["Retry-After"])
        gevent.sleep(wait)
