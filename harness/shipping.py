"""What tests and the benchmark ship to, and a carrier that tells of deliveries as carriers do: a status update
signed with HMAC-SHA256 of ``<unix time>.<body>`` under the shop's ``CARRIER_WEBHOOK_SECRET``."""

import hashlib
import hmac
import json
import time
import uuid

ADDRESS = {
    "name": "Ada Lovelace",
    "street_address": "Unter den Linden 1",
    "city": "Berlin",
    "postal_code": "10117",
    "country_code": "DE",
}
WEIGHT_GRAMS = 250  # of one unit of every product the tests make
CARRIER = "DHL"


def tracking_number():
    return f"JD{uuid.uuid4().hex[:18].upper()}"


def carrier_update(tracking, status="delivered", event_id=None, occurred_at="2026-12-06T12:00:00+00:00"):
    """The body a carrier posts (bytes)."""
    return json.dumps(
        {
            "event_id": event_id or uuid.uuid4().hex,
            "tracking_number": tracking,
            "status": status,
            "occurred_at": occurred_at,
        }
    ).encode()


def carrier_signature(body, secret, at=None):
    """``Carrier-Signature`` of ``body`` made at ``at`` (unix seconds; now by default)."""
    timestamp = int(time.time() if at is None else at)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"
