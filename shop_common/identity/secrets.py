"""Secrets from the environment, never from the repository: each one as a variable, or as a file a variable names
(how Kubernetes and Compose mount secrets)."""

import os


class MissingSecret(RuntimeError):
    pass


def secret_from_environment(name):
    """``name``'s value, or the content of the file ``name_FILE`` names; MissingSecret when neither is set."""
    value, path = os.environ.get(name), os.environ.get(f"{name}_FILE")
    if path:
        try:
            with open(path) as file:
                value = file.read().strip()
        except OSError as error:
            raise MissingSecret(f"{name}_FILE cannot be read: {error.strerror}") from None
    if not value:
        raise MissingSecret(f"set {name} or {name}_FILE")
    return value
