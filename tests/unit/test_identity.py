"""Who a request acts for, the keys that sign and verify access tokens, and the tokens themselves.

The gateway's handling of forged tokens over HTTP is in tests/integration/test_access_tokens.py;
this file is about the functions.
"""

import base64
import logging
import os
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from shop_common.identity.caller import NOBODY, OPERATOR, Caller, caller_from_context
from shop_common.identity.keys import (
    DEVELOPMENT_KEY_FILE,
    KeyProblem,
    development_key,
    kid_of,
    signing_key,
    trusted_keys,
)
from shop_common.identity.tokens import Identity, LocalIssuer, TokenVerifier, issue_access_token
from shop_common.messaging.request_context import trusted_context
from shop_common.vocabulary.errors import Forbidden, Unauthenticated

ISSUER, AUDIENCE = "shop-accounts", "shop"
ADA = {"id": "acc-ada", "email": "ada@example.com", "role": "customer"}


def private_pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key):
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def verifier_trusting(*keys, issuer=ISSUER, audience=AUDIENCE):
    return TokenVerifier([LocalIssuer(issuer, audience, {kid_of(key): key.public_key() for key in keys})])


# --- Caller ---------------------------------------------------------------------------------------------------


def test_staff_may_act_for_any_account():
    staff = Caller("staff", "acc-staff")
    assert staff.may_act_for("acc-ada") and staff.may_act_for("acc-bob") and staff.may_act_for(None)


def test_a_customer_may_act_for_their_own_account_alone():
    ada = Caller("customer", "acc-ada")
    assert ada.may_act_for("acc-ada")
    assert not ada.may_act_for("acc-bob")
    assert not ada.may_act_for(None)


def test_an_anonymous_caller_acts_for_nobody():
    assert not NOBODY.may_act_for("acc-ada")
    assert not NOBODY.may_act_for(None)
    assert not NOBODY.is_signed_in and not NOBODY.is_staff


@pytest.mark.parametrize(
    "caller",
    [Caller("customer", "acc-ada"), Caller("staff", "acc-x.1_2-3"), NOBODY],
    ids=["customer", "staff", "anonymous"],
)
def test_a_caller_survives_the_round_trip_through_the_context(caller):
    context = {"caller": caller.as_context()}
    assert caller_from_context(context) == caller


def test_the_context_value_names_role_and_account():
    assert Caller("customer", "acc-ada").as_context() == "customer:acc-ada"
    assert NOBODY.as_context() == "anonymous"


def test_a_context_without_a_caller_is_the_operator_who_acts_as_staff():
    operator = caller_from_context({"request_id": "req-1"})
    assert operator == OPERATOR
    assert operator.is_staff and operator.may_act_for("acc-ada")


@pytest.mark.parametrize(
    "value",
    [
        "admin:acc-1",
        "customer:",
        "staff",
        "customer",
        "customer:acc 1",
        "staff:" + "x" * 65,
        "",
        42,
        ["staff:acc-1"],
        {"role": "staff"},
    ],
)
def test_a_malformed_caller_in_the_context_acts_for_nobody(value):
    caller = caller_from_context({"caller": value})
    assert caller == NOBODY
    assert caller != OPERATOR
    assert not caller.may_act_for("acc-1")


def test_a_context_value_with_a_trailing_newline_is_malformed():
    assert caller_from_context({"caller": "customer:acc-1\n"}) == NOBODY
    assert trusted_context({"caller": "customer:acc-1\n", "request_id": "req-1\n"}) == {"caller": "anonymous"}


def test_require_raises_forbidden_naming_the_action_when_not_allowed():
    ada = Caller("customer", "acc-ada")
    ada.require(ada.may_act_for("acc-ada"), "see this order")  # allowed: nothing raised
    with pytest.raises(Forbidden) as refused:
        ada.require(ada.may_act_for("acc-bob"), "see this order")
    assert "see this order" in refused.value.message
    assert refused.value.details == {"role": "customer"}


def test_the_trusted_context_turns_a_malformed_caller_into_anonymous_never_into_no_caller():
    trusted = trusted_context({"caller": "admin:root", "request_id": "req-1"})
    assert trusted == {"caller": "anonymous", "request_id": "req-1"}
    assert caller_from_context(trusted) == NOBODY


@pytest.mark.parametrize("value", ["customer:acc-ada", "staff:acc-x", "anonymous"])
def test_the_trusted_context_keeps_a_valid_caller(value):
    assert trusted_context({"caller": value}) == {"caller": value}


def test_the_trusted_context_adds_no_caller_when_there_was_none():
    assert trusted_context({"request_id": "req-1"}) == {"request_id": "req-1"}


# --- Keys -----------------------------------------------------------------------------------------------------


