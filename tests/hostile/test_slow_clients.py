"""Slow-client attacks by ``slowhttptest`` (Debian's package) at 500 connections from one address.

While each attack runs for ``ATTACK_SECONDS``, a second address asks for
``GET /health`` and, signed in, ``GET /products``: at least 95 % of those must be
answered within 1 s. The edge holds the attackers; the gateway never sees them.
"""

import subprocess
import threading
import time

import pytest

from harness import raw_http
from harness.audit import FIGURES
from harness.raw_http import response_of

pytestmark = pytest.mark.hostile

ATTACK_SECONDS = 30
HONEST = "127.0.0.3"  # the second address; slowhttptest attacks from 127.0.0.1
SLOW_ASSET = "/docs/swagger-ui-bundle.js"  # the largest answer the shop gives (about 1.4 MB)

ATTACKS = {
    "slow headers": ["-H", "-c", "500", "-i", "10", "-r", "100", "-x", "24", "-u", "{url}/health"],
    "slow body": ["-B", "-c", "500", "-i", "10", "-r", "100", "-s", "8192", "-t", "POST", "-u", "{url}/orders"],
    "slow read": [
        "-X",
        "-c",
        "500",
        "-r",
        "100",
        "-w",
        "512",
        "-y",
        "1024",
        "-n",
        "5",
        "-z",
        "32",
        "-k",
        "3",
        "-u",
        "{url}" + SLOW_ASSET,
    ],
    "range": ["-R", "-c", "500", "-r", "100", "-a", "10", "-b", "3000", "-u", "{url}" + SLOW_ASSET],
}


def answered_within(stack, request, seconds=1.0):
    began = time.monotonic()
    try:
        client = raw_http.connect(("127.0.0.1", stack.port), request, timeout=seconds, source=HONEST)
        answered = response_of(client)[0] == 200
        client.close()
    except OSError:
        return False
    return answered and time.monotonic() - began <= seconds


def probe_while(running, stack, token):
    """Asks every 0.25 s, alternately for /health and (signed in) /products; each try's outcome."""
    requests = [
        b"GET /health HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n",
        f"GET /products HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode(),
    ]
    outcomes = []
    while running.is_set():
        outcomes.append(answered_within(stack, requests[len(outcomes) % 2]))
        time.sleep(0.25)
    return outcomes


def attack_for(seconds, arguments):
    """``slowhttptest`` with ``arguments``, started again whenever it ends (once the edge has cut off every
    connection it opened, it stops), until ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 1:
        subprocess.run(
            ["slowhttptest", *arguments, "-l", str(int(left)), "-p", "3"],
            timeout=left + 30,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


@pytest.mark.parametrize("attack", ATTACKS, ids=ATTACKS.keys())
def test_a_second_address_is_served_during_a_slow_client_attack(shop, stack, attack):
    token = stack.accounts.customer_token()
    arguments = [argument.format(url=stack.url) for argument in ATTACKS[attack]]
    attacker = threading.Thread(target=attack_for, args=(ATTACK_SECONDS, arguments))
    attacker.start()
    time.sleep(3)  # the attack at its full 500 connections
    running, outcomes = threading.Event(), []
    running.set()
    prober = threading.Thread(target=lambda: outcomes.extend(probe_while(running, stack, token)))
    prober.start()
    attacker.join()
    running.clear()
    prober.join()
    answered = sum(outcomes) / len(outcomes)
    FIGURES.append(
        f"[slowhttptest, {attack}, 500 connections, {ATTACK_SECONDS} s] a second address answered "
        f"within 1 s in {sum(outcomes)} of {len(outcomes)} tries ({answered:.1%})"
    )
    assert len(outcomes) > ATTACK_SECONDS
    assert answered >= 0.95, f"{attack}: {answered:.0%} of {len(outcomes)} tries answered within 1 s"
