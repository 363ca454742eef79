"""Passwords, hashed with Argon2id (argon2-cffi), never kept, logged or returned.

Hashing runs in a thread of its own (``eventlet.tpool``: argon2 releases the
GIL), at most ``CONCURRENT_HASHES`` at once, so a burst of sign-ins neither
stalls the service's event loop nor takes more than that many times
``MEMORY_KIB`` of memory. A sign-in for an unknown email checks the password
against a hash of nothing, so it takes as long as a wrong password does.
"""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from eventlet.semaphore import Semaphore

# OWASP Password Storage Cheat Sheet, Argon2id: 19 MiB, 2 iterations, 1 lane.
MEMORY_KIB = 19 * 1024
ITERATIONS = 2
CONCURRENT_HASHES = 2

_hasher = PasswordHasher(time_cost=ITERATIONS, memory_cost=MEMORY_KIB, parallelism=1)
_slots = Semaphore(CONCURRENT_HASHES)
_hash_of_nothing = None


def hash_password(password):
    with _slots:
        return tpool.execute(_hasher.hash, password)


def password_matches(stored_hash, password):
    """Whether ``password`` is the one ``stored_hash`` was made from; None stands for an unknown account."""
    global _hash_of_nothing
    if stored_hash is None:
        _hash_of_nothing = _hash_of_nothing or hash_password(secrets.token_urlsafe(16))
    with _slots:
        try:
            return tpool.execute(_hasher.verify, stored_hash or _hash_of_nothing, password) and stored_hash is not None
        except (VerificationError, InvalidHashError):
            return False
