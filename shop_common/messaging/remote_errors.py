"""Turns the services' errors, which arrive over RPC, back into ``ShopError`` families.

Every ``ShopError`` travels with ``(message, details, family, code)``; the
caller rebuilds it as its family (``NotFound``, ``Conflict``...), which is
what the HTTP mapping needs, knowing no service's classes and without
touching nameko's process-wide error registry.
"""

from shop_common.vocabulary.errors import from_remote


def shop_error_from(serialized_error):
    """The ``ShopError`` for an error from an RPC reply, or None for any other error."""
    if not isinstance(serialized_error, dict):
        return None
    return from_remote(serialized_error.get("exc_args"))
