"""The gateway lets in only tokens an issuer it trusts signed, for it, now; forged ones get 401.

A gateway container alone: a request that passes the token check asks the
orders service, which is not running, and gets 503; one that does not pass
gets 401 with ``WWW-Authenticate: Bearer`` before any service is asked.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from gateway.service import GatewayService
from harness.accounts import bearer
from harness.smtp import free_port
from shop_common.identity.keys import kid_of
from shop_common.operations.config import load_config

SHIPPING = {"carrier": "DHL", "tracking_number": "JD1"}

AUTH = load_config()["AUTH"]
PROTECTED = "/orders/abc"  # customers and staff; answered by the orders service


def claims(**changes):
    now = int(time.time())
    return {
        "iss": AUTH["ISSUER"],
        "aud": AUTH["AUDIENCE"],
        "sub": "acc-ada",
        "email": "ada@example.com",
        "role": "customer",
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "jti": "j1",
        **changes,
    }


def signed(key, payload, kid=None):
    return jwt.encode(payload, key, algorithm="EdDSA", headers={"kid": kid or kid_of(key)})


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def gateway(container_factory, config):
    def start(**auth_changes):
        address = f"127.0.0.1:{free_port()}"
        container_factory(
            GatewayService, {**config, "WEB_SERVER_ADDRESS": address, "AUTH": {**AUTH, **auth_changes}}
        ).start()
        return f"http://{address}"

    return start


def test_a_valid_token_passes_and_the_request_reaches_the_service(gateway, signing_keys):
    response = requests.get(gateway() + PROTECTED, headers=bearer(signed(signing_keys, claims())))
    assert response.status_code == 503  # past the gateway: the orders service is not running


def forged_tokens(key):
    """Each way a token can be forged or stale, by name."""
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    stranger = ed25519.Ed25519PrivateKey.generate()
    valid = signed(key, claims())
    header, payload, signature = valid.split(".")
    as_staff = b64(json.dumps(claims(role="staff")).encode())
    hs256_header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid_of(key)}).encode())
    hs256_body = f"{hs256_header}.{payload}"
    hs256 = f"{hs256_body}.{b64(hmac.new(public_pem, hs256_body.encode(), hashlib.sha256).digest())}"
    none_header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid_of(key)}).encode())
    return {
        "alg none": f"{none_header}.{payload}.",
        "HS256 keyed with the public key": hs256,
        "unknown kid": signed(stranger, claims()),
        "trusted kid, another key's signature": signed(stranger, claims(), kid=kid_of(key)),
        "altered payload": f"{header}.{as_staff}.{signature}",
        "expired": signed(
            key, claims(iat=int(time.time()) - 400, nbf=int(time.time()) - 400, exp=int(time.time()) - 100)
        ),
        "not yet valid": signed(key, claims(nbf=int(time.time()) + 300, exp=int(time.time()) + 600)),
        "wrong issuer": signed(key, claims(iss="someone-else")),
        "wrong audience": signed(key, claims(aud="another-api")),
        "lives longer than 15 minutes": signed(key, claims(exp=int(time.time()) + 3600)),
        "unknown role": signed(key, claims(role="admin")),
        "no subject": signed(key, {k: v for k, v in claims().items() if k != "sub"}),
        "not a JWT": "not.a.jwt",
    }


FORGERIES = list(forged_tokens(ed25519.Ed25519PrivateKey.generate()))


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_or_stale_token_gets_401_with_a_bearer_challenge(gateway, signing_keys, forgery):
    response = requests.get(gateway() + PROTECTED, headers=bearer(forged_tokens(signing_keys)[forgery]))
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="shop", error="invalid_token"'
    assert response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("authorization", ["Basic YWRhOnB3", "Bearer", "Bearer two tokens", "bearer", "x" * 5000])
def test_a_malformed_authorization_header_gets_401_never_anonymous_access(gateway, authorization):
    response = requests.get(gateway() + "/products/TEA-1", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_no_token_on_a_protected_route_gets_401_with_a_bearer_challenge(gateway):
    response = requests.get(gateway() + PROTECTED)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="shop"'
    assert response.json()["error"] == "unauthenticated"


def test_a_customer_token_on_a_staff_route_gets_403(gateway, signing_keys):
    response = requests.post(
        gateway() + "/orders/abc/ship", json=SHIPPING, headers=bearer(signed(signing_keys, claims()))
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_keys_rotate_a_token_of_any_trusted_key_passes(gateway, signing_keys, monkeypatch):
    new_key = ed25519.Ed25519PrivateKey.generate()
    public = [
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        for key in (signing_keys, new_key)
    ]
    monkeypatch.setenv("AUTH_TRUSTED_KEYS", b"".join(public).decode())
    base = gateway()
    for key in (signing_keys, new_key):
        assert requests.get(base + PROTECTED, headers=bearer(signed(key, claims()))).status_code == 503


class IdentityProvider:
    """An OpenID Connect issuer as far as the gateway sees one: its key set at a JWKS address, served here."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "idp-key-1"
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        symmetric = {"kty": "oct", "kid": "idp-hmac", "alg": "HS256", "k": b64(b"a shared secret of at least 32 bytes")}
        key_set = json.dumps({"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}, symmetric]}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(key_set)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.issuer = "https://idp.example.test"
        self.settings = {
            "ISSUER": self.issuer,
            "AUDIENCE": "shop-api",
            "JWKS_URL": f"http://127.0.0.1:{self.server.server_port}/jwks.json",
        }

    def token(self, **changes):
        payload = claims(**{"iss": self.issuer, "aud": "shop-api", "sub": "auth0|12345", **changes})
        payload.pop("role")
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture
def identity_provider():
    provider = IdentityProvider()
    yield provider
    provider.server.shutdown()


def test_an_external_issuer_can_be_trusted_beside_the_accounts_service(gateway, signing_keys, identity_provider):
    base = gateway(EXTERNAL=identity_provider.settings)
    assert requests.get(base + PROTECTED, headers=bearer(identity_provider.token())).status_code == 503
    assert requests.get(base + PROTECTED, headers=bearer(signed(signing_keys, claims()))).status_code == 503


def test_users_of_an_external_issuer_are_customers_with_an_email(gateway, identity_provider):
    base = gateway(EXTERNAL=identity_provider.settings)
    assert (
        requests.post(
            base + "/orders/abc/ship", json=SHIPPING, headers=bearer(identity_provider.token(role="staff"))
        ).status_code
        == 403
    )
    no_email = {
        k: v
        for k, v in jwt.decode(identity_provider.token(), options={"verify_signature": False}).items()
        if k != "email"
    }
    token = jwt.encode(no_email, identity_provider.key, algorithm="RS256", headers={"kid": identity_provider.kid})
    assert requests.get(base + PROTECTED, headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("email", ["not an address", "ädä@example.com", "a" * 250 + "@example.com", 42])
def test_an_external_tokens_email_is_checked_like_any_input(gateway, identity_provider, email):
    base = gateway(EXTERNAL=identity_provider.settings)
    assert requests.get(base + PROTECTED, headers=bearer(identity_provider.token(email=email))).status_code == 401


def test_an_external_issuer_alone_trusts_none_of_the_accounts_service_tokens(gateway, signing_keys, identity_provider):
    base = gateway(EXTERNAL=identity_provider.settings, TRUST_ACCOUNTS_SERVICE=False)
    assert requests.get(base + PROTECTED, headers=bearer(identity_provider.token())).status_code == 503
    assert requests.get(base + PROTECTED, headers=bearer(signed(signing_keys, claims()))).status_code == 401


def test_an_external_token_is_refused_for_another_audience_or_a_symmetric_key(gateway, identity_provider):
    base = gateway(EXTERNAL=identity_provider.settings)
    assert requests.get(base + PROTECTED, headers=bearer(identity_provider.token(aud="shop"))).status_code == 401
    payload = claims(iss=identity_provider.issuer, aud="shop-api", sub="x")
    hmac_token = jwt.encode(
        payload, b"a shared secret of at least 32 bytes", algorithm="HS256", headers={"kid": "idp-hmac"}
    )
    assert requests.get(base + PROTECTED, headers=bearer(hmac_token)).status_code == 401


def test_an_external_token_needs_no_jti_but_an_accounts_service_token_does(gateway, signing_keys, identity_provider):
    base = gateway(EXTERNAL=identity_provider.settings)
    payload = jwt.decode(identity_provider.token(), options={"verify_signature": False})
    del payload["jti"]
    external = jwt.encode(payload, identity_provider.key, algorithm="RS256", headers={"kid": identity_provider.kid})
    assert requests.get(base + PROTECTED, headers=bearer(external)).status_code == 503
    local = {key: value for key, value in claims().items() if key != "jti"}
    assert requests.get(base + PROTECTED, headers=bearer(signed(signing_keys, local))).status_code == 401
