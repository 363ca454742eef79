"""Secrets from the environment, never from the repository: each one as a variable, or as a file a variable names
(how Kubernetes and Compose mount secrets)."""

import os


class MissingSecret(RuntimeError):
    pass


def optional_secret(name, environ=os.environ):
    """The content of the file ``name_FILE`` names (when it is set), else ``name``'s value; None when neither is
    set. MissingSecret when the file cannot be read."""
    value, path = environ.get(name), environ.get(f"{name}_FILE")
    if path:
        try:
            with open(path) as file:
                value = file.read().strip()
        except OSError as error:
            raise MissingSecret(f"{name}_FILE cannot be read: {error.strerror}") from None
    return value or None


def secret_from_environment(name, environ=os.environ):
    """``optional_secret(name)``; MissingSecret when neither ``name`` nor ``name_FILE`` is set."""
    value = optional_secret(name, environ)
    if value is None:
        raise MissingSecret(f"set {name} or {name}_FILE")
    return value
