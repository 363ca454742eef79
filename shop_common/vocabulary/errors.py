"""Error families shared by every service.

Each service raises subclasses of these. Every error carries its ``family``
(which the gateway maps to an HTTP status, in one place) and its ``code``
(the API error code a client sees, the family's unless a subclass names its
own). Both travel over RPC in the exception's arguments, so the gateway
rebuilds any service's error as its family (``from_remote``) without knowing
the service's classes. The classes are plain exceptions so that domain
modules can raise them without importing any framework.
"""

from collections.abc import Mapping


class ShopError(Exception):
    """Base of every error a client can cause."""

    family = "error"
    code: str | None = None  # the family's, unless a subclass names its own

    def __init__(self, message: str, details: Mapping[str, object] | None = None, code: str | None = None) -> None:
        details = details or {}
        code = code or self.code or self.family
        super().__init__(message, details, self.family, code)  # what travels over RPC, in this order
        self.message = message
        self.details = details
        self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidInput(ShopError):
    """The request does not pass validation; ``details`` maps field to messages."""

    family = "invalid_input"


class Unauthenticated(ShopError):
    """The caller did not prove who they are: no credentials, or ones that do not hold."""

    family = "unauthenticated"


class Forbidden(ShopError):
    """The caller is known, and may not do this."""

    family = "forbidden"


class NotFound(ShopError):
    family = "not_found"


class Conflict(ShopError):
    family = "conflict"


class Unprocessable(ShopError):
    """Well-formed, but it contradicts what the shop already holds (an idempotency key reused with another body)."""

    family = "unprocessable"


class TooManyRequests(ShopError):
    """A rate limit is spent; ``details["retry_after"]`` says in how many whole seconds it is not."""

    family = "too_many_requests"


class ServiceUnavailable(ShopError):
    """A service the request needs did not answer in time."""

    family = "service_unavailable"


FAMILIES: dict[str, type[ShopError]] = {
    family.family: family
    for family in (
        InvalidInput,
        Unauthenticated,
        Forbidden,
        NotFound,
        Conflict,
        Unprocessable,
        TooManyRequests,
        ServiceUnavailable,
    )
}


def from_remote(exc_args: object) -> ShopError | None:
    """The ``ShopError`` of its family for the arguments of an error that came over RPC; None for any other."""
    if not isinstance(exc_args, (list, tuple)) or len(exc_args) != 4:
        return None
    message, details, family, code = exc_args
    if family not in FAMILIES or not isinstance(message, str) or not isinstance(details, dict):
        return None
    return FAMILIES[family](message, details, code if isinstance(code, str) else None)
