"""The accounts service's operations against a real PostgreSQL database: accounts, passwords, refresh tokens."""

from datetime import timedelta

import eventlet
import pytest
from sqlalchemy import update

from accounts_service import accounts
from accounts_service.domain import digest_of
from accounts_service.exceptions import EmailTaken, RefreshTokenRefused
from accounts_service.models import RefreshToken
from accounts_service.passwords import hash_password, password_matches
from accounts_service.schemas import NewAccount
from shop_common.vocabulary.clock import utc_now
from shop_common.vocabulary.validation import load

PASSWORD = "correct horse battery staple"
LIFETIME = 3600


def open_account(session, email="Ada@Example.COM", password=PASSWORD, role="customer"):
    """An account opened as the service opens one: the input loaded by its schema, the password hashed."""
    new = load(NewAccount(), {"email": email, "password": password})
    account = accounts.open_account(session, new["email"], hash_password(new["password"]), role)
    session.commit()
    return account


def sign_in(session, account):
    token = accounts.start_refresh_family(session, account, LIFETIME)
    session.commit()
    return token


def spend(session, token):
    account, next_token = accounts.spend_refresh_token(session, token, LIFETIME)
    session.commit()
    return account, next_token


def refused(session, token):
    """Whether ``token`` is refused; the session is rolled back afterwards, as a failed worker's is."""
    try:
        accounts.spend_refresh_token(session, token, LIFETIME)
    except RefreshTokenRefused:
        return True
    finally:
        session.rollback()
    return False


def test_an_opened_account_stores_the_lower_cased_email_and_its_role(accounts_db, databases):
    account = open_account(accounts_db, "Ada@Example.COM", role="staff")
    assert (account.email, account.role) == ("ada@example.com", "staff")
    assert databases.scalar("accounts", "SELECT email FROM accounts WHERE id = :id", id=account.id) == "ada@example.com"
    assert databases.scalar("accounts", "SELECT role FROM accounts WHERE id = :id", id=account.id) == "staff"


def test_an_opened_account_keeps_an_argon2id_hash_never_the_password(accounts_db, databases):
    account = open_account(accounts_db)
    stored = databases.scalar("accounts", "SELECT password_hash FROM accounts WHERE id = :id", id=account.id)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")  # OWASP: 19 MiB, 2 iterations, 1 lane
    assert PASSWORD not in stored
    assert (
        databases.scalar("accounts", "SELECT count(*) FROM accounts WHERE password_hash LIKE :p", p=f"%{PASSWORD}%")
        == 0
    )


def test_two_hashes_of_one_password_differ(accounts_db):
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted


@pytest.mark.parametrize("again", ["ada@example.com", "ADA@EXAMPLE.COM", "Ada@example.com"])
def test_a_second_account_for_the_same_email_in_any_case_is_refused(accounts_db, databases, again):
    first = open_account(accounts_db, "ada@example.com")
    with pytest.raises(EmailTaken):
        open_account(accounts_db, again, password="another long passphrase")
    accounts_db.rollback()
    assert databases.scalar("accounts", "SELECT count(*) FROM accounts") == 1
    assert accounts.account_with_email(accounts_db, "ada@example.com").id == first.id


def test_the_right_password_matches_the_stored_hash(accounts_db):
    account = open_account(accounts_db)
    assert password_matches(account.password_hash, PASSWORD) is True


@pytest.mark.parametrize("wrong", ["correct horse battery stapler", "", "CORRECT HORSE BATTERY STAPLE"])
def test_a_wrong_password_does_not_match(accounts_db, wrong):
    account = open_account(accounts_db)
    assert password_matches(account.password_hash, wrong) is False


def test_no_password_matches_an_unknown_account(accounts_db):
    assert accounts.account_with_email(accounts_db, "nobody@example.com") is None
    assert password_matches(None, PASSWORD) is False
    assert password_matches(None, "") is False


def test_a_stored_hash_that_is_not_an_argon2_hash_matches_nothing(accounts_db):
    assert password_matches("not a hash", "not a hash") is False


def test_only_the_digest_of_a_refresh_token_is_stored(accounts_db, databases):
    token = sign_in(accounts_db, open_account(accounts_db))
    assert databases.scalar("accounts", "SELECT digest FROM refresh_tokens") == digest_of(token)
    assert (
        databases.scalar("accounts", "SELECT count(*) FROM refresh_tokens r WHERE r::text LIKE :p", p=f"%{token}%") == 0
    )


