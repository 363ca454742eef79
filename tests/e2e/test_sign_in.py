"""Accounts, sign-in, refresh and sign-out over HTTP against the running shop.

The e2e stack sets the failed sign-in limits to short windows
(``LIMITS_UNDER_TEST`` in conftest.py), so a test can wait one out.
"""

import http.client
import json
import statistics
import time
import uuid

import pytest
import requests

from harness.accounts import PASSWORD, bearer
from tests.e2e.conftest import LIMITS_UNDER_TEST

pytestmark = pytest.mark.e2e

ACCOUNT_LIMIT = int(LIMITS_UNDER_TEST["RATE_LIMIT_FAILED_SIGN_INS_PER_ACCOUNT"].split("/")[0])
WINDOW_SECONDS = 2


def new_email():
    return f"signin-{uuid.uuid4().hex[:12]}@example.com"


class Client:
    def __init__(self, url):
        self.url = url

    def post(self, path, body, token=None):
        return requests.post(self.url + path, json=body, headers=bearer(token) if token else {}, timeout=30)

    def register(self, email, password=PASSWORD):
        return self.post("/accounts", {"email": email, "password": password})

    def sign_in(self, email, password=PASSWORD):
        return self.post("/auth/token", {"email": email, "password": password})


@pytest.fixture
def client(stack):
    return Client(stack.url)


def test_a_new_customer_registers_signs_in_and_reads_their_account(client, stack, smtp_sink):
    email = new_email()
    registered = client.register(email.upper())
    assert registered.status_code == 201
    account = registered.json()
    assert (account["email"], account["role"]) == (email, "customer")
    assert set(account) == {"id", "email", "role", "created_at"}
    tokens = client.sign_in(email).json()
    assert tokens["token_type"] == "Bearer" and 0 < tokens["expires_in"] <= 900
    assert tokens["refresh_token"].startswith("shop_rt_")
    me = requests.get(f"{stack.url}/accounts/me", headers=bearer(tokens["access_token"]), timeout=30).json()
    assert me == account
    assert smtp_sink.wait_for(1, email, "Welcome")[0]["Subject"] == "Welcome to the shop"


def test_an_email_registers_once_whatever_its_case(client):
    email = new_email()
    assert client.register(email).status_code == 201
    again = client.register(email.upper())
    assert again.status_code == 409
    assert again.json()["error"] == "email_taken"


@pytest.mark.parametrize("password", ["short", "x" * 257])
def test_a_password_of_the_wrong_length_is_refused_by_name(client, password):
    response = client.register(new_email(), password)
    assert response.status_code == 400
    assert list(response.json()["details"]) == ["password"]


def test_any_characters_make_a_password(client):
    email = new_email()
    password = "pässwörd ☕ with spaces\ttab"
    assert client.register(email, password).status_code == 201
    assert client.sign_in(email, password).status_code == 200


def test_a_wrong_password_and_an_unknown_email_get_the_same_401_in_about_the_same_time(client):
    email = new_email()
    client.register(email)
    wrong, unknown = [], []
    for _ in range(ACCOUNT_LIMIT - 1):
        began = time.monotonic()
        wrong_answer = client.sign_in(email, "not the password")
        wrong.append(time.monotonic() - began)
        began = time.monotonic()
        unknown_answer = client.sign_in(new_email(), "not the password")
        unknown.append(time.monotonic() - began)
    assert wrong_answer.status_code == unknown_answer.status_code == 401
    assert wrong_answer.json() == unknown_answer.json()
    # Checking a password takes tens of milliseconds; without a hash to check, an unknown email
    # would answer in about one. Loose bounds: the machine is shared.
    assert statistics.median(unknown) > 0.5 * statistics.median(wrong)


def test_failed_sign_ins_lock_the_account_even_for_the_right_password_until_the_window_passes(client):
    email = new_email()
    client.register(email)
    assert [client.sign_in(email, "wrong password").status_code for _ in range(ACCOUNT_LIMIT)] == [401] * ACCOUNT_LIMIT
    locked = client.sign_in(email)
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= WINDOW_SECONDS
    time.sleep(WINDOW_SECONDS + 0.5)
    assert client.sign_in(email).status_code == 200


