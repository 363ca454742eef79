"""Entrypoints as the services declare them.

A ``ShopError`` is the caller's mistake (bad input, unknown id, conflict):
nameko logs it as expected, at warning level, rather than as a failure.
"""

from nameko.rpc import rpc as nameko_rpc

from shop_common.errors import ShopError

rpc = nameko_rpc(expected_exceptions=(ShopError,))
