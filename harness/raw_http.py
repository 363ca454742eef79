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
