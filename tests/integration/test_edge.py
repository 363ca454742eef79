"""The edge (nginx, started by ``deploy/nginx/run``) in front of a real gateway entrypoint.

The tests speak raw HTTP to the edge as hostile or broken clients do, and
check what reaches the service behind it.
"""

import json
import time

import eventlet
import pytest

from harness import raw_http
from harness.edge import running_edge
from harness.raw_http import MALFORMED_FRAMING, response_of
from harness.smtp import free_port
from tests.integration.echo import EchoService, started_echo

MAX_BODY_BYTES = 1024 * 1024
DEADLINE = 1


@pytest.fixture
def gateway(container_factory):
    host, port = started_echo(container_factory).address
    return f"{host}:{port}"


@pytest.fixture
def edge_with(gateway, tmp_path):
    """Starts an edge in front of the gateway with ``settings`` (EDGE_* names) over short deadlines."""
    with_settings = []

    def start(**settings):
        port = free_port()
        env = {
            "EDGE_ADDRESS": f"127.0.0.1:{port}",
            "WEB_SERVER_ADDRESS": gateway,
            "EDGE_HEADER_TIMEOUT": str(DEADLINE),
            "EDGE_BODY_TIMEOUT": str(DEADLINE),
            **settings,
        }
        work_dir = tmp_path / f"edge-{len(with_settings)}"
        work_dir.mkdir()
        context = running_edge(env, work_dir)
        context.__enter__()
        with_settings.append(context)
        return ("127.0.0.1", port)

    yield start
    for context in with_settings:
        context.__exit__(None, None, None)


@pytest.fixture
def edge(edge_with):
    return edge_with()


def exchange(edge, data, source="127.0.0.1"):
    return response_of(raw_http.connect(edge, data, timeout=5, source=source))


def assert_json_error(answer, status, code):
    got_status, headers, body = answer
    assert got_status == status, body
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Request-ID"]
    assert "Server" not in headers
    assert json.loads(body) == {"error": code, "message": json.loads(body)["message"], "details": {}}


@pytest.mark.parametrize("head", MALFORMED_FRAMING.values(), ids=MALFORMED_FRAMING.keys())
def test_conflicting_or_malformed_framing_is_one_400_and_no_second_request(edge, head):
    hidden = b"GET /echo HTTP/1.1\r\nHost: shop\r\n\r\n"
    assert raw_http.statuses_until_closed(raw_http.connect(edge, head + hidden, timeout=5)) == [400]
    assert EchoService.calls == []
    assert_json_error(exchange(edge, head), 400, "bad_request")


@pytest.mark.parametrize(
    "request_bytes, status, code",
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: shop\r\n\r\n", 414, "uri_too_long"),
        (
            b"GET /health HTTP/1.1\r\nHost: shop\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
            431,
            "request_header_fields_too_large",
        ),
        (
            b"GET /health HTTP/1.1\r\nHost: shop\r\n"
            + b"".join(b"X-%d: %s\r\n" % (n, b"a" * 8000) for n in range(9))
            + b"\r\n",
            431,
            "request_header_fields_too_large",
        ),
        (
            b"GET /health HTTP/1.1\r\nHost: shop\r\n" + b"".join(b"X-%d: a\r\n" % n for n in range(101)) + b"\r\n",
            431,
            "request_header_fields_too_large",
        ),
        (b"NONSENSE\r\n\r\n", 400, "bad_request"),
        (b"GET /health HTTP/9.9\r\nHost: shop\r\n\r\n", 505, "http_version_not_supported"),
        (b"POST /echo HTTP/1.1\r\nHost: shop\r\nContent-Length: -1\r\n\r\n", 400, "bad_request"),
        (b"POST /echo HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "not_implemented"),
        (b"POST /echo HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad_request"),
        (
            b"POST /echo HTTP/1.1\r\nHost: shop\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1),
            413,
            "request_entity_too_large",
        ),
    ],
)
def test_the_edges_own_errors_are_json_errors_that_name_no_software(edge, request_bytes, status, code):
    assert_json_error(exchange(edge, request_bytes), status, code)
    assert EchoService.calls == []


def test_an_oversized_body_sent_whole_gets_413_read_by_every_client(edge):
    for _ in range(10):
        client = raw_http.connect(
            edge, b"POST /echo HTTP/1.1\r\nHost: shop\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1), timeout=5
        )
        client.sendall(b"x" * (MAX_BODY_BYTES + 1))
        assert_json_error(response_of(client), 413, "request_entity_too_large")


