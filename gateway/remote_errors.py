"""Turns the services' errors, which arrive over RPC, back into ``ShopError`` families.

Every ``ShopError`` travels with its args ``(message, details)``; the gateway
rebuilds it as its family (``NotFound``, ``Conflict``...), which is what the
HTTP mapping needs, without touching nameko's process-wide error registry.
"""

from functools import cache

from nameko.exceptions import get_module_path

import inventory_service.exceptions  # noqa: F401  (defines errors that arrive over RPC)
import order_service.exceptions  # noqa: F401
from shop_common.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable, ShopError

FAMILIES = (InvalidInput, NotFound, Conflict, ServiceUnavailable)


def _all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _all_subclasses(subclass)


def family_of(error_class):
    return next(family for family in FAMILIES if issubclass(error_class, family))


@cache
def _families_by_path():
    return {get_module_path(error_class): family_of(error_class) for error_class in _all_subclasses(ShopError)}


def shop_error_from(serialized_error):
    """The ``ShopError`` for an error from an RPC reply, or None for any other error."""
    family = _families_by_path().get(serialized_error.get("exc_path"))
    if family is None:
        return None
    message, details = (list(serialized_error.get("exc_args", [])) + ["", {}])[:2]
    return family(message, details)
