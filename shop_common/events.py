"""The envelope every event carries: a unique id (for idempotent consumers) and a UTC time."""

import uuid

from shop_common.clock import utc_now


def new_event(**payload):
    return {"event_id": uuid.uuid4().hex, "occurred_at": utc_now().isoformat(), **payload}
