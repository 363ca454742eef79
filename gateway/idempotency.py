"""Safe retries of ``POST /orders``: the ``Idempotency-Key`` header (IETF draft "The Idempotency-Key
HTTP Header Field"). Plain Python, no I/O.

The same key from the same client names the same order: its id is derived
from both, so a retry after a lost answer (or a gateway that died mid-request)
finds the order placed the first time, for as long as the order exists. The
request's fingerprint travels with it; the same key with another body is
refused by the orders service.
"""

import hashlib
import json
import re

from shop_common.vocabulary.errors import InvalidInput

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
VALID_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")


def idempotency_key(headers):
    """The request's key (a structured-field string, quoted or bare), None without one; ``InvalidInput`` if
    malformed."""
    given = headers.get(IDEMPOTENCY_KEY_HEADER)
    if given is None:
        return None
    key = given.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not VALID_KEY.fullmatch(key):
        raise InvalidInput(
            f"invalid {IDEMPOTENCY_KEY_HEADER}", {IDEMPOTENCY_KEY_HEADER: ["must be 1-255 printable ASCII characters"]}
        )
    return key


def keyed_order_id(client, key):
    """The order id for ``key`` from ``client``: the same pair, the same id; another client, another id."""
    return hashlib.sha256(f"{client}\n{key}".encode()).hexdigest()[:32]


def fingerprint(request_body):
    """What identifies a request's content, whatever the order of its keys."""
    return hashlib.sha256(json.dumps(request_body, sort_keys=True, default=str).encode()).hexdigest()
