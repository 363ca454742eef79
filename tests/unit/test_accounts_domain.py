"""The rules of refresh tokens: which stored token may be spent, and what a client is given."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from accounts_service.domain import REFRESH_TOKEN_PREFIX, RefreshRefused, check_refresh, digest_of, new_refresh_token

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=14)
EARLIER = NOW - timedelta(minutes=5)


def test_an_unused_unrevoked_unexpired_token_may_be_spent():
    assert check_refresh(used_at=None, revoked_at=None, expires_at=LATER, now=NOW) is None


def test_a_token_used_before_is_refused_and_revokes_its_family():
    with pytest.raises(RefreshRefused) as refused:
        check_refresh(used_at=EARLIER, revoked_at=None, expires_at=LATER, now=NOW)
    assert refused.value.revoke_family is True
    assert refused.value.reason == "used before"


def test_a_token_used_before_revokes_its_family_even_when_also_revoked_or_expired():
    with pytest.raises(RefreshRefused) as refused:
        check_refresh(used_at=EARLIER, revoked_at=EARLIER, expires_at=EARLIER, now=NOW)
    assert refused.value.revoke_family is True


def test_a_revoked_token_is_refused_without_revoking_more():
    with pytest.raises(RefreshRefused) as refused:
        check_refresh(used_at=None, revoked_at=EARLIER, expires_at=LATER, now=NOW)
    assert (refused.value.reason, refused.value.revoke_family) == ("revoked", False)


@pytest.mark.parametrize("expires_at", [EARLIER, NOW], ids=["past", "this very moment"])
def test_an_expired_token_is_refused_without_revoking_more(expires_at):
    with pytest.raises(RefreshRefused) as refused:
        check_refresh(used_at=None, revoked_at=None, expires_at=expires_at, now=NOW)
    assert (refused.value.reason, refused.value.revoke_family) == ("expired", False)


def test_a_new_refresh_token_is_recognisable_by_its_prefix():
    token, _ = new_refresh_token()
    assert REFRESH_TOKEN_PREFIX == "shop_rt_"
    assert token.startswith("shop_rt_")
    assert len(token) > len("shop_rt_") + 40  # 32 random bytes, base64url


def test_the_digest_kept_is_the_sha256_of_the_token_never_the_token():
    token, digest = new_refresh_token()
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in digest


def test_each_new_refresh_token_differs():
    tokens = [new_refresh_token() for _ in range(100)]
    assert len({token for token, _ in tokens}) == 100
    assert len({digest for _, digest in tokens}) == 100


def test_digest_of_is_the_hex_sha256_and_tells_tokens_apart():
    assert digest_of("shop_rt_abc") == hashlib.sha256(b"shop_rt_abc").hexdigest()
    assert len(digest_of("shop_rt_abc")) == 64
    assert digest_of("shop_rt_abc") == digest_of("shop_rt_abc")
    assert digest_of("shop_rt_abc") != digest_of("shop_rt_abd")
