"""HTTP by hand, for clients no library would be: slow, half-sent, malformed or vanishing."""

import socket
from http.client import HTTPResponse


def connect(address, data=b"", timeout=10, source="127.0.0.1"):
    """A connection to ``address`` from ``source`` (another address of 127.0.0.0/8 is another client) that
    has sent ``data``."""
    client = socket.create_connection(address, timeout=timeout, source_address=(source, 0))
    client.sendall(data)
    return client


def response_of(client):
    """Status, headers and body of the answer on ``client``."""
    response = HTTPResponse(client)
    response.begin()
    return response.status, response.headers, response.read()


def cut_off(client):
    """True once the server has closed or reset ``client`` without an answer (as the edge does past a deadline)."""
    try:
        return client.recv(1) == b""
    except ConnectionResetError:
        return True


def statuses_until_closed(client):
    """The status of every answer on ``client`` (a second one would answer a hidden request), read until it closes."""
    received = b""
    try:
        while chunk := client.recv(65536):
            received += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return [int(line.split(b" ")[1]) for line in received.split(b"\r\n") if line.startswith(b"HTTP/1.")]


# Requests whose framing is conflicting or malformed (RFC 9112 asks for a 400): each an attempt to make a
# proxy and the server behind it disagree where a request ends.
MALFORMED_FRAMING = {
    "two transfer codings": b"POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    b"Transfer-Encoding: identity\r\n\r\n",
    "a space before the colon": b"POST /orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
    "length and chunked": b"POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n"
    b"\r\n0\r\n\r\n",
    "two lengths": b"POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    "a bare CR": b"GET /health HTTP/1.1\r\nHost: x\rX-Hidden: 1\r\n\r\n",
    "obs-fold": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n folded\r\n\r\n",
    "no Host": b"GET /health HTTP/1.1\r\n\r\n",
    "two Host": b"GET /health HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    "a NUL in a value": b"GET /health HTTP/1.1\r\nHost: x\r\nX-Nul: a\x00b\r\n\r\n",
}
