"""The envelope every event carries: a unique id (for idempotent consumers) and a UTC time.

Each service's ``events`` module describes its payloads as subclasses of
``EventEnvelope``; consumers check every event against its schema before use
(``payload_problems``). Fields a consumer does not know are ignored, so a
payload may gain fields without breaking anyone; an event of a ``version``
the consumer does not take is refused (to its dead letters).
"""

import uuid

from marshmallow import EXCLUDE, Schema, fields, validate

from shop_common.vocabulary.clock import utc_now

VERSION = 1  # of every event contract: a change that would break a consumer is a new version


def new_event(**payload: object) -> dict[str, object]:
    return {"event_id": uuid.uuid4().hex, "occurred_at": utc_now().isoformat(), "version": VERSION, **payload}


class EventEnvelope(Schema):
    class Meta:
        unknown = EXCLUDE

    event_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    occurred_at = fields.AwareDateTime(required=True)
    version = fields.Integer(strict=True, validate=validate.OneOf([VERSION]))  # absent: published before versions


def payload_problems(schema: Schema, payload: object) -> dict[str, list[str]] | None:
    """What is wrong with ``payload`` for ``schema`` (field -> messages), or None when nothing is."""
    if not isinstance(payload, dict):
        return {"_schema": ["an event payload must be a JSON object"]}
    return schema.validate(payload) or None
