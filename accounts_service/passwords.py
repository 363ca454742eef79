"""Passwords, hashed with Argon2id (argon2-cffi), never kept, logged or returned.

Hashing runs in a thread of its own (``eventlet.tpool``: argon2 releases the
GIL), at most ``CONCURRENT_HASHES`` at once, so a burst of sign-ins neither
stalls the service's event loop nor takes more than that many times
``MEMORY_KIB`` of memory, which is given back once the hash is made
(``_give_back_hashing_memory``). A sign-in for an unknown email checks the password
against a hash of nothing, so it takes as long as a wrong password does.
"""

import ctypes
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

# OWASP Password Storage Cheat Sheet, Argon2id: 19 MiB, 2 iterations, 1 lane.
MEMORY_KIB = 19 * 1024
ITERATIONS = 2
CONCURRENT_HASHES = 2

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter...
MMAP_THRESHOLD_BYTES = 128 * 1024  # ...held at glibc's initial value

_hasher = PasswordHasher(time_cost=ITERATIONS, memory_cost=MEMORY_KIB, parallelism=1)
_slots = Semaphore(CONCURRENT_HASHES)
_hash_of_nothing = None


def give_back_hashing_memory():
    """Called once as the service starts (``HashingMemory``), not on import: it changes the whole process.

    Blocks as large as a hash's memory are mapped for each hash and unmapped after it.

    glibc raises its mmap threshold after freeing a large mapped block, so every later
    hash took its memory from the hashing thread's own arena, which keeps it: eventlet's
    20 pool threads held about 20 x ``MEMORY_KIB`` for good (382 MB resident measured).
    A fixed threshold keeps it at glibc's first value. Elsewhere than glibc nothing is done.
    """
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


class HashingMemory(DependencyProvider):
    """Holds glibc's mmap threshold for the service's process as it starts (``give_back_hashing_memory``)."""

    def setup(self):
        give_back_hashing_memory()


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
