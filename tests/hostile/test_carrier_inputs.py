"""What a forger, or a carrier sending what the shop did not expect, posts to the carrier webhook: each is refused
with a clear error or taken and ignored, nothing changes that should not, and the shop carries on."""

import json

import pytest

from harness.shipping import CARRIER, carrier_signature, carrier_update, tracking_number

pytestmark = pytest.mark.hostile


def update(shop, body, signature):
    headers = {"Content-Type": "application/json", **({"Carrier-Signature": signature} if signature else {})}
    return shop.http.post(f"{shop.url}/webhooks/carrier", data=body, headers=headers, timeout=10)


@pytest.fixture
def shipped(shop):
    """An order on its way, and its tracking number."""
    order = shop.wait_for_status(shop.place_order((shop.add_product(stock=1), 1))["id"])
    tracking = tracking_number()
    answer = shop.http.post(
        f"{shop.url}/orders/{order['id']}/ship", timeout=10, json={"carrier": CARRIER, "tracking_number": tracking}
    )
    assert answer.status_code == 200, answer.text
    return order["id"], tracking


FORGED = {  # what: (body, Carrier-Signature)
    "unsigned": (b"{}", None),
    "not text": (b"\xff\xfe\x00", "t=1,v1=" + "0" * 64),
    "nested": (b"[" * 10000, "t=1,v1=" + "0" * 64),
    "garbage header": (b"{}", "garbage"),
    "huge time": (b"{}", "t=" + "9" * 900 + ",v1=" + "0" * 64),
    "many parts": (b"{}", ",".join(["v1=00"] * 150)),
    "not hex": (b"{}", "t=1,v1=" + "z" * 64),
}


def test_a_forged_update_is_refused_naming_the_signature(shop):
    for what, (body, signature) in FORGED.items():
        response = update(shop, body, signature)
        assert (response.status_code, response.json()["error"]) == (400, "invalid_signature"), what
    empty = update(shop, b"", None)
    assert (empty.status_code, empty.json()["error"]) == (400, "invalid_input")  # nothing to verify
    too_long = update(shop, b"{}", "t=1," + "v1=00," * 200)
    assert (too_long.status_code, too_long.json()["error"]) == (400, "invalid_input")  # past what a header holds


@pytest.mark.parametrize(
    "body, field",
    [
        (b"not json", "_schema"),
        (b"[1, 2]", "_schema"),
        (b'"delivered"', "_schema"),
        (
            json.dumps({"tracking_number": "JD1", "status": "delivered", "occurred_at": "2026-12-06T12:00:00+00:00"}),
            "event_id",
        ),
        (
            json.dumps(
                {
                    "event_id": "e",
                    "tracking_number": ["JD1"],
                    "status": "delivered",
                    "occurred_at": "2026-12-06T12:00:00+00:00",
                }
            ),
            "tracking_number",
        ),
        (
            json.dumps({"event_id": "e", "tracking_number": "JD1", "status": "delivered", "occurred_at": "yesterday"}),
            "occurred_at",
        ),
        (
            json.dumps(
                {"event_id": "e", "tracking_number": "JD1", "status": "delivered", "occurred_at": "2026-12-06T12:00:00"}
            ),
            "occurred_at",
        ),  # no offset: not a time the shop takes
        (
            json.dumps(
                {
                    "event_id": "e" * 57,
                    "tracking_number": "JD1",
                    "status": "delivered",
                    "occurred_at": "2026-12-06T12:00:00+00:00",
                }
            ),
            "event_id",
        ),
    ],
)
def test_a_signed_update_of_the_wrong_shape_is_refused_naming_the_field(shop, stack, body, field):
    body = body if isinstance(body, bytes) else body.encode()
    response = update(shop, body, carrier_signature(body, stack.carrier_secret))
    assert (response.status_code, response.json()["error"], list(response.json()["details"])) == (
        400,
        "invalid_input",
        [field],
    )


def test_an_oversized_update_is_refused_before_any_work(shop, stack):
    body = json.dumps({"event_id": "e", "padding": "x" * 20_000}).encode()
    assert update(shop, body, carrier_signature(body, stack.carrier_secret)).status_code == 400
    assert update(shop, b"x" * 2_000_000, "t=1,v1=00").status_code == 413  # past the edge's bound


def test_updates_the_shop_does_not_act_on_are_taken_and_change_nothing(shop, stack, shipped):
    order_id, tracking = shipped
    for body in (
        carrier_update(tracking, status="in_transit"),
        carrier_update("JD-NOT-OURS"),
        carrier_update(tracking, status="delivered\u202e"),
    ):
        answer = update(shop, body, carrier_signature(body, stack.carrier_secret))
        assert answer.status_code in (200, 400), answer.text
    assert shop.http.get(f"{shop.url}/orders/{order_id}", timeout=10).json()["status"] == "shipped"
    body = carrier_update(tracking, event_id="e-extra")
    with_more = json.dumps({**json.loads(body), "location": "Berlin hub", "signed_by": "A. Smith"}).encode()
    assert update(shop, with_more, carrier_signature(with_more, stack.carrier_secret)).status_code == 200
    assert shop.wait_for_status(order_id, {"delivered"})["shipment"]["status"] == "delivered"
