"""A bounded load of orders from several concurrent clients (each a signed-in customer), recording what the
gateway accepted."""

import collections
import itertools
import random
import time

import eventlet
import requests

from harness.accounts import bearer


class OrderLoad:
    def __init__(self, url, skus, tokens, clients=8, max_seconds=120, max_orders=5000):
        self.url = url
        self.skus = skus
        self.tokens = tokens                     # access tokens of customers, one client after another
        self.clients = clients
        self.max_seconds = max_seconds
        self.max_orders = max_orders
        self.accepted = []                       # order ids the gateway answered 201 for
        self.refused = collections.Counter()     # other answers, by status (or error name)
        self._running = False
        self._pool = eventlet.GreenPool(clients)
        self._sequence = itertools.count()

    def start(self):
        self._running = True
        self._stop_at = time.monotonic() + self.max_seconds
        for client in range(self.clients):
            self._pool.spawn(self._client, client)
        return self

    def stop(self):
        self._running = False
        self._pool.waitall()
        return self

    def _client(self, client):
        http = requests.Session()
        http.headers.update(bearer(self.tokens[client % len(self.tokens)]))
        chooser = random.Random(client)
        while self._running and time.monotonic() < self._stop_at and next(self._sequence) < self.max_orders:
            lines = [{"sku": sku, "quantity": chooser.randint(1, 2)} for sku in chooser.sample(self.skus, 2)]
            body = {"items": lines}
            try:
                response = http.post(f"{self.url}/orders", json=body, timeout=10)
            except requests.RequestException as error:
                self.refused[type(error).__name__] += 1
                eventlet.sleep(0.05)
                continue
            if response.status_code == 201:
                self.accepted.append(response.json()["id"])
            else:
                self.refused[response.status_code] += 1
                eventlet.sleep(0.05)
