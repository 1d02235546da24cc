"""Waiting, in the tests that watch processes come and go."""
import time

# A bound for a failure, not a speed: wait_until returns as soon as its condition
# holds (within milliseconds on an idle machine, and under load; see "Developing"
# in docs/architecture.md), so only a test that is failing anyway waits this long.
DEADLINE_S = 30.0


def wait_until(condition, seconds=DEADLINE_S, every=0.02):
    """Call `condition` every `every` seconds until it holds or `seconds` pass; returns its last value."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(every)
    return condition()
