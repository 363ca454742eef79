"""The gateway's HTTP server on a real socket: deadlines, the buffered body, the connection bound, JSON errors.

A small service with the gateway's ``http`` entrypoint runs in a real container;
the tests talk to it over raw sockets, as slow, idle or hostile clients do.
"""

import json
import time

import eventlet
import pytest

from gateway.http import http, read_json
from gateway.web_server import MAX_BODY_BYTES
from gateway.authentication import ANYONE
from harness import raw_http
from shop_common.operations.config import load_config
from harness.raw_http import response_of
from harness.smtp import free_port

DEADLINE = 0.5          # HEADER_TIMEOUT and BODY_TIMEOUT of the server under test
MAX_CONNECTIONS = 4


class EchoService:
    name = "echo"
    calls = []

    @http("GET", "/health", access=ANYONE)
    def health(self, request):
        return {"status": "ok"}

    @http("POST", "/echo", access=ANYONE)
    def echo(self, request):
        EchoService.calls.append(request.path)
        return {"echo": read_json(request)}


@pytest.fixture
def server(container_factory):
    """The address of a running server with short deadlines, two workers and four connection slots."""
    EchoService.calls = []
    port = free_port()
    config = {**load_config(), "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", "max_workers": 2,
              "HTTP": {"HEADER_TIMEOUT": DEADLINE, "BODY_TIMEOUT": DEADLINE, "MAX_CONNECTIONS": MAX_CONNECTIONS}}
    container_factory(EchoService, config).start()
    return ("127.0.0.1", port)


def connect(server, data=b""):
    return raw_http.connect(server, data, timeout=5)


def closed_without_answer(client):
    try:
        return client.recv(1) == b""
    except ConnectionResetError:
        return True


def post_head(path, length, extra=b""):
    return (f"POST {path} HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n").encode() + extra + b"\r\n"


def assert_json_error(status, headers, body, expected_status, code):
    assert status == expected_status, body
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Request-ID"]
    assert json.loads(body) == {"error": code, "message": json.loads(body)["message"], "details": {}}
    assert "Server" not in headers


def test_the_entrypoint_gets_the_body_and_a_kept_alive_connection_serves_again(server):
    client = connect(server, post_head("/echo", 9) + b'{"a": 1}\n')
    assert response_of(client)[::2] == (200, b'{"echo": {"a": 1}}')
    client.sendall(b"GET /health HTTP/1.1\r\nHost: shop\r\n\r\n")
    assert response_of(client)[::2] == (200, b'{"status": "ok"}')


def test_a_chunked_body_reaches_the_entrypoint(server):
    client = connect(server, b"POST /echo HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"4\r\n[1, \r\n3\r\n2]\n\r\n0\r\n\r\n")
    assert response_of(client)[::2] == (200, b'{"echo": [1, 2]}')


def test_a_body_still_on_its_way_takes_no_worker(server):
    slow = [connect(server, post_head("/echo", 9) + b'{"a"') for _ in range(3)]  # more than the two workers
    began = time.monotonic()
    assert response_of(connect(server, b"GET /health HTTP/1.1\r\n\r\n"))[0] == 200
    assert time.monotonic() - began < DEADLINE / 2
    slow[0].sendall(b': 1}\n')
    assert response_of(slow[0])[::2] == (200, b'{"echo": {"a": 1}}')
    assert EchoService.calls == ["/echo"]


def test_a_body_slower_than_its_deadline_gets_408_and_no_worker(server):
    client = connect(server, post_head("/echo", 100) + b'{"a": ')
    began = time.monotonic()
    assert_json_error(*response_of(client), 408, "request_timeout")
    assert DEADLINE <= time.monotonic() - began < 2 * DEADLINE
    assert closed_without_answer(client)
    assert EchoService.calls == []


def test_headers_dribbled_in_are_cut_off_at_the_deadline_not_at_each_byte(server):
    client = connect(server)
    began = time.monotonic()
    for byte in b"GET /health HTTP/1.1\r\nX-Slow: " + b"a" * 100:
        try:
            client.sendall(bytes([byte]))
        except OSError:
            break
        if time.monotonic() - began > DEADLINE + 0.2:
            break
        eventlet.sleep(0.05)
    assert_json_error(*response_of(client), 408, "request_timeout")
    assert time.monotonic() - began < 2 * DEADLINE


def test_an_idle_connection_is_closed_without_an_answer_at_the_deadline(server):
    client = connect(server)
    began = time.monotonic()
    assert closed_without_answer(client)
    assert DEADLINE <= time.monotonic() - began < 2 * DEADLINE


def test_at_the_bound_the_connection_idle_longest_makes_room(server):
    idle = [connect(server) for _ in range(MAX_CONNECTIONS)]
    eventlet.sleep(0.05)
    began = time.monotonic()
    assert response_of(connect(server, b"GET /health HTTP/1.1\r\n\r\n"))[0] == 200
    assert time.monotonic() - began < DEADLINE / 2
    assert closed_without_answer(idle[0])


def test_beyond_the_bound_a_new_connection_waits_until_a_busy_one_ends(server):
    busy = [connect(server, post_head("/echo", 100) + b"{") for _ in range(MAX_CONNECTIONS)]
    eventlet.sleep(0.05)
    began = time.monotonic()
    assert response_of(connect(server, b"GET /health HTTP/1.1\r\n\r\n"))[0] == 200
    assert DEADLINE * 0.8 < time.monotonic() - began < 2 * DEADLINE  # served once the slow bodies are cut off
    assert [response_of(client)[0] for client in busy] == [408] * MAX_CONNECTIONS


def test_a_request_whose_client_hung_up_takes_no_worker(server):
    client = connect(server, post_head("/echo", 9) + b'{"a": 1}\n')
    client.close()
    eventlet.sleep(0.2)
    assert EchoService.calls == []


def test_an_oversized_body_gets_413_read_by_every_client(server):
    for attempt in range(20):
        client = connect(server, post_head("/echo", MAX_BODY_BYTES + 1))
        client.sendall(b"x" * (MAX_BODY_BYTES + 1))
        assert_json_error(*response_of(client), 413, "request_entity_too_large")
    chunked = connect(server, b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunked.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (MAX_BODY_BYTES + 1, b"x" * (MAX_BODY_BYTES + 1)))
    assert_json_error(*response_of(chunked), 413, "request_entity_too_large")
    assert EchoService.calls == []


@pytest.mark.parametrize("request_bytes, status, code", [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414, "uri_too_long"),
    (b"GET /health HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431, "request_header_fields_too_large"),
    (b"GET /health HTTP/1.1\r\n" + b"".join(b"X-%d: a\r\n" % n for n in range(101)) + b"\r\n",
     431, "request_header_fields_too_large"),
    (b"GET /health HTTP/1.1\r\n" + b"".join(b"X-%d: %s\r\n" % (n, b"a" * 8000) for n in range(9)) + b"\r\n",
     431, "request_header_fields_too_large"),
    (b"NONSENSE\r\n\r\n", 400, "bad_request"),
    (b"GET /health HTTP/2.0\r\n\r\n", 505, "http_version_not_supported"),
    (b"POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "bad_request"),
    (b"POST /echo HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400, "bad_request"),
    (b"POST /echo HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "bad_request"),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "not_implemented"),
    (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad_request"),
])
def test_errors_of_the_http_layer_are_json_errors_and_close_the_connection(server, request_bytes, status, code):
    client = connect(server, request_bytes)
    assert_json_error(*response_of(client), status, code)
    assert closed_without_answer(client)
    assert response_of(connect(server, b"GET /health HTTP/1.1\r\n\r\n"))[0] == 200