def test_the_kid_is_the_rfc_7638_thumbprint_of_the_public_key():
    # RFC 8037, appendix A.3: the thumbprint of the Ed25519 public key of appendix A.2.
    x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    public_key = ed25519.Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "="))
    assert kid_of(public_key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_a_private_key_has_the_kid_of_its_public_half():
    key = ed25519.Ed25519PrivateKey.generate()
    assert kid_of(key) == kid_of(key.public_key())
    assert kid_of(key) != kid_of(ed25519.Ed25519PrivateKey.generate())


@pytest.fixture
def no_configured_keys(monkeypatch):
    """No key in the environment (the session's are set for every other test)."""
    for name in ("AUTH_SIGNING_KEY", "AUTH_SIGNING_KEY_FILE", "AUTH_TRUSTED_KEYS", "AUTH_TRUSTED_KEYS_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def key_dir(tmp_path):
    return tmp_path / "keys"


@pytest.fixture
def dev_config(key_dir):
    return {"AUTH": {"DEVELOPMENT_KEY_DIR": str(key_dir)}}


def test_without_configured_keys_a_development_key_is_made_in_the_configured_folder_readable_by_its_owner_alone(
    no_configured_keys, dev_config, key_dir
):
    key = signing_key(dev_config)
    path = key_dir / DEVELOPMENT_KEY_FILE
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    assert path.read_text() == private_pem(key)
    assert path.stat().st_mode & 0o777 == 0o600
    assert key_dir.stat().st_mode & 0o077 == 0
    assert os.listdir(key_dir) == [DEVELOPMENT_KEY_FILE]  # no draft left behind


def test_the_development_key_is_made_once_and_reused_by_the_next_call(no_configured_keys, dev_config, key_dir):
    first = signing_key(dev_config)
    made = (key_dir / DEVELOPMENT_KEY_FILE).read_bytes()
    again = development_key(dev_config)
    assert kid_of(again) == kid_of(first)
    assert (key_dir / DEVELOPMENT_KEY_FILE).read_bytes() == made
    assert list(trusted_keys(dev_config)) == [kid_of(first)]  # verifiers trust its public half


def test_using_the_development_key_logs_a_warning_that_it_is_for_development(
    no_configured_keys, dev_config, key_dir, caplog
):
    with caplog.at_level(logging.WARNING, logger="shop_common.identity.keys"):
        signing_key(dev_config)
    [warning] = [r for r in caplog.records if r.name == "shop_common.identity.keys"]
    assert warning.levelno == logging.WARNING
    assert "development key" in warning.getMessage()
    assert str(key_dir / DEVELOPMENT_KEY_FILE) in warning.getMessage()
    assert "AUTH_SIGNING_KEY" in warning.getMessage()


def test_a_signing_key_in_the_environment_wins_over_the_development_key(
    no_configured_keys, monkeypatch, dev_config, key_dir, caplog
):
    configured = ed25519.Ed25519PrivateKey.generate()
    monkeypatch.setenv("AUTH_SIGNING_KEY", private_pem(configured))
    with caplog.at_level(logging.WARNING, logger="shop_common.identity.keys"):
        key = signing_key(dev_config)
    assert kid_of(key) == kid_of(configured)
    assert not key_dir.exists()
    assert not [r for r in caplog.records if r.name == "shop_common.identity.keys"]


def test_a_signing_key_file_in_the_environment_wins_over_the_development_key(
    no_configured_keys, monkeypatch, dev_config, key_dir, tmp_path
):
    configured = ec.generate_private_key(ec.SECP256R1())
    key_file = tmp_path / "signing.pem"
    key_file.write_text(private_pem(configured))
    monkeypatch.setenv("AUTH_SIGNING_KEY_FILE", str(key_file))
    assert kid_of(signing_key(dev_config)) == kid_of(configured)
    assert not key_dir.exists()


def test_a_signing_key_file_that_cannot_be_read_is_a_key_problem_naming_the_variable(
    no_configured_keys, monkeypatch, dev_config, tmp_path
):
    monkeypatch.setenv("AUTH_SIGNING_KEY_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(KeyProblem, match="AUTH_SIGNING_KEY_FILE"):
        signing_key(dev_config)


def test_two_trusted_public_keys_are_both_trusted(no_configured_keys, monkeypatch, dev_config, key_dir):
    old, new = ed25519.Ed25519PrivateKey.generate(), ec.generate_private_key(ec.SECP256R1())
    monkeypatch.setenv("AUTH_TRUSTED_KEYS", public_pem(old) + "\n" + public_pem(new))
    keys = trusted_keys(dev_config)
    assert set(keys) == {kid_of(old), kid_of(new)}
    assert keys[kid_of(new)].public_numbers() == new.public_key().public_numbers()
    assert not key_dir.exists()


@pytest.mark.parametrize(
    "pem",
    [
        "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n",
        "no key here at all",
    ],
    ids=["a block that is no key", "no block"],
)
def test_malformed_trusted_keys_are_a_key_problem_naming_the_variable(monkeypatch, dev_config, pem):
    monkeypatch.setenv("AUTH_TRUSTED_KEYS", pem)
    with pytest.raises(KeyProblem, match="AUTH_TRUSTED_KEYS"):
        trusted_keys(dev_config)


def test_a_malformed_signing_key_is_a_key_problem_naming_the_variable(monkeypatch, dev_config):
    monkeypatch.setenv("AUTH_SIGNING_KEY", "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeyProblem, match="AUTH_SIGNING_KEY"):
        signing_key(dev_config)


@pytest.mark.parametrize(
    "make_key",
    [
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
        lambda: ec.generate_private_key(ec.SECP384R1()),
    ],
    ids=["RSA", "P-384"],
)
def test_an_unsupported_signing_key_type_is_a_key_problem(monkeypatch, dev_config, make_key):
    monkeypatch.setenv("AUTH_SIGNING_KEY", private_pem(make_key()))
    with pytest.raises(KeyProblem, match="unsupported key type"):
        signing_key(dev_config)


def test_an_unsupported_trusted_key_type_is_a_key_problem(monkeypatch, dev_config):
    monkeypatch.setenv("AUTH_TRUSTED_KEYS", public_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    with pytest.raises(KeyProblem, match="unsupported key type"):
        trusted_keys(dev_config)


# --- Tokens ---------------------------------------------------------------------------------------------------


@pytest.fixture(params=["Ed25519", "P-256"])
def key(request):
    return (
        ed25519.Ed25519PrivateKey.generate() if request.param == "Ed25519" else ec.generate_private_key(ec.SECP256R1())
    )


def test_an_issued_access_token_verifies_to_its_caller_and_email(key):
    token = issue_access_token(key, ADA, ISSUER, AUDIENCE, 900)
    assert verifier_trusting(key).identity(token) == Identity(Caller("customer", "acc-ada"), "ada@example.com")
    staff = issue_access_token(key, {"id": "acc-s", "email": "s@example.com", "role": "staff"}, ISSUER, AUDIENCE, 60)
    assert verifier_trusting(key).identity(staff).caller == Caller("staff", "acc-s")


def test_an_access_token_carries_its_kid_type_and_every_claim(key):
    now = int(time.time())
    token = issue_access_token(key, ADA, ISSUER, AUDIENCE, 900, now=now)
    header = jwt.get_unverified_header(token)
    assert header["kid"] == kid_of(key)
    assert header["typ"] == "at+jwt"
    assert header["alg"] == ("EdDSA" if isinstance(key, ed25519.Ed25519PrivateKey) else "ES256")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert {name: claims[name] for name in ("iss", "aud", "sub", "email", "role", "iat", "nbf")} == {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "acc-ada",
        "email": "ada@example.com",
        "role": "customer",
        "iat": now,
        "nbf": now,
    }
    assert claims["exp"] == now + 900
    assert claims["exp"] <= claims["iat"] + 900
    assert isinstance(claims["jti"], str) and claims["jti"]


def test_each_access_token_has_its_own_jti(key):
    now = int(time.time())
    tokens = [issue_access_token(key, ADA, ISSUER, AUDIENCE, 60, now=now) for _ in range(20)]
    jtis = {jwt.decode(token, options={"verify_signature": False})["jti"] for token in tokens}
    assert len(jtis) == 20


@pytest.mark.parametrize("lifetime", [901, 3600, 0, -1])
def test_an_access_token_lifetime_outside_1_to_900_seconds_is_refused(lifetime):
    with pytest.raises(ValueError):
        issue_access_token(ed25519.Ed25519PrivateKey.generate(), ADA, ISSUER, AUDIENCE, lifetime)


def assert_refused(verifier, token):
    with pytest.raises(Unauthenticated) as refused:
        verifier.identity(token)
    assert refused.value.code == "invalid_token"


def test_a_token_signed_by_a_key_not_trusted_is_unauthenticated(key):
    stranger = ed25519.Ed25519PrivateKey.generate()
    assert_refused(verifier_trusting(key), issue_access_token(stranger, ADA, ISSUER, AUDIENCE, 60))


def test_an_expired_token_is_unauthenticated(key):
    issued_long_ago = time.time() - 900 - 60  # past its lifetime and the clock skew allowed
    assert_refused(verifier_trusting(key), issue_access_token(key, ADA, ISSUER, AUDIENCE, 900, now=issued_long_ago))
    assert verifier_trusting(key).identity(issue_access_token(key, ADA, ISSUER, AUDIENCE, 900, now=time.time() - 800))


def test_a_token_for_another_audience_is_unauthenticated(key):
    token = issue_access_token(key, ADA, ISSUER, "another-api", 60)
    assert_refused(verifier_trusting(key), token)
    assert verifier_trusting(key, audience="another-api").identity(token)


def test_a_token_from_another_issuer_is_unauthenticated(key):
    token = issue_access_token(key, ADA, "someone-else", AUDIENCE, 60)
    assert_refused(verifier_trusting(key), token)
    assert verifier_trusting(key, issuer="someone-else").identity(token)