def test_failed_sign_ins_from_one_address_are_limited_across_accounts(client):
    per_address = int(LIMITS_UNDER_TEST["RATE_LIMIT_FAILED_SIGN_INS_PER_ADDRESS"].split("/")[0])
    time.sleep(WINDOW_SECONDS + 0.5)  # the tests before spent some of this address's failures
    statuses = [client.sign_in(new_email(), "wrong password").status_code for _ in range(per_address + 1)]
    assert statuses == [401] * per_address + [429]
    time.sleep(WINDOW_SECONDS + 0.5)


def failed_sign_in_from(stack, source, forwarded_for):
    """A wrong password from the client address ``source`` that names ``forwarded_for`` as its own; the status."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30, source_address=(source, 0))
    connection.request(
        "POST",
        "/auth/token",
        json.dumps({"email": new_email(), "password": "wrong password"}),
        {"Content-Type": "application/json", "X-Forwarded-For": forwarded_for},
    )
    status = connection.getresponse().status
    connection.close()
    return status


def test_a_client_that_names_another_address_in_x_forwarded_for_is_counted_as_the_address_the_edge_saw(stack):
    per_address = int(LIMITS_UNDER_TEST["RATE_LIMIT_FAILED_SIGN_INS_PER_ADDRESS"].split("/")[0])
    statuses = [failed_sign_in_from(stack, "127.0.0.4", f"198.51.100.{n}") for n in range(per_address + 1)]
    assert statuses == [401] * per_address + [429]
    assert failed_sign_in_from(stack, "127.0.0.5", "127.0.0.4") == 401  # another address, not limited
    time.sleep(WINDOW_SECONDS + 0.5)


def test_a_refresh_token_is_spent_once_and_its_reuse_signs_everyone_out(client):
    email = new_email()
    client.register(email)
    first = client.sign_in(email).json()
    second = client.post("/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    reused = client.post("/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert client.post("/auth/refresh", {"refresh_token": second["refresh_token"]}).status_code == 401
    assert client.sign_in(email).status_code == 200  # signing in again starts afresh


def test_sign_out_revokes_the_refresh_token_and_says_nothing_of_unknown_ones(client):
    email = new_email()
    client.register(email)
    tokens = client.sign_in(email).json()
    other_session = client.sign_in(email).json()
    signed_out = client.post("/auth/logout", {"refresh_token": tokens["refresh_token"]})
    assert (signed_out.status_code, signed_out.content) == (204, b"")
    assert client.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert client.post("/auth/refresh", {"refresh_token": other_session["refresh_token"]}).status_code == 200
    assert client.post("/auth/logout", {"refresh_token": "shop_rt_unknown"}).status_code == 204


@pytest.mark.parametrize("token", ["", "shop_rt_" + "x" * 43, "x" * 201])
def test_an_unknown_or_malformed_refresh_token_is_refused(client, token):
    assert client.post("/auth/refresh", {"refresh_token": token}).status_code in (400, 401)


def test_a_staff_account_is_made_by_an_operator_in_the_nameko_shell_not_over_http(stack, client):
    email = new_email()
    made = stack.accounts.create_staff(email)
    assert (made["email"], made["role"]) == (email, "staff")
    assert "password" not in made and "password_hash" not in made
    assert client.post("/accounts", {"email": new_email(), "password": PASSWORD, "role": "staff"}).status_code == 400


def test_no_password_or_token_appears_in_any_log_line(stack, client, staff_token, customer_token):
    email = new_email()
    secret = f"secret-{uuid.uuid4().hex}"
    client.register(email, secret)
    tokens = client.sign_in(email, secret).json()
    client.sign_in(email, "wrong " + secret)
    refreshed = client.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}).json()
    client.post("/auth/logout", {"refresh_token": refreshed["refresh_token"]})
    time.sleep(0.5)  # the last lines reach the files
    logs = "".join(stack.log(service) for service in ("gateway", "accounts", "orders", "inventory", "notifications"))
    assert email in logs  # the lines are there...
    for value in (
        secret,
        PASSWORD,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
        staff_token,
        customer_token,
    ):
        assert value not in logs  # ...without a credential
