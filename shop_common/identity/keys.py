"""The keys that sign and verify access tokens.

The accounts service signs with one private key; every verifier trusts one
or more public keys, so a new key can sign while tokens signed with the old
one still verify (rotation without logging anyone out). Each key is named
by its ``kid``, the RFC 7638 thumbprint of its public key, which a token
carries in its header. Keys are Ed25519 (EdDSA) or P-256 (ES256).

Keys come from the environment, never from the repository:

- ``AUTH_SIGNING_KEY`` (a PEM private key) or ``AUTH_SIGNING_KEY_FILE`` (a file
  holding one): the accounts service's signing key;
- ``AUTH_TRUSTED_KEYS`` (PEM public keys, one after another) or
  ``AUTH_TRUSTED_KEYS_FILE``: what verifiers trust. Without them, verifiers
  trust the public half of the signing key.

With neither (a fresh checkout, ``make run``), the first process to need a
key creates a development key pair in ``AUTH.DEVELOPMENT_KEY_DIR`` (git
ignored) and every process of the checkout shares it; each says, with a
warning, that it is for development only.
"""

import base64
import hashlib
import json
import os
import re
from logging import getLogger
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from shop_common.identity.secrets import MissingSecret, optional_secret

_log = getLogger(__name__)

DEVELOPMENT_KEY_FILE = "access-token-signing-key.pem"
_PEM_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.DOTALL)


class KeyProblem(Exception):
    """A configured key cannot be used; the message says which and why."""


def algorithm_for(key):
    """The JWS algorithm of a (private or public) key: EdDSA for Ed25519, ES256 for P-256."""
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "EdDSA"
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)) and key.curve.name == "secp256r1":
        return "ES256"
    raise KeyProblem(f"unsupported key type {type(key).__name__}: use Ed25519 or P-256")


def public_jwk(public_key):
    """The public key as a JWK (RFC 7517) with its ``kid``, ``alg`` and ``use``."""
    algorithm = algorithm_for(public_key)
    jwk = (OKPAlgorithm if algorithm == "EdDSA" else ECAlgorithm).to_jwk(public_key, as_dict=True)
    return {**jwk, "kid": key_id(jwk), "alg": algorithm, "use": "sig"}


def key_id(jwk):
    """RFC 7638 thumbprint of a public JWK: its required members, sorted, hashed."""
    members = ("crv", "kty", "x") if jwk["kty"] == "OKP" else ("crv", "kty", "x", "y")
    canonical = json.dumps({name: jwk[name] for name in members}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def kid_of(key):
    public_key = key.public_key() if hasattr(key, "public_key") else key
    return public_jwk(public_key)["kid"]


def _from_environment(name):
    """The bytes of ``name`` or of the file ``name_FILE`` names (``optional_secret``); None when neither is set."""
    try:
        value = optional_secret(name)
    except MissingSecret as missing:
        raise KeyProblem(str(missing)) from None
    return None if value is None else value.encode()


def _private_key(pem, origin):
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise KeyProblem(f"{origin} is not an unencrypted PEM private key") from None
    algorithm_for(key)
    return key


def signing_key(config):
    """The private key tokens are signed with."""
    pem = _from_environment("AUTH_SIGNING_KEY")
    if pem is not None:
        return _private_key(pem, "AUTH_SIGNING_KEY")
    return development_key(config)


def trusted_keys(config):
    """``{kid: public key}`` of every key a verifier trusts (at least one)."""
    pem = _from_environment("AUTH_TRUSTED_KEYS")
    if pem is None:
        public_key = signing_key(config).public_key()
        return {kid_of(public_key): public_key}
    keys = {}
    for block in _PEM_BLOCK.findall(pem):
        try:
            public_key = serialization.load_pem_public_key(block)
        except (ValueError, TypeError):
            raise KeyProblem("AUTH_TRUSTED_KEYS holds a block that is not a PEM public key") from None
        keys[kid_of(public_key)] = public_key
    if not keys:
        raise KeyProblem("AUTH_TRUSTED_KEYS holds no PEM public key")
    return keys


def development_key(config):
    """The checkout's development signing key, made on first use (by whichever process needs it first)."""
    folder = Path(config["AUTH"]["DEVELOPMENT_KEY_DIR"])  # relative: to the working directory
    path = folder / DEVELOPMENT_KEY_FILE
    if not path.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        draft = folder / f".{DEVELOPMENT_KEY_FILE}.{os.getpid()}"
        draft.write_bytes(pem)
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic: of two processes making a key at once, one key wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    _log.warning(
        "access tokens use the development key in %s: set AUTH_SIGNING_KEY(_FILE) and "
        "AUTH_TRUSTED_KEYS(_FILE) in any real deployment",
        path,
    )
    return _private_key(path.read_bytes(), str(path))
