"""The ``accounts`` Nameko service: who may use the shop, and the tokens that say so.

From ``nameko shell`` an operator makes a staff account (never possible over HTTP)::

    n.rpc.accounts.create_staff("ops@example.com", "a long passphrase")
"""

from accounts_service import accounts, events
from accounts_service.exceptions import OperatorsOnly, WrongCredentials
from accounts_service.models import Base, OutboxMessage
from accounts_service.passwords import HashingMemory, hash_password, password_matches
from accounts_service.schemas import Credentials, NewAccount, RefreshTokenInput, account_output
from accounts_service.token_issuer import TokenIssuer
from shop_common.identity.caller import CUSTOMER, OPERATOR, STAFF
from shop_common.messaging.entrypoints import command, query
from shop_common.messaging.outbox import Outbox
from shop_common.operations import service_base
from shop_common.persistence.database import database_session
from shop_common.vocabulary.validation import load, valid_id

SECRETS = ("password", "refresh_token")  # arguments never written to a trace line


class AccountsService(service_base.DomainService):
    name = "accounts"

    db = database_session(Base)
    outbox = Outbox(Base, OutboxMessage)
    tokens = TokenIssuer()
    hashing_memory = HashingMemory()

    @command(sensitive_arguments=SECRETS)
    def register(self, email, password):
        """A new customer account."""
        return self._open_account(load(NewAccount(), {"email": email, "password": password}), CUSTOMER)

    @command(sensitive_arguments=SECRETS)
    def create_staff(self, email, password):
        """A new staff account: for an operator (a call that no request of a client caused)."""
        if self.caller != OPERATOR:
            raise OperatorsOnly("create a staff account")
        return self._open_account(load(NewAccount(), {"email": email, "password": password}), STAFF)

    @command(sensitive_arguments=SECRETS)
    def sign_in(self, email, password):
        """An access token and a refresh token; ``WrongCredentials`` alike for an unknown email or a wrong password."""
        credentials = load(Credentials(), {"email": email, "password": password})
        account = accounts.account_with_email(self.db, credentials["email"])
        if not password_matches(account and account.password_hash, credentials["password"]):
            raise WrongCredentials()
        refresh_token = accounts.start_refresh_family(self.db, account, self.tokens.refresh_seconds)
        self.db.commit()
        return self.tokens.pair(account, refresh_token)

    @command(sensitive_arguments=SECRETS)
    def refresh(self, refresh_token):
        """A new pair for a refresh token, which is spent; one used before revokes its whole sign-in."""
        given = load(RefreshTokenInput(), {"refresh_token": refresh_token})["refresh_token"]
        account, next_refresh_token = accounts.spend_refresh_token(self.db, given, self.tokens.refresh_seconds)
        self.db.commit()
        return self.tokens.pair(account, next_refresh_token)

    @command(sensitive_arguments=SECRETS)
    def sign_out(self, refresh_token):
        """Revoke the sign-in a refresh token belongs to (every token of its family)."""
        accounts.revoke_family_of(self.db, load(RefreshTokenInput(), {"refresh_token": refresh_token})["refresh_token"])
        self.db.commit()

    @query
    def get_account(self, account_id):
        """The account, for its owner, staff or an operator."""
        account_id = valid_id("account_id", account_id)
        self.caller.require(self.caller.may_act_for(account_id), "read another account")
        return account_output.dump(accounts.find_account(self.db, account_id))

    def _open_account(self, new_account, role):
        account = accounts.open_account(self.db, new_account["email"], hash_password(new_account["password"]), role)
        self.outbox.add(self.db, events.ACCOUNT_REGISTERED, events.account_event(account))
        self.db.commit()
        return account_output.dump(account)
