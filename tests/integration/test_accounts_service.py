"""The accounts service in a real container: RPC and events over a real RabbitMQ, accounts in PostgreSQL.

``rpc_client("accounts")`` carries no caller: it is the operator (``nameko shell``).
A client with a ``caller`` in its context is a call the gateway makes for a request.
"""

import json
import logging

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy

from accounts_service.service import AccountsService
from shop_common.identity.caller import Caller
from shop_common.identity.keys import trusted_keys
from shop_common.identity.tokens import Identity, LocalIssuer, TokenVerifier
from shop_common.observability.log_format import JsonFormatter, TraceFormatter
from shop_common.vocabulary.errors import from_remote

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "another long passphrase"


@pytest.fixture
def accounts(container_factory, config, rpc_client):
    container_factory(AccountsService, config).start()
    return rpc_client("accounts")


@pytest.fixture
def as_caller(config):
    """An RPC client to the accounts service whose calls carry ``caller``, as the gateway's do."""
    proxies = []

    def client(caller):
        proxies.append(ServiceRpcProxy("accounts", config, context_data={"caller": caller}, timeout=10))
        return proxies[-1].start()

    yield client
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def verifier(config):
    auth = config["AUTH"]
    return TokenVerifier([LocalIssuer(auth["ISSUER"], auth["AUDIENCE"], trusted_keys(config))])


def refused(method, *args):
    """``(RemoteError, the ShopError of its family)`` for a call that is refused."""
    reply = method.call_async(*args)
    with pytest.raises(RemoteError) as raised:
        reply.result()
    return raised.value, from_remote(reply.resp_body["error"]["exc_args"])


def test_register_returns_the_account_without_any_password_and_announces_it(accounts, event_tap):
    tap = event_tap("accounts")
    account = accounts.register("Ada@Example.COM", PASSWORD)
    assert set(account) == {"id", "email", "role", "created_at"}
    assert (account["email"], account["role"]) == ("ada@example.com", "customer")
    assert PASSWORD not in json.dumps(account)
    [registered] = tap.wait_for("account_registered")
    assert registered["account"] == account
    assert registered["event_id"] and registered["occurred_at"]
    assert PASSWORD not in json.dumps(registered) and "password" not in json.dumps(registered)
    assert accounts.get_account(account["id"]) == account


def test_registering_an_email_again_in_any_case_is_a_conflict(accounts, event_tap, databases):
    tap = event_tap("accounts")
    accounts.register("ada@example.com", PASSWORD)
    error, shop_error = refused(accounts.register, "ADA@example.com", OTHER_PASSWORD)
    assert error.exc_type == "EmailTaken"
    assert (shop_error.family, shop_error.code) == ("conflict", "email_taken")
    assert shop_error.details == {"email": ["is registered already"]}
    assert databases.scalar("accounts", "SELECT count(*) FROM accounts") == 1
    tap.wait_for("account_registered")
    assert len(tap.events("account_registered")) == 1


def test_sign_in_answers_a_bearer_access_token_of_900_seconds_and_a_refresh_token(accounts, verifier):
    account = accounts.register("ada@example.com", PASSWORD)
    answer = accounts.sign_in("ADA@example.com", PASSWORD)
    assert set(answer) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", 900)
    assert answer["refresh_token"].startswith("shop_rt_")
    assert verifier.identity(answer["access_token"]) == Identity(Caller("customer", account["id"]), "ada@example.com")


def test_a_wrong_password_and_an_unknown_email_are_refused_alike(accounts):
    accounts.register("ada@example.com", PASSWORD)
    wrong_password, wrong = refused(accounts.sign_in, "ada@example.com", OTHER_PASSWORD)
    unknown_email, unknown = refused(accounts.sign_in, "nobody@example.com", PASSWORD)
    assert wrong.family == unknown.family == "unauthenticated"
    assert wrong.code == unknown.code == "invalid_credentials"
    assert wrong.message == unknown.message
    assert wrong.details == unknown.details
    assert (wrong_password.exc_type, wrong_password.value) == (unknown_email.exc_type, unknown_email.value)


def test_the_operator_creates_a_staff_account(accounts, verifier):
    staff = accounts.create_staff("Ops@Example.com", PASSWORD)
    assert (staff["email"], staff["role"]) == ("ops@example.com", "staff")
    assert set(staff) == {"id", "email", "role", "created_at"}
    answer = accounts.sign_in("ops@example.com", PASSWORD)
    assert verifier.identity(answer["access_token"]).caller == Caller("staff", staff["id"])


@pytest.mark.parametrize("caller", ["staff:acc-x", "customer:acc-1", "anonymous", "admin:root"])
def test_a_call_carrying_a_caller_may_not_create_a_staff_account(accounts, as_caller, databases, caller):
    error, shop_error = refused(as_caller(caller).create_staff, "ops@example.com", PASSWORD)
    assert error.exc_type == "OperatorsOnly"
    assert (shop_error.family, shop_error.code) == ("forbidden", "forbidden")
    assert databases.scalar("accounts", "SELECT count(*) FROM accounts") == 0