def test_spending_a_refresh_token_gives_the_account_and_a_new_token_of_the_same_family(accounts_db, databases):
    account = open_account(accounts_db)
    first = sign_in(accounts_db, account)
    owner, second = spend(accounts_db, first)
    assert owner.id == account.id
    assert second != first and second.startswith("shop_rt_")
    families = databases.scalar("accounts", "SELECT count(DISTINCT family_id) FROM refresh_tokens")
    assert families == 1
    owner, third = spend(accounts_db, second)  # the new one works
    assert owner.id == account.id and third not in (first, second)


def test_a_spent_refresh_token_is_refused_afterwards(accounts_db):
    first = sign_in(accounts_db, open_account(accounts_db))
    spend(accounts_db, first)
    assert refused(accounts_db, first)


def test_a_reused_refresh_token_revokes_its_whole_family_even_the_newest_token(accounts_db):
    first = sign_in(accounts_db, open_account(accounts_db))
    _, second = spend(accounts_db, first)
    _, newest = spend(accounts_db, second)
    assert refused(accounts_db, first)  # someone else holds it: the whole sign-in ends
    assert refused(accounts_db, newest)


def test_the_revocation_of_a_reused_tokens_family_is_committed_though_the_call_raises(accounts_db, databases):
    first = sign_in(accounts_db, open_account(accounts_db))
    _, second = spend(accounts_db, first)
    with pytest.raises(RefreshTokenRefused):
        accounts.spend_refresh_token(accounts_db, first, LIFETIME)
    accounts_db.rollback()  # what becomes of a failed worker's session
    assert databases.scalar("accounts", "SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL") == 0
    assert (
        databases.scalar(
            "accounts", "SELECT revoked_at IS NOT NULL FROM refresh_tokens WHERE digest = :d", d=digest_of(second)
        )
        is True
    )


def test_a_reused_token_revokes_its_own_family_only(accounts_db):
    account = open_account(accounts_db)
    phone, laptop = sign_in(accounts_db, account), sign_in(accounts_db, account)
    spend(accounts_db, phone)
    assert refused(accounts_db, phone)
    _, laptop_next = spend(accounts_db, laptop)
    assert laptop_next


def test_an_expired_refresh_token_is_refused(accounts_db):
    token = sign_in(accounts_db, open_account(accounts_db))
    accounts_db.execute(
        update(RefreshToken)
        .where(RefreshToken.digest == digest_of(token))
        .values(expires_at=utc_now() - timedelta(seconds=1))
    )
    accounts_db.commit()
    assert refused(accounts_db, token)


def test_a_refresh_token_gets_the_configured_lifetime(accounts_db, databases):
    before = utc_now()
    token = sign_in(accounts_db, open_account(accounts_db))
    expires_at = databases.scalar(
        "accounts", "SELECT expires_at FROM refresh_tokens WHERE digest = :d", d=digest_of(token)
    )
    assert before + timedelta(seconds=LIFETIME) <= expires_at <= utc_now() + timedelta(seconds=LIFETIME)


def test_signing_out_revokes_that_sign_in_only(accounts_db):
    account = open_account(accounts_db)
    phone, laptop = sign_in(accounts_db, account), sign_in(accounts_db, account)
    _, phone_next = spend(accounts_db, phone)
    accounts.revoke_family_of(accounts_db, phone_next)
    accounts_db.commit()
    assert refused(accounts_db, phone_next)
    owner, _ = spend(accounts_db, laptop)  # the other sign-in of the same account still refreshes
    assert owner.id == account.id


def test_signing_out_with_an_unknown_token_changes_nothing(accounts_db, databases):
    token = sign_in(accounts_db, open_account(accounts_db))
    accounts.revoke_family_of(accounts_db, "shop_rt_no-such-token")
    accounts_db.commit()
    assert databases.scalar("accounts", "SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NOT NULL") == 0
    assert spend(accounts_db, token)


@pytest.mark.parametrize("token", ["shop_rt_no-such-token", "", "not even the prefix"])
def test_an_unknown_refresh_token_is_refused(accounts_db, token):
    sign_in(accounts_db, open_account(accounts_db))
    assert refused(accounts_db, token)


def test_of_two_refreshes_racing_with_one_token_one_wins_and_the_family_is_revoked(accounts_db, databases):
    first = sign_in(accounts_db, open_account(accounts_db))
    outcomes = []
    with databases.session("accounts") as other:
        # The first spends the token and holds its row; the second waits on the row lock, then sees it used.
        accounts.spend_refresh_token(accounts_db, first, LIFETIME)
        racer = eventlet.spawn(lambda: outcomes.append(refused(other, first)))
        eventlet.sleep(0.3)
        assert outcomes == []  # still waiting for the first to commit
        accounts_db.commit()
        racer.wait()
    assert outcomes == [True]
    assert databases.scalar("accounts", "SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL") == 0
