"""Who a request acts for, as it travels from the gateway through every service. Plain Python, no I/O.

The gateway takes the caller from the request's access token, never from
its body, and puts it in the worker's context as ``caller``: nameko copies
it into every RPC call and event the request causes, so each service knows
the caller and its log lines name it. A call without a caller comes from an
operator (``nameko shell``) and acts as staff.
"""

import re
from dataclasses import dataclass

from shop_common.vocabulary.errors import Forbidden

CALLER_KEY = "caller"

CUSTOMER = "customer"
STAFF = "staff"
ANONYMOUS = "anonymous"
ROLES = (CUSTOMER, STAFF)

_VALID_CONTEXT = re.compile(r"^(?:(customer|staff):([A-Za-z0-9][A-Za-z0-9._-]{0,63})|anonymous)$")


@dataclass(frozen=True)
class Caller:
    role: str
    account_id: str | None = None

    @property
    def is_staff(self):
        return self.role == STAFF

    @property
    def is_signed_in(self):
        return self.role in ROLES

    def may_act_for(self, account_id):
        """Staff act for anyone; a customer for themselves alone; nobody else for anyone."""
        return self.is_staff or (self.role == CUSTOMER and account_id == self.account_id)

    def require(self, allowed, action):
        """``Forbidden`` to ``action`` unless ``allowed``."""
        if not allowed:
            raise Forbidden(f"the caller may not {action}", {"role": self.role})

    def as_context(self):
        """The caller as it travels in the context (a header): ``customer:<id>``, ``staff:<id>`` or ``anonymous``."""
        return self.role if self.account_id is None else f"{self.role}:{self.account_id}"


OPERATOR = Caller(STAFF)
NOBODY = Caller(ANONYMOUS)


def valid_caller_context(value):
    return isinstance(value, str) and bool(_VALID_CONTEXT.fullmatch(value))


def caller_from_context(context):
    """The caller a worker acts for: the context's, or the operator when it names none."""
    value = context.get(CALLER_KEY)
    if value is None:
        return OPERATOR
    match = _VALID_CONTEXT.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return NOBODY  # unreadable: acts for nobody (the trusted context has already dropped it)
    return Caller(match[1], match[2]) if match[1] else NOBODY
