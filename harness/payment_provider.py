"""A local Stripe for development and tests: localstripe, started empty, its store in memory.

    python -m harness.payment_provider 8420 [--host 127.0.0.1]

localstripe (a development tool, GPL: the shop never imports it) writes its
whole store to one fixed file in the system's temporary directory on every
call, and reads it back at start; and it finds the objects of a kind (a
charge's refunds, say, in every answer that shows a charge) by scanning its
whole store. Each call then costs more the more it holds (an authorisation:
5.6 ms at 500 intents, 19.3 ms at 3,000, with the file already out of the
way), and every instance on the machine shares the file. Started here, each
instance keeps its store in memory alone, indexed by kind: it starts empty,
stays as fast after thousands of payments as at the first, and sees no other
instance's payments.

``PaymentProvider`` runs one in a child process for the tests, the benchmark
and ``make run``, and reads what it holds over its own HTTP API.
"""

import argparse
import hashlib
import hmac
import json
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import requests

from harness.smtp import free_port, wait_for_port

TEST_SECRET_KEY = "sk_test_shop"  # localstripe takes any key of this shape
APPROVED = "pm_card_visa"  # the provider's test payment methods: one it authorises...
DECLINED = "pm_card_chargeCustomerFail"  # ...and one it declines at confirmation
WEBHOOK_ID = "shop"


def serve(port, host):
    import localstripe.resources as resources
    import localstripe.server as server

    _in_memory_and_indexed(resources)
    server.web.run_app(server.app, host=host, port=port, access_log=None, print=None)


def _in_memory_and_indexed(resources):
    """localstripe's store kept in memory alone, with its objects indexed by kind (``<kind>:<id>`` keys): its
    list of a kind reads the index instead of the whole store. The one place that knows its internals."""
    store_class, by_kind = resources.Store, {}

    def set_item(store, key, value):
        dict.__setitem__(store, key, value)
        by_kind.setdefault(key.split(":", 1)[0], {})[key] = value

    def del_item(store, key):
        dict.__delitem__(store, key)
        by_kind.get(key.split(":", 1)[0], {}).pop(key, None)

    def clear(store):
        dict.clear(store)
        by_kind.clear()

    def list_all(cls, url, limit=None, starting_after=None, **kwargs):
        if kwargs:
            raise resources.UserError(400, "Unexpected " + ", ".join(kwargs))
        listed = resources.List(url, limit=limit, starting_after=starting_after)
        listed._list = list(by_kind.get(cls.object, {}).values())
        return listed

    store_class.__setitem__, store_class.__delitem__, store_class.clear = set_item, del_item, clear
    store_class.dump_to_disk = store_class.try_load_from_disk = lambda store: None
    resources.StripeObject._api_list_all = classmethod(list_all)


class PaymentProvider:
    """localstripe in a child process, on a port of its own."""

    def __init__(self, log_path=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process = None

    def start(self):
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115 (held by the process)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness.payment_provider", str(self.port)], stdout=log, stderr=subprocess.STDOUT
        )
        if self.log_path:
            log.close()
        wait_for_port(self.port, timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def kill(self):
        """Stop at once, forgetting what it held (a real provider keeps it: use only where that does not matter)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    @property
    def environment(self):
        """What the payments service needs to use it."""
        return {"STRIPE_API_BASE": self.url, "STRIPE_API_KEY": TEST_SECRET_KEY}

    def _get(self, path, **params):
        response = requests.get(self.url + path, params=params, auth=(TEST_SECRET_KEY, ""), timeout=10)
        response.raise_for_status()
        return response.json()

    def _list(self, path, **params):
        items, after = [], None
        while True:
            page = self._get(path, limit=100, **params, **({"starting_after": after} if after else {}))
            items.extend(page["data"])
            if not page.get("has_more") or not page["data"]:
                return items
            after = page["data"][-1]["id"]

    def payment_intents(self):
        return self._list("/v1/payment_intents")

    def intents_by_order(self):
        """Every intent it holds, by the order its metadata names."""
        by_order = {}
        for intent in self.payment_intents():
            by_order.setdefault(intent["metadata"].get("order_id"), []).append(intent)
        return by_order

    def refunds(self, payment_intent):
        return self._list("/v1/refunds", payment_intent=payment_intent)

    def post(self, path, **data):
        response = requests.post(self.url + path, data=data, auth=(TEST_SECRET_KEY, ""), timeout=10)
        response.raise_for_status()
        return response.json()

    def send_webhooks_to(self, url, secret, events):
        """Deliveries of ``events`` (event types) to ``url``, signed with ``secret``, as Stripe's dashboard sets up."""
        response = requests.post(
            f"{self.url}/_config/webhooks/{WEBHOOK_ID}",
            json={"url": url, "secret": secret, "events": list(events)},
            timeout=10,
        )
        response.raise_for_status()


def ever_authorised(intent):
    """Did the intent ever hold money (a charge the card paid), whatever became of it since (captured, voided)?"""
    return any(charge["paid"] for charge in intent["charges"]["data"])


def captured_charges(intent):
    return [charge for charge in intent["charges"]["data"] if charge.get("captured")]


def signed_event(secret, event_type, data, timestamp=None, event_id=None):
    """A webhook body and its ``Stripe-Signature`` header, made as the provider makes them (for events localstripe
    does not send itself): ``t=<time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    body = json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex}",
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": data},
        }
    )
    timestamp = int(time.time() if timestamp is None else timestamp)
    signature = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return body, f"t={timestamp},v1={signature}"


@contextmanager
def running_provider(log_path=None):
    provider = PaymentProvider(log_path)
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--host", default="127.0.0.1")
    arguments = parser.parse_args(argv)
    serve(arguments.port, arguments.host)


if __name__ == "__main__":
    main()
