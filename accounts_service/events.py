"""The accounts service's events: the contract other services import.

Published on the ``accounts`` events exchange. ``account_registered`` is
``{"event_id", "occurred_at", "version", "account": {"id", "email", "role",
"created_at"}}``: never a password or any secret.
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from shop_common.identity.caller import ROLES
from shop_common.vocabulary.events import EventEnvelope, new_event
from shop_common.vocabulary.validation import EmailAddress, id_field

SOURCE = "accounts"

ACCOUNT_REGISTERED = "account_registered"


class AccountSnapshot(Schema):
    class Meta:
        unknown = EXCLUDE

    id = id_field()
    email = EmailAddress(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    created_at = fields.AwareDateTime(required=True)


class AccountEvent(EventEnvelope):
    account = fields.Nested(AccountSnapshot, required=True)


_snapshot = AccountSnapshot()


def account_event(account):
    return new_event(account=_snapshot.dump(account))
