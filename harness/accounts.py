"""Customers and staff of a running shop, each signed in: what every client of the HTTP API needs first.

Customers register over HTTP as anyone would; staff accounts are made the
only way there is, by an operator in ``nameko shell``.
"""

import json
import re
import uuid

import requests

PASSWORD = "correct horse battery staple"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


class Accounts:
    """The accounts of one running stack, made on first use and signed in once (tokens live 15 minutes)."""

    def __init__(self, stack):
        self.stack = stack
        self._tokens = {}  # email -> access token

    def customer_token(self, email=None):
        """An access token of the customer ``email`` (a new customer when None), registered on first use."""
        email = email or f"customer-{uuid.uuid4().hex[:12]}@example.com"
        if email not in self._tokens:
            registered = requests.post(
                f"{self.stack.url}/accounts", json={"email": email, "password": PASSWORD}, timeout=30
            )
            assert registered.status_code in (201, 409), registered.text
            self._tokens[email] = self.sign_in(email)
        return self._tokens[email]

    def customer_tokens(self, count, prefix="load"):
        """Tokens of ``count`` customers, the same ones each time: for a load of several clients."""
        return [self.customer_token(f"{prefix}-{n}@example.com") for n in range(count)]

    def staff_token(self, email="staff@example.com"):
        if email not in self._tokens:
            self.create_staff(email)
            self._tokens[email] = self.sign_in(email)
        return self._tokens[email]

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
