"""How a test waits for something another process or thread brings about: ``wait_until``."""

import time


def wait_until(condition, timeout, what, *, poll_seconds=0.05):
    """Calls ``condition()`` every ``poll_seconds`` until it returns a truthy value, and returns that value.

    Once ``timeout`` seconds have passed without one, raises AssertionError naming ``what`` and the last value seen.
    """
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"not reached within {timeout} s: {what} (last seen {value!r})")
        time.sleep(poll_seconds)
    return value
