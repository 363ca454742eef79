"""What the accounts service refuses, each error of a family the gateway maps to HTTP."""

from shop_common.vocabulary.errors import Conflict, Forbidden, NotFound, Unauthenticated


class EmailTaken(Conflict):
    code = "email_taken"

    def __init__(self):
        super().__init__("an account with this email exists already", {"email": ["is registered already"]})


class WrongCredentials(Unauthenticated):
    code = "invalid_credentials"

    def __init__(self):
        super().__init__("the email or the password is wrong")


class RefreshTokenRefused(Unauthenticated):
    code = "invalid_refresh_token"

    def __init__(self):
        super().__init__("the refresh token is not valid: sign in again")


class AccountNotFound(NotFound):
    def __init__(self, account_id):
        super().__init__(f"no account {account_id}", {"account_id": account_id})


class OperatorsOnly(Forbidden):
    def __init__(self, action):
        super().__init__(f"only an operator may {action}")
