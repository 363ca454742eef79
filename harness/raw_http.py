"""HTTP by hand, for clients no library would be: slow, half-sent, malformed or vanishing."""

import socket
from http.client import HTTPResponse


def connect(address, data=b"", timeout=10):
    """A connection to ``address`` that has sent ``data``."""
    client = socket.create_connection(address, timeout=timeout)
    client.sendall(data)
    return client


def response_of(client):
    """Status, headers and body of the answer on ``client``."""
    response = HTTPResponse(client)
    response.begin()
    return response.status, response.headers, response.read()
