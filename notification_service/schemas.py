"""The shapes of notifications on the wire."""

from marshmallow import Schema, fields

from shop_common.vocabulary.validation import EmailAddress


class SentEmailOutput(Schema):
    regarding_id = fields.String()
    kind = fields.String()
    customer_email = fields.String()
    subject = fields.String()
    sent_at = fields.DateTime()


class CustomerQuery(Schema):
    customer_email = EmailAddress(required=True)
