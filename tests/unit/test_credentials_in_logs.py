"""No log line carries a credential: access tokens (JWTs) and refresh tokens are withheld wherever they are."""

import json
import logging
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from accounts_service.domain import new_refresh_token
from shop_common.identity.tokens import issue_access_token
from shop_common.observability.log_format import WITHHELD, JsonFormatter, TraceFormatter

ACCESS_TOKEN = issue_access_token(
    ed25519.Ed25519PrivateKey.generate(),
    {"id": "acc-ada", "email": "ada@example.com", "role": "customer"},
    "shop-accounts",
    "shop",
    900,
)
REFRESH_TOKEN, _ = new_refresh_token()
CREDENTIALS = {"access token": ACCESS_TOKEN, "refresh token": REFRESH_TOKEN}

# Text that must come through unchanged: ids, an email, a digest, dotted versions, almost-prefixes.
ORDINARY = (
    "order 0123456789abcdef0123456789abcdef for ada@example.com, sku TEA-1.v2, release 1.2.3, "
    "digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, eyJ alone, "
    "shop_rt alone, a.b.c, \u00e9t\u00e9"
)


def record(message="%s", args=(), **extra):
    entry = logging.LogRecord("accounts_service.service", logging.INFO, __file__, 1, message, args, None)
    entry.__dict__.update(extra)
    return entry


def trace_record(trace):
    return record(nameko_trace=trace)


@pytest.fixture(params=list(CREDENTIALS))
def credential(request):
    return CREDENTIALS[request.param]


def test_the_credentials_under_test_are_real_ones():
    assert ACCESS_TOKEN.startswith("eyJ") and ACCESS_TOKEN.count(".") == 2
    assert REFRESH_TOKEN.startswith("shop_rt_")


def test_a_credential_in_the_message_is_withheld_and_the_rest_of_the_message_kept(credential):
    line = JsonFormatter().format(record("refreshing with %s for acc-ada", (credential,)))
    assert credential not in line
    assert json.loads(line)["message"] == f"refreshing with {WITHHELD} for acc-ada"


def test_a_credential_in_an_extra_field_is_withheld(credential):
    line = JsonFormatter().format(record("signed in", token=credential, account_id="acc-ada"))
    entry = json.loads(line)
    assert credential not in line
    assert (entry["token"], entry["account_id"], entry["message"]) == (WITHHELD, "acc-ada", "signed in")


def test_credentials_nested_in_an_extra_field_are_withheld():
    answer = {
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": 900,
        "refresh_token": REFRESH_TOKEN,
        "nested": [{"again": f"Bearer {ACCESS_TOKEN}"}],
    }
    line = JsonFormatter().format(record("answered", answer=answer))
    assert ACCESS_TOKEN not in line and REFRESH_TOKEN not in line
    assert json.loads(line)["answer"] == {
        "access_token": WITHHELD,
        "token_type": "Bearer",
        "expires_in": 900,
        "refresh_token": WITHHELD,
        "nested": [{"again": f"Bearer {WITHHELD}"}],
    }


def test_a_credential_in_an_exception_traceback_is_withheld(credential):
    try:
        raise ValueError(f"cannot use {credential}")
    except ValueError:
        entry = record("failed")
        entry.exc_info = sys.exc_info()
    line = JsonFormatter().format(entry)
    assert credential not in line
    assert f"ValueError: cannot use {WITHHELD}" in json.loads(line)["exception"]


def test_a_credential_anywhere_in_a_trace_line_is_withheld(credential):
    trace = {
        "stage": "response",
        "entrypoint_name": "refresh",
        "call_args": {"refresh_token": credential},
        "response": {"answer": {"access_token": credential, "token_type": "Bearer"}},
        "exception_value": f"refused {credential}!",
    }
    line = TraceFormatter().format(trace_record(trace))
    assert credential not in line
    entry = json.loads(line)
    assert entry["call_args"] == {"refresh_token": WITHHELD}
    assert entry["response"] == {"answer": {"access_token": WITHHELD, "token_type": "Bearer"}}
    assert entry["exception_value"] == f"refused {WITHHELD}!"
    assert (entry["stage"], entry["entrypoint_name"]) == ("response", "refresh")


def test_the_part_of_a_refresh_token_left_by_cutting_a_long_field_is_still_withheld():
    padding = "x" * 1987  # the field is cut at 2000 characters: 12 of the token's are left
    line = JsonFormatter().format(record("%s", (f"{padding} {REFRESH_TOKEN}",)))
    message = json.loads(line)["message"]
    assert message.startswith(f"{padding} {WITHHELD}... [cut, ")
    assert REFRESH_TOKEN[:12] not in line


def test_ordinary_text_is_left_alone_by_both_formatters():
    entry = json.loads(JsonFormatter().format(record("%s", (ORDINARY,), detail=ORDINARY)))
    assert entry["message"] == ORDINARY and entry["detail"] == ORDINARY
    trace = json.loads(TraceFormatter().format(trace_record({"stage": "request", "call_args": {"note": ORDINARY}})))
    assert trace["call_args"] == {"note": ORDINARY}
    assert WITHHELD not in json.dumps(entry) + json.dumps(trace)


def test_two_credentials_in_one_line_are_each_withheld_and_the_text_between_kept():
    line = JsonFormatter().format(record("%s then %s", (ACCESS_TOKEN, REFRESH_TOKEN)))
    assert json.loads(line)["message"] == f"{WITHHELD} then {WITHHELD}"
