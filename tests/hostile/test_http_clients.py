"""Slow, idle, vanishing and malformed HTTP clients against the running shop, through its edge.

Each test is one attack, by raw sockets from 127.0.0.2 (``ATTACKER``); the
``shop`` fixture then checks, from 127.0.0.1, that every service still runs and
an order still goes through.
"""

import json
import os
import resource
import socket
import time
from contextlib import suppress
from unittest import mock

import eventlet
import pytest

from harness import raw_http
from harness.raw_http import MALFORMED_FRAMING, cut_off, response_of
from shop_common.operations.config import load_config
from tests.hostile.conftest import ATTACKER

pytestmark = pytest.mark.hostile

MAX_BODY_BYTES = 1024 * 1024
SOFTWARE_NAMES = ("eventlet", "python", "basehttp", "werkzeug", "nameko", "wsgi")


def setting(stack, *path):
    """A value of config.yaml as the stack's gateway reads it (with the stack's environment)."""
    with mock.patch.dict(os.environ, stack.env, clear=True):
        value = load_config()
    for key in path:
        value = value[key]
    return value


def address(stack):
    return ("127.0.0.1", stack.port)


def connect(stack, data=b"", source=ATTACKER):
    return raw_http.connect(address(stack), data, source=source)


def exchange(stack, data):
    return response_of(connect(stack, data))


def assert_json_error(answer, status, code):
    got_status, headers, body = answer
    assert got_status == status, body
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)
    assert (error["error"], sorted(error), error["details"]) == (code, ["details", "error", "message"], {})


def health_answers_within(stack, seconds):
    client = socket.create_connection(address(stack), timeout=seconds, source_address=("127.0.0.3", 0))
    client.sendall(b"GET /health HTTP/1.1\r\nHost: shop\r\n\r\n")
    return response_of(client)[0] == 200


def test_slow_body_senders_do_not_hold_the_workers(shop, stack):
    """More clients than the gateway has workers send their headers, then only part of their body."""
    body_timeout = float(setting(stack, "EDGE", "BODY_TIMEOUT"))
    head = b"POST /orders HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n"
    slow = [connect(stack, head + b'{"customer_email": ') for _ in range(setting(stack, "max_workers") + 2)]
    assert health_answers_within(stack, 2)
    began = time.monotonic()
    for client in slow:
        assert cut_off(client)  # the edge resets a connection that ran out of time, without an answer
    assert time.monotonic() - began < body_timeout + 2


def test_slow_header_senders_are_cut_off_at_the_deadline(shop, stack):
    """A client dribbles its headers a byte at a time: each byte is in time, the whole never is."""
    header_timeout = float(setting(stack, "EDGE", "HEADER_TIMEOUT"))
    client = connect(stack)
    began = time.monotonic()
    for byte in b"GET /health HTTP/1.1\r\nHost: shop\r\nX-Slow: " + b"a" * 1000:
        if time.monotonic() - began > header_timeout + 0.5:
            break
        try:
            client.sendall(bytes([byte]))
        except OSError:
            break
        eventlet.sleep(0.1)
    assert cut_off(client)
    assert time.monotonic() - began < header_timeout + 1


def test_many_idle_connections_do_not_stop_health(shop, stack):
    """More connections than one address may hold are opened and left silent."""
    header_timeout = float(setting(stack, "EDGE", "HEADER_TIMEOUT"))
    idle = [connect(stack) for _ in range(int(setting(stack, "EDGE", "CONNECTIONS_PER_ADDRESS")) + 20)]
    assert health_answers_within(stack, 2)
    began = time.monotonic()
    assert all(cut_off(client) for client in idle)  # nothing sent back, not even a 408
    assert time.monotonic() - began < header_timeout + 2


@pytest.mark.parametrize("head", MALFORMED_FRAMING.values(), ids=MALFORMED_FRAMING.keys())
def test_conflicting_or_malformed_framing_is_one_400_and_no_hidden_request(shop, stack, head):
    """The request of the attack, then a second one hidden in what the first would read as its body."""
    hidden = b"GET /products/TEA-1 HTTP/1.1\r\nHost: x\r\n\r\n"
    assert raw_http.statuses_until_closed(connect(stack, head + hidden)) == [400]


