"""Turns the services' errors, which arrive over RPC, back into ``ShopError`` families.

Nameko rebuilds a remote exception by calling what is registered for its
path with the exception's args; every ``ShopError`` carries ``(message,
details)``, so registering its family rebuilds it with both.
"""

from nameko.exceptions import get_module_path, registry

import inventory_service.exceptions  # noqa: F401  (defines the errors registered below)
import order_service.exceptions  # noqa: F401
from shop_common.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable, ShopError

FAMILIES = (InvalidInput, NotFound, Conflict, ServiceUnavailable)


def _all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _all_subclasses(subclass)


def family_of(error_class):
    return next(family for family in FAMILIES if issubclass(error_class, family))


def register_remote_errors():
    for error_class in _all_subclasses(ShopError):
        registry[get_module_path(error_class)] = family_of(error_class)
