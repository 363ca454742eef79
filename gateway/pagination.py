"""Pages of a list: at most ``limit`` items and an opaque cursor to the next page. Plain Python, no I/O.

A cursor is the position of a page's last item (its sort key), as base64url
JSON, not signed: one made by hand names a position like any other, and the
list it reads still shows the caller only what is theirs. The client passes it back as ``cursor`` and gets the
items after it, so no answer grows with the size of the list, and items added meanwhile
neither repeat nor shift a page. ``next_cursor`` is null when a page is not
full (a full last page is followed by an empty one).
"""

import base64
import binascii
import json

from shop_common.vocabulary.errors import InvalidInput

MAX_CURSOR_CHARS = 512


def encode_cursor(position):
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).rstrip(b"=").decode()


def decode_cursor(cursor, schema):
    """The position ``cursor`` holds, as it was encoded, once ``schema`` finds it valid; ``InvalidInput`` naming
    ``cursor`` otherwise."""
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError(cursor)
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(position, dict) or schema.validate(position):
            raise ValueError(cursor)
        return position
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "invalid cursor", {"cursor": ["is not a position in this list: send the next_cursor of the page before"]}
        ) from None


def page(items, limit, position_of):
    """``{"items", "next_cursor"}`` for a page of ``items`` asked with ``limit``."""
    full = len(items) >= limit
    return {"items": items, "next_cursor": encode_cursor(position_of(items[-1])) if full and items else None}