def test_a_customer_reads_their_own_account_only_and_staff_read_any(accounts, as_caller):
    ada = accounts.register("ada@example.com", PASSWORD)
    bob = accounts.register("bob@example.com", PASSWORD)
    assert as_caller(f"customer:{ada['id']}").get_account(ada["id"]) == ada
    _, shop_error = refused(as_caller(f"customer:{ada['id']}").get_account, bob["id"])
    assert shop_error.family == "forbidden"
    assert as_caller("staff:acc-staff").get_account(bob["id"]) == bob


def test_a_caller_from_the_gateway_may_register_and_sign_in(accounts, as_caller, verifier):
    anonymous = as_caller("anonymous")
    account = anonymous.register("ada@example.com", PASSWORD)
    assert account["role"] == "customer"
    assert (
        verifier.identity(anonymous.sign_in("ada@example.com", PASSWORD)["access_token"]).caller.account_id
        == account["id"]
    )


def test_a_refresh_token_is_spent_for_a_new_pair_and_refused_afterwards(accounts, verifier):
    account = accounts.register("ada@example.com", PASSWORD)
    first = accounts.sign_in("ada@example.com", PASSWORD)
    second = accounts.refresh(first["refresh_token"])
    assert (second["token_type"], second["expires_in"]) == ("Bearer", 900)
    assert second["refresh_token"] != first["refresh_token"]
    assert verifier.identity(second["access_token"]).caller == Caller("customer", account["id"])
    third = accounts.refresh(second["refresh_token"])  # the new one works
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])
    error, shop_error = refused(accounts.refresh, first["refresh_token"])
    assert error.exc_type == "RefreshTokenRefused"
    assert (shop_error.family, shop_error.code) == ("unauthenticated", "invalid_refresh_token")


def test_a_reused_refresh_token_ends_the_sign_in_for_both_holders(accounts):
    accounts.register("ada@example.com", PASSWORD)
    stolen = accounts.sign_in("ada@example.com", PASSWORD)["refresh_token"]
    thiefs = accounts.refresh(stolen)["refresh_token"]
    refused(accounts.refresh, stolen)  # the owner uses it again: two parties hold it
    _, shop_error = refused(accounts.refresh, thiefs)
    assert shop_error.code == "invalid_refresh_token"
    assert accounts.refresh(accounts.sign_in("ada@example.com", PASSWORD)["refresh_token"])  # sign in again


def test_after_sign_out_the_refresh_token_is_refused_and_other_sign_ins_carry_on(accounts):
    accounts.register("ada@example.com", PASSWORD)
    phone = accounts.sign_in("ada@example.com", PASSWORD)["refresh_token"]
    laptop = accounts.sign_in("ada@example.com", PASSWORD)["refresh_token"]
    assert accounts.sign_out(phone) is None
    _, shop_error = refused(accounts.refresh, phone)
    assert shop_error.code == "invalid_refresh_token"
    assert accounts.refresh(laptop)["refresh_token"]


@pytest.mark.parametrize("token", ["shop_rt_no-such-token", "", "x" * 201, None, 42])
def test_an_unknown_or_malformed_refresh_token_is_refused_and_the_service_carries_on(accounts, token):
    _, shop_error = refused(accounts.refresh, token)
    assert shop_error.family in ("unauthenticated", "invalid_input")
    assert accounts.register("ada@example.com", PASSWORD)["role"] == "customer"


def test_no_log_or_trace_line_of_the_service_holds_a_password_or_a_token(accounts, as_caller, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="nameko_tracer")
    accounts.register("ada@example.com", PASSWORD)
    refused(accounts.register, "ada@example.com", PASSWORD)
    staff_password = "the operator's own passphrase"
    accounts.create_staff("ops@example.com", staff_password)
    refused(as_caller("customer:acc-1").create_staff, "ops2@example.com", staff_password)
    first = accounts.sign_in("ada@example.com", PASSWORD)
    refused(accounts.sign_in, "ada@example.com", OTHER_PASSWORD)
    second = accounts.refresh(first["refresh_token"])
    refused(accounts.refresh, first["refresh_token"])
    third = accounts.sign_in("ada@example.com", PASSWORD)
    accounts.sign_out(third["refresh_token"])
    secrets = [PASSWORD, OTHER_PASSWORD, staff_password] + [
        pair[name] for pair in (first, second, third) for name in ("access_token", "refresh_token")
    ]

    records = caplog.records  # the container's lines, and the test client's (it logs each reply at debug level)
    traces = [record for record in records if record.name == "nameko_tracer"]
    entrypoints = {record.nameko_trace["entrypoint_name"] for record in traces}
    assert {"register", "create_staff", "sign_in", "refresh", "sign_out"} <= entrypoints
    assert all(record.nameko_trace["call_args_redacted"] for record in traces)
    assert any(
        "response" in record.nameko_trace and "access_token" in json.dumps(record.nameko_trace["response"])
        for record in traces
    )  # a sign-in's answer is traced: its tokens must be withheld

    json_formatter, trace_formatter = JsonFormatter(service="accounts"), TraceFormatter()
    lines = [json_formatter.format(record) for record in records] + [
        trace_formatter.format(record) for record in traces
    ]
    for line in lines:
        for secret in secrets:
            assert secret not in line, line
    for record in records:
        for password in (PASSWORD, OTHER_PASSWORD, staff_password):
            assert password not in record.getMessage()
            assert password not in json.dumps(getattr(record, "nameko_trace", {}), default=str)