def test_clients_hanging_up_do_not_open_the_circuit_breaker(shop, stack):
    """Thousands of clients connect at once, send a read and hang up without waiting for the answer.

    A gateway that accepted them all was swamped serving nobody: its own calls
    were slow to leave, and that was counted against orders and inventory, whose
    breakers opened for everyone.
    """
    order_id = shop.place_order((shop.add_product(), 1))["id"]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    descriptors = 8500 if hard == resource.RLIM_INFINITY else min(hard, 8500)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, descriptors), hard))
    try:
        clients = []
        for _ in range(descriptors - 500):
            client = socket.socket()
            client.bind((ATTACKER, 0))
            client.setblocking(False)
            client.connect_ex(address(stack))
            clients.append(client)
        eventlet.sleep(1)
        for n, client in enumerate(clients):
            path = f"/orders/{order_id}" if n % 2 else "/products"
            with suppress(OSError):  # not connected yet, or already closed by the gateway
                client.send(f"GET {path} HTTP/1.1\r\nHost: shop\r\n\r\n".encode())
            client.close()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        for path in ("/products", f"/orders/{order_id}"):
            response = shop.http.get(shop.url + path, timeout=5)
            assert response.status_code == 200, response.text


def test_oversized_body_gets_413_not_a_reset(shop, stack):
    """Clients send a body over 1 MiB whole, then read: every one must read the 413, none may be reset."""
    for size in (MAX_BODY_BYTES + 1, 2 * MAX_BODY_BYTES, 8 * MAX_BODY_BYTES):
        for connection in (b"keep-alive", b"close") * 5:
            client = connect(
                stack,
                b"POST /orders HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n"
                b"Connection: %s\r\nContent-Length: %d\r\n\r\n" % (connection, size) + b" " * size,
            )
            assert_json_error(response_of(client), 413, "request_entity_too_large")


def test_overlong_request_line_gets_a_json_414(shop, stack):
    assert_json_error(
        exchange(stack, b"GET /products/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: shop\r\n\r\n"), 414, "uri_too_long"
    )


@pytest.mark.parametrize(
    "headers",
    [
        b"X-Long: " + b"a" * 9000 + b"\r\n",
        b"".join(b"X-Header-%d: a\r\n" % n for n in range(101)),
        b"".join(b"X-Header-%d: %s\r\n" % (n, b"a" * 8000) for n in range(9)),
    ],
    ids=["a line too long", "too many headers", "too much in all"],
)
def test_oversized_headers_get_a_json_431(shop, stack, headers):
    assert_json_error(
        exchange(stack, b"GET /health HTTP/1.1\r\nHost: shop\r\n" + headers + b"\r\n"),
        431,
        "request_header_fields_too_large",
    )


def test_no_response_names_the_server_software(shop, stack):
    """Answers of the application and of the HTTP layer alike: no ``Server`` header, no software named."""
    requests = [
        b"GET /health HTTP/1.1\r\nHost: shop\r\n\r\n",
        b"GET /no/such/path HTTP/1.1\r\n\r\n",
        b"DELETE /orders HTTP/1.1\r\n\r\n",
        b"POST /orders HTTP/1.1\r\nContent-Length: 4\r\n\r\n{bad",
        b"NONSENSE\r\n\r\n",
        b"GET /health HTTP/9.9\r\n\r\n",
        b"GET /health HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n",
        b"GET /health HTTP/1.1\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n",
        b"POST /orders HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1),
        b"POST /orders HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ]
    for request in requests:
        status, headers, body = exchange(stack, request)
        assert "Server" not in headers, (request[:40], headers["Server"])
        assert headers["Content-Type"] == "application/json", request[:40]
        text = (str(headers) + body.decode("latin-1")).lower()
        assert not [name for name in SOFTWARE_NAMES if name in text], (request[:40], text)
