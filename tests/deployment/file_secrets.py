"""The secrets code reads from the environment rather than config.yaml (the access token keys:
shop_common.identity.keys; Stripe's: the payments service; the carriers' webhook signing secret: the shipping
service), each with the one service that uses it: the deployment files give each as a file, never as a value."""

FILE_SECRETS = {
    "AUTH_SIGNING_KEY": "accounts",
    "AUTH_TRUSTED_KEYS": "gateway",
    "STRIPE_API_KEY": "payments",
    "STRIPE_WEBHOOK_SECRET": "payments",
    "CARRIER_WEBHOOK_SECRET": "shipping",
}
KEY_FILE_VARIABLES = {f"{name}_FILE" for name in FILE_SECRETS}  # the same, as the path of a file that holds it
