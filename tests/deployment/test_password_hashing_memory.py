"""Password hashing, in a process of its own: the memory each hash takes is given back."""

import subprocess
import sys

from accounts_service.passwords import MEMORY_KIB

BURST = """
import eventlet
eventlet.monkey_patch()
from accounts_service.passwords import give_back_hashing_memory, hash_password

give_back_hashing_memory()   # as the accounts service does when it starts

def resident_kib():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS"))

hash_password("warm up")
before = resident_kib()
pool = eventlet.GreenPool(40)
for _ in range(3):
    list(pool.imap(lambda _: hash_password("a long passphrase"), range(40)))
print(resident_kib() - before)
"""


def test_a_burst_of_hashes_leaves_less_than_one_hashs_memory_resident():
    burst = subprocess.run([sys.executable, "-c", BURST], capture_output=True, text=True, timeout=120)
    grown_kib = int(burst.stdout.strip() or "-1")
    assert 0 <= grown_kib < MEMORY_KIB, burst.stderr
