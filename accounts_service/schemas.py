"""The shapes of accounts on the wire: what a caller sends, what the service returns."""

from marshmallow import Schema, fields, validate

from shop_common.vocabulary.validation import EmailAddress, password_field


class NewAccount(Schema):
    email = EmailAddress(required=True)
    password = password_field()


class Credentials(Schema):
    email = EmailAddress(required=True)
    password = password_field(min_length=0)  # a password too short to exist is simply wrong


class RefreshTokenInput(Schema):
    refresh_token = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class AccountOutput(Schema):
    id = fields.String()
    email = fields.String()
    role = fields.String()
    created_at = fields.AwareDateTime()


account_output = AccountOutput()
