"""Waiting, in the tests that watch processes come and go."""
import time


def wait_until(condition, seconds=5.0):
    """Call `condition` every 20 ms until it holds or `seconds` pass; returns its last value."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()
