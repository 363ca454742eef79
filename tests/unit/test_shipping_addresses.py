"""Addresses checked and normalised by each country's rules; what fails names ``shipping_address.<field>``."""

import pytest

from shipping_service.addresses import normalised
from shop_common.vocabulary.errors import InvalidInput
from shop_common.vocabulary.validation import PostalAddress, load

COUNTRIES = frozenset({"DE", "GB", "US", "CN", "CH"})
BLANK = {"city": "", "postal_code": "", "country_area": "", "city_area": ""}


def address(**fields):
    return {
        **BLANK,
        "name": "Ada Lovelace",
        "street_address": "Unter den Linden 1",
        "city": "Berlin",
        "postal_code": "10117",
        "country_code": "DE",
        **fields,
    }


def problems(given):
    with pytest.raises(InvalidInput) as invalid:
        normalised(given, COUNTRIES)
    assert list(invalid.value.details) == ["shipping_address"]
    return invalid.value.details["shipping_address"]


def test_an_address_is_written_as_its_country_writes_it():
    london = normalised(
        address(street_address="10 Downing St", city="london", postal_code="sw1a 2aa", country_code="gb"), COUNTRIES
    )
    assert london == {
        "name": "Ada Lovelace",
        "street_address": "10 Downing St",
        "city": "LONDON",
        "postal_code": "SW1A 2AA",
        "country_code": "GB",
        "country_area": "",
        "city_area": "",
    }


def test_a_postal_code_that_does_not_fit_its_country_is_refused_naming_it():
    assert problems(address(postal_code="ABC")) == {"postal_code": ["does not fit this country's rules"]}
    assert problems(address(country_code="US", city="Mountain View", postal_code="9404", country_area="CA")) == {
        "postal_code": ["does not fit this country's rules"]
    }


def test_a_field_the_country_requires_is_refused_when_missing_naming_it():
    assert problems(address(postal_code="")) == {"postal_code": ["is required in this country"]}
    assert "country_area" in problems(address(country_code="US", city="Mountain View", postal_code="94043"))


def test_a_country_the_shop_does_not_ship_to_or_that_does_not_exist_is_refused_naming_the_country_code():
    assert problems(address(country_code="FR", city="Paris", postal_code="75001")) == {
        "country_code": ["the shop does not ship to FR"]
    }
    assert problems(address(country_code="XX")) == {"country_code": ["the shop does not ship to XX"]}


def test_any_script_is_taken():
    beijing = normalised(
        address(
            name="张三",
            street_address="东长安街1号",
            city="东城区",
            country_area="北京市",
            postal_code="100006",
            country_code="CN",
        ),
        COUNTRIES,
    )
    assert (beijing["name"], beijing["city"], beijing["country_code"]) == ("张三", "东城区", "CN")


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "Ada\x00"),
        ("street_address", "Line one\nLine two"),
        ("city", "Berlin\x1b[31m"),
        ("street_address", "4242 4242 4242 4242"),
    ],
)
def test_control_characters_and_card_numbers_are_refused_before_the_rules_naming_the_field(field, value):
    with pytest.raises(InvalidInput) as invalid:
        load(PostalAddress(), address(**{field: value}))
    assert list(invalid.value.details) == [field]


def test_unknown_fields_and_overlong_ones_are_refused_naming_them():
    with pytest.raises(InvalidInput) as invalid:
        load(PostalAddress(), {**address(), "floor": "3", "street_address": "x" * 401})
    assert sorted(invalid.value.details) == ["floor", "street_address"]
