"""The inventory service: the product catalogue and its stock."""
