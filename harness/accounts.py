"""Customers and staff of a running shop, each signed in: what every client of the HTTP API needs first.

Customers register over HTTP as anyone would; staff accounts are made the
only way there is, by an operator in ``nameko shell``.
"""

import json
import re
import time
import uuid

import requests

PASSWORD = "correct horse battery staple"
REUSE_SECONDS = 600  # how long a token is used before its account signs in again (it lives 15 minutes)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


class Accounts:
    """The accounts of one running stack, made on first use and signed in again once a token is ``REUSE_SECONDS``
    old (tokens live 15 minutes: a long run outlives them)."""

    def __init__(self, stack):
        self.stack = stack
        self._tokens = {}  # email -> (access token, when it was signed in: time.monotonic())

    def customer_token(self, email=None):
        """An access token of the customer ``email`` (a new customer when None), registered on first use."""
        email = email or f"customer-{uuid.uuid4().hex[:12]}@example.com"
        if email not in self._tokens:
            registered = requests.post(
                f"{self.stack.url}/accounts", json={"email": email, "password": PASSWORD}, timeout=30
            )
            assert registered.status_code in (201, 409), registered.text
        return self._fresh_token(email)

    def customer_tokens(self, count, prefix="load"):
        """Tokens of ``count`` customers, the same ones each time: for a load of several clients."""
        return [self.customer_token(f"{prefix}-{n}@example.com") for n in range(count)]

    def staff_token(self, email="staff@example.com"):
        if email not in self._tokens:
            self.create_staff(email)
        return self._fresh_token(email)

    def _fresh_token(self, email):
        token, signed_in = self._tokens.get(email, (None, 0.0))
        if token is None or time.monotonic() - signed_in > REUSE_SECONDS:
            token, signed_in = self.sign_in(email), time.monotonic()
            self._tokens[email] = token, signed_in
        return token

    def create_staff(self, email, password=PASSWORD):
        """What an operator types in ``nameko shell``; the account as the shell printed it."""
        printed = self.stack.run_shell(
            f"import json; print('STAFF', json.dumps(n.rpc.accounts.create_staff({email!r}, {password!r})))\n"
        )
        made = re.search(r"STAFF (\{.*\})", printed)
        assert made, printed
        return json.loads(made[1])

    def sign_in(self, email, password=PASSWORD):
        answer = requests.post(f"{self.stack.url}/auth/token", json={"email": email, "password": password}, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]
