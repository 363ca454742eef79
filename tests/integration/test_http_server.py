"""The gateway's HTTP server on a real socket: what it guarantees behind the edge.

A small service with the gateway's ``http`` entrypoint runs in a real container;
the tests talk to it over raw sockets, as the edge (or a peer that is not the
edge) does.
"""

import time

import eventlet
import pytest

from harness import raw_http
from harness.raw_http import response_of
from shop_common.operations.config import load_config
from tests.integration.echo import EchoService, started_echo

PEER_TIMEOUT = 0.5


@pytest.fixture
def container(container_factory):
    return started_echo(container_factory, max_workers=2, HTTP={**load_config()["HTTP"], "PEER_TIMEOUT": PEER_TIMEOUT})


@pytest.fixture
def server(container):
    return container.address


def exchange(server, data, source="127.0.0.1"):
    client = raw_http.connect(server, data, timeout=5, source=source)
    return response_of(client)


def test_the_entrypoint_gets_the_body_and_the_connection_ends_with_the_answer(server):
    client = raw_http.connect(
        server, b'POST /echo HTTP/1.1\r\nHost: shop\r\nContent-Length: 9\r\n\r\n{"a": 1}\n', timeout=5
    )
    status, headers, body = response_of(client)
    assert (status, body) == (200, b'{"echo": {"a": 1}}')
    assert headers["Connection"] == "close"  # one request a connection: nothing idle when the gateway stops
    assert client.recv(1) == b""


def test_a_405_names_the_methods_the_path_allows(server):
    status, headers, body = exchange(server, b"DELETE /echo HTTP/1.1\r\nHost: shop\r\n\r\n")
    assert status == 405
    assert sorted(headers["Allow"].split(", ")) == ["GET", "HEAD", "POST"]
    assert b'"error": "method_not_allowed"' in body


def test_options_answers_204_with_the_methods_of_the_path(server):
    status, headers, body = exchange(server, b"OPTIONS /echo HTTP/1.1\r\nHost: shop\r\n\r\n")
    assert (status, body) == (204, b"")
    assert sorted(headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS", "POST"]
    status, headers, _ = exchange(server, b"OPTIONS /slow HTTP/1.1\r\nHost: shop\r\n\r\n")
    assert (status, sorted(headers["Allow"].split(", "))) == (204, ["OPTIONS", "POST"])


def test_options_of_an_unknown_path_is_a_404(server):
    status, headers, body = exchange(server, b"OPTIONS /nowhere HTTP/1.1\r\nHost: shop\r\n\r\n")
    assert (status, headers["Content-Type"]) == (404, "application/json")


def test_the_client_address_is_the_edges_word_only_when_the_edge_says_it(server):
    asking = b"GET /echo HTTP/1.1\r\nHost: shop\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n"
    assert exchange(server, asking, source="127.0.0.1")[2] == b'{"client": "203.0.113.9"}'  # a trusted proxy
    assert exchange(server, asking, source="127.0.0.2")[2] == b'{"client": "127.0.0.2"}'  # anyone else
    assert exchange(server, b"GET /echo HTTP/1.1\r\nHost: shop\r\n\r\n")[2] == b'{"client": "127.0.0.1"}'
    not_an_address = b"GET /echo HTTP/1.1\r\nHost: shop\r\nX-Forwarded-For: <script>\r\n\r\n"
    assert exchange(server, not_an_address)[2] == b'{"client": "127.0.0.1"}'


def test_a_stopping_server_answers_the_request_in_hand_and_takes_no_new_connection(container):
    in_hand = raw_http.connect(
        container.address, b"POST /slow HTTP/1.1\r\nHost: shop\r\nContent-Length: 2\r\n\r\n{}", timeout=10
    )
    eventlet.sleep(0.2)
    stopping = eventlet.spawn(container.stop)
    eventlet.sleep(0.2)
    with pytest.raises(ConnectionRefusedError):
        raw_http.connect(container.address, b"GET /health HTTP/1.1\r\nHost: shop\r\n\r\n", timeout=2)
    assert not stopping.dead  # it waits for the request in hand
    EchoService.release.send()
    assert response_of(in_hand)[::2] == (200, b'{"done": true}')
    stopping.wait()


def test_a_request_the_http_parser_refuses_is_answered_as_a_json_error(server):
    many_headers = b"".join(b"X-Header-%d: a\r\n" % n for n in range(101))
    status, headers, body = exchange(server, b"GET /health HTTP/1.1\r\nHost: shop\r\n" + many_headers + b"\r\n")
    assert (status, headers["Content-Type"]) == (431, "application/json")
    assert b'"error": "request_header_fields_too_large"' in body
    assert "Server" not in headers


def test_a_peer_that_sends_nothing_is_dropped_at_the_timeout(server):
    began = time.monotonic()
    assert raw_http.cut_off(raw_http.connect(server, b"GET /health HTTP/1.1\r\n", timeout=5))
    assert PEER_TIMEOUT <= time.monotonic() - began < PEER_TIMEOUT + 1