def test_a_chunked_body_reaches_the_gateway_whole(edge):
    answer = exchange(
        edge,
        b"POST /echo HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[1, \r\n3\r\n2]\n\r\n0\r\n\r\n",
    )
    assert answer[::2] == (200, b'{"echo": [1, 2]}')


def test_a_body_on_its_way_reaches_the_gateway_only_when_whole(edge):
    slow = raw_http.connect(edge, b'POST /echo HTTP/1.1\r\nHost: shop\r\nContent-Length: 9\r\n\r\n{"a"', timeout=5)
    assert exchange(edge, b"GET /health HTTP/1.1\r\nHost: shop\r\n\r\n")[0] == 200
    eventlet.sleep(0.2)
    assert EchoService.calls == []
    slow.sendall(b": 1}\n")
    assert response_of(slow)[::2] == (200, b'{"echo": {"a": 1}}')
    assert EchoService.calls == ["/echo"]


def test_a_body_slower_than_its_deadline_is_cut_off_and_never_reaches_the_gateway(edge):
    client = raw_http.connect(edge, b"POST /echo HTTP/1.1\r\nHost: shop\r\nContent-Length: 100\r\n\r\n{", timeout=5)
    began = time.monotonic()
    assert raw_http.cut_off(client)
    assert DEADLINE <= time.monotonic() - began < DEADLINE + 2
    assert EchoService.calls == []


def test_the_request_id_of_the_client_is_kept_when_it_fits_and_replaced_when_not(edge):
    _, headers, _ = exchange(edge, b"GET /health HTTP/1.1\r\nHost: shop\r\nX-Request-ID: order-42.retry:1\r\n\r\n")
    assert headers["X-Request-ID"] == "order-42.retry:1"
    assert len(headers.get_all("X-Request-ID")) == 1
    _, headers, _ = exchange(edge, b"GET /health HTTP/1.1\r\nHost: shop\r\nX-Request-ID: <script>\r\n\r\n")
    assert headers["X-Request-ID"] != "<script>" and len(headers["X-Request-ID"]) == 32


def test_the_gateway_counts_the_address_the_edge_saw_not_the_one_a_client_names(edge):
    asking = b"GET /echo HTTP/1.1\r\nHost: shop\r\nX-Forwarded-For: 203.0.113.9\r\n\r\n"
    assert exchange(edge, asking, source="127.0.0.2")[2] == b'{"client": "127.0.0.2"}'
    assert exchange(edge, asking, source="127.0.0.3")[2] == b'{"client": "127.0.0.3"}'


@pytest.mark.parametrize("path", ["/metrics", "/health/live", "/health/ready"])
def test_the_gateways_operations_endpoints_are_not_reachable_through_the_edge(edge, path):
    assert_json_error(exchange(edge, f"GET {path} HTTP/1.1\r\nHost: shop\r\n\r\n".encode()), 404, "not_found")


def test_connections_past_the_bound_of_one_address_get_429_and_another_address_is_served(edge_with):
    edge = edge_with(EDGE_CONNECTIONS_PER_ADDRESS="3")
    held = [
        raw_http.connect(edge, b"POST /slow HTTP/1.1\r\nHost: shop\r\nContent-Length: 2\r\n\r\n{}", timeout=5)
        for _ in range(3)
    ]
    eventlet.sleep(0.3)
    assert_json_error(exchange(edge, b"GET /health HTTP/1.1\r\nHost: shop\r\n\r\n"), 429, "too_many_requests")
    assert exchange(edge, b"GET /health HTTP/1.1\r\nHost: shop\r\n\r\n", source="127.0.0.2")[0] == 200
    EchoService.release.send()
    assert [response_of(client)[0] for client in held] == [200] * 3


def test_requests_past_the_rate_of_one_address_get_429_with_retry_after(edge_with):
    edge = edge_with(EDGE_REQUESTS_PER_SECOND_PER_ADDRESS="2", EDGE_REQUEST_BURST="3")
    statuses = [exchange(edge, b"GET /health HTTP/1.1\r\nHost: shop\r\n\r\n")[0] for _ in range(8)]
    assert statuses[:3] == [200] * 3 and 429 in statuses  # the rate, and a burst above it
    status, headers, _ = exchange(edge, b"GET /health HTTP/1.1\r\nHost: shop\r\n\r\n")
    assert (status, headers["Retry-After"]) == (429, "1")
    assert exchange(edge, b"GET /health HTTP/1.1\r\nHost: shop\r\n\r\n", source="127.0.0.2")[0] == 200
