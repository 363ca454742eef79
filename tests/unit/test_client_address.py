import ipaddress

import pytest

from gateway.http import client_address, trusted_proxies

EDGE = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"))


@pytest.mark.parametrize(
    "peer, forwarded_for, client",
    [
        ("127.0.0.1", "203.0.113.9", "203.0.113.9"),  # the edge says who it saw
        ("10.1.2.3", "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the edge's own word is the last
        ("10.1.2.3", "2001:db8::1", "2001:db8::1"),
        ("192.0.2.7", "203.0.113.9", "192.0.2.7"),  # anyone else: its header is ignored
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "not an address", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
        (None, "203.0.113.9", "unknown"),
    ],
)
def test_the_client_is_who_the_edge_saw_only_when_the_edge_says_it(peer, forwarded_for, client):
    assert client_address(peer, forwarded_for, EDGE) == client


def test_trusted_proxies_are_addresses_or_networks_separated_by_commas():
    assert trusted_proxies({"TRUSTED_PROXIES": "127.0.0.1, ::1,10.0.0.0/8"}) == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("10.0.0.0/8"),
    )
    assert trusted_proxies({"TRUSTED_PROXIES": ""}) == ()
    assert client_address("127.0.0.1", "203.0.113.9", trusted_proxies({"TRUSTED_PROXIES": None})) == "127.0.0.1"
