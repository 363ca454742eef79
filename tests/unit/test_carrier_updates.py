"""A carrier's update is taken only with its signature of the very body, made within the tolerance."""

import hashlib
import hmac

import pytest

from harness.shipping import carrier_signature, carrier_update
from shipping_service.carrier_updates import InvalidSignature, signature, verify

SECRET = "carrier-secret"
NOW = 1_800_000_000
BODY = carrier_update("JD1", event_id="evt-1")


def test_the_signature_is_hmac_sha256_of_the_time_and_the_body_as_carriers_document_it():
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature(BODY, SECRET, NOW) == f"t={NOW},v1={expected}" == carrier_signature(BODY, SECRET, at=NOW)


def test_a_body_signed_within_the_tolerance_is_taken():
    verify(BODY, signature(BODY, SECRET, NOW - 299), SECRET, 300, NOW)
    verify(BODY, signature(BODY, SECRET, NOW + 299), SECRET, 300, NOW)  # a carrier's clock a little ahead


@pytest.mark.parametrize(
    "header, why",
    [
        (signature(BODY, SECRET, NOW - 301), "signed more than 300 seconds"),
        (signature(BODY, "another secret", NOW), "does not match"),
        (signature(BODY + b" ", SECRET, NOW), "does not match"),
        (signature(BODY, SECRET, NOW).replace(f"t={NOW}", f"t={NOW + 1}"), "does not match"),  # a replay, re-timed
        ("", "no t="),
        (f"t={NOW}", "no t="),
        (f"t=²,v1={'0' * 64}", "no t="),
        (f"t={'9' * 5000},v1={'0' * 64}", "no t="),
        (f"t={NOW},v1={'é' * 64}", "no t="),
    ],
)
def test_a_forged_stale_or_malformed_signature_is_refused_saying_why(header, why):
    with pytest.raises(InvalidSignature, match=why):
        verify(BODY, header, SECRET, 300, NOW)
