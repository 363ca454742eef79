"""A bounded load of orders from several concurrent clients (each a signed-in customer), recording what the
gateway accepted."""

import collections
import itertools
import random
import time
import uuid

import eventlet
import requests
from urllib3.exceptions import NewConnectionError

from harness.accounts import bearer
from harness.payment_provider import APPROVED
from harness.shipping import ADDRESS

NOT_CONNECTED = "not connected"  # no connection could be made: the request was never sent


def failure_name(error):
    """What kept a request from its answer: ``NOT_CONNECTED``, or the error's type (the request may have been sent)."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return NOT_CONNECTED if isinstance(reason, NewConnectionError) else type(error).__name__


class OrderLoad:
    DEFERRAL_SECONDS = 30  # how long a client keeps an order refused at the door before it counts it refused

    def __init__(self, url, skus, tokens, clients=8, max_seconds=120, max_orders=5000, keep_alive=True):
        self.url = url
        self.keep_alive = keep_alive  # False: a connection of its own for each request
        self.skus = skus
        self.tokens = tokens  # access tokens of customers, one client after another
        self.clients = clients
        self.max_seconds = max_seconds
        self.max_orders = max_orders
        self.accepted = []  # order ids the gateway answered 201 for
        self.refused = collections.Counter()  # other answers, by status (or error name)
        self.refused_at = []  # when each was refused (time.monotonic())
        self.slowest_answer = 0.0  # seconds, the longest a request waited for its answer
        self.resent = 0  # requests sent again after their kept-alive connection dropped (``_post``)
        self.deferred = 0  # orders refused at the door (503 with Retry-After) and sent again once it had passed
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
        if not self.keep_alive:
            http.headers["Connection"] = "close"
        chooser = random.Random(client)
        while self._running and time.monotonic() < self._stop_at and next(self._sequence) < self.max_orders:
            lines = [{"sku": sku, "quantity": chooser.randint(1, 2)} for sku in chooser.sample(self.skus, 2)]
            body = {"payment_method": APPROVED, "shipping_address": ADDRESS, "items": lines}
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            try:
                response = self._post(http, body, headers)
                give_up = time.monotonic() + self.DEFERRAL_SECONDS
                while self._refused_at_the_door(response) and time.monotonic() < give_up:
                    self.deferred += 1
                    eventlet.sleep(float(response.headers["Retry-After"]))
                    response = self._post(http, body, headers)
            except requests.RequestException as error:
                self._refuse(failure_name(error))
                continue
            if response.status_code == 201:
                self.accepted.append(response.json()["id"])
            else:
                self._refuse(response.status_code)

    def _refuse(self, reason):
        self.refused[reason] += 1
        self.refused_at.append(time.monotonic())
        eventlet.sleep(0.05)

    @staticmethod
    def _refused_at_the_door(response):
        """The shop is behind and says when to come back: what a client should do is wait that long and send the
        same order again, as the API documents."""
        return response.status_code == 503 and "Retry-After" in response.headers

    def _post(self, http, body, headers):
        """The order posted with its ``Idempotency-Key``, and posted once more with the same key when the connection
        dropped before any answer: a kept-alive connection the server closed just as the request went out (as an
        edge reloading closes its idle ones) is a race every HTTP/1.1 client meets, and the key makes the second
        request the same order as the first."""
        sent = time.monotonic()
        try:
            response = http.post(f"{self.url}/orders", json=body, headers=headers, timeout=10)
        except requests.ConnectionError as error:
            if failure_name(error) == NOT_CONNECTED or not self.keep_alive:
                raise
            self.resent += 1
            response = http.post(f"{self.url}/orders", json=body, headers=headers, timeout=10)
        self.slowest_answer = max(self.slowest_answer, time.monotonic() - sent)
        return response
