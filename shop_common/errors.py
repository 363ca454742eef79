"""Error families shared by every service.

Each service raises subclasses of these; the gateway maps a family to an HTTP
status in one place. The classes are plain exceptions so that domain modules
can raise them without importing any framework.
"""


class ShopError(Exception):
    """Base of every error a client can cause. ``code`` is the API error code."""

    code = "error"

    def __init__(self, message, details=None):
        super().__init__(message, details or {})
        self.message = message
        self.details = details or {}

    def __str__(self):
        return self.message


class InvalidInput(ShopError):
    """The request does not pass validation; ``details`` maps field to messages."""

    code = "invalid_input"


class NotFound(ShopError):
    code = "not_found"


class Conflict(ShopError):
    code = "conflict"


class ServiceUnavailable(ShopError):
    """A service the request needs did not answer in time."""

    code = "service_unavailable"
