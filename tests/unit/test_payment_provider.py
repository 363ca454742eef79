"""The payment provider's settings: secrets from the environment or a file it names, never anywhere else."""

import pytest

from shop_common.identity.secrets import MissingSecret, secret_from_environment


def test_a_secret_comes_from_the_environment_or_the_file_it_names(tmp_path, monkeypatch):
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_from_env")
    assert secret_from_environment("STRIPE_API_KEY") == "sk_test_from_env"
    secret = tmp_path / "stripe-key"
    secret.write_text("sk_test_from_a_file\n")
    monkeypatch.setenv("STRIPE_API_KEY_FILE", str(secret))
    assert secret_from_environment("STRIPE_API_KEY") == "sk_test_from_a_file"  # the file wins; its newline goes


def test_a_missing_or_unreadable_secret_stops_the_service_naming_the_variable_not_the_value(tmp_path, monkeypatch):
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET_FILE", raising=False)
    with pytest.raises(MissingSecret, match="set STRIPE_WEBHOOK_SECRET or STRIPE_WEBHOOK_SECRET_FILE"):
        secret_from_environment("STRIPE_WEBHOOK_SECRET")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(MissingSecret, match="STRIPE_WEBHOOK_SECRET_FILE cannot be read"):
        secret_from_environment("STRIPE_WEBHOOK_SECRET")
