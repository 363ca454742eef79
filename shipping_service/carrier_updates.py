"""Carriers' status updates, signed as payment providers sign their webhooks. Plain Python, no I/O.

A carrier posts ``{"event_id", "tracking_number", "status", "occurred_at"}`` with the header
``Carrier-Signature: t=<unix time>,v1=<hex>``: the HMAC-SHA256, under the shop's ``CARRIER_WEBHOOK_SECRET``, of
``<t>.<the raw body>``. The time is signed with the body, so an update cannot be replayed under a new time;
one signed longer ago than the tolerance is refused.
"""

import hashlib
import hmac
import re

SIGNATURE_HEADER = "Carrier-Signature"
SCHEME = "v1"
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_MAC = re.compile(r"[0-9a-f]{64}")


class InvalidSignature(Exception):
    """An update that does not carry the carrier's signature of its body, or carries an old one."""


def signature(body, secret, timestamp):
    """The ``Carrier-Signature`` of ``body`` (bytes) signed at ``timestamp`` (unix seconds)."""
    return f"t={timestamp},{SCHEME}={_mac(body, secret, timestamp)}"


def verify(body, header, secret, tolerance, now):
    """Nothing, when ``header`` signs ``body`` (bytes) under ``secret`` no more than ``tolerance`` seconds away
    from ``now`` (unix seconds); ``InvalidSignature`` otherwise."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp, signed = parts.get("t", ""), parts.get(SCHEME, "")
    if not _TIMESTAMP.fullmatch(timestamp) or not _HEX_MAC.fullmatch(signed):
        raise InvalidSignature(f"no t=<unix time>,{SCHEME}=<signature>")
    if not hmac.compare_digest(_mac(body, secret, int(timestamp)), signed):
        raise InvalidSignature("the signature does not match the body")
    if abs(now - int(timestamp)) > tolerance:
        raise InvalidSignature(f"signed more than {tolerance} seconds away from now")


def _mac(body, secret, timestamp):
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
