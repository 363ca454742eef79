import pytest

from gateway.idempotency import fingerprint, idempotency_key, keyed_order_id
from shop_common.vocabulary.errors import InvalidInput


@pytest.mark.parametrize(
    "given, key",
    [
        (None, None),
        ("abc-123", "abc-123"),
        ('"8e03978e-40d5-43e8-bc93-6894a57f9324"', "8e03978e-40d5-43e8-bc93-6894a57f9324"),
        ("  spaced  ", "spaced"),
        ("k" * 255, "k" * 255),
    ],
)
def test_a_key_is_taken_quoted_or_bare(given, key):
    assert idempotency_key({} if given is None else {"Idempotency-Key": given}) == key


@pytest.mark.parametrize("given", ["", '""', "k" * 256, "tab\there", "ünï"])
def test_a_malformed_key_is_refused_naming_the_header(given):
    with pytest.raises(InvalidInput) as refused:
        idempotency_key({"Idempotency-Key": given})
    assert list(refused.value.details) == ["Idempotency-Key"]


def test_one_key_names_one_order_per_client():
    assert keyed_order_id("ada@example.com", "k1") == keyed_order_id("ada@example.com", "k1")
    assert keyed_order_id("ada@example.com", "k1") != keyed_order_id("bob@example.com", "k1")
    assert len(keyed_order_id("ada@example.com", "k1")) == 32


def test_a_fingerprint_ignores_key_order_and_tells_bodies_apart():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1, "b": [1, 2]}) != fingerprint({"a": 1, "b": [2, 1]})
