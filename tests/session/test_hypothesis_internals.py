"""Are the hypothesis internals the grader relies on still there, and still used by hypothesis?

None of them is public API. The grader patches two constants of hypothesis's
engine to bound shrinking (hypothesis_setup.prepare), replaces `core.function_digest`
and takes NumPy's global random state off `entropy.RANDOMS_TO_MANAGE`
(session/hypothesis_setup.py), and records and replays examples through a test's
`.hypothesis.inner_test` and `._given_kwargs` (replay.py). A release that
renamed one would not break grading loudly: assigning a renamed constant just
creates a new, unused attribute, so a wrong submission would shrink for 500
steps and 300 s instead of 24 and 5. These tests fail instead, naming what
is gone. pyproject.toml pins hypothesis to the releases they passed on.
"""
import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

# (module, attribute): what the grader does with it.
RELIED_ON = {
    ("hypothesis.internal.conjecture.engine", "MAX_SHRINKS"):
        "hypothesis_setup.prepare bounds the successful shrinks per test with it",
    ("hypothesis.internal.conjecture.engine", "MAX_SHRINKING_SECONDS"):
        "hypothesis_setup.prepare bounds the time spent shrinking per test with it",
    ("hypothesis.core", "function_digest"):
        "hypothesis_setup.remember_test_digests replaces it to hash each test's source once",
    ("hypothesis.internal.entropy", "RANDOMS_TO_MANAGE"):
        "hypothesis_setup.leave_numpy_global_random_alone takes NumPy's global state off it",
    ("hypothesis.internal.entropy", "NP_RANDOM"):
        "hypothesis_setup.leave_numpy_global_random_alone finds NumPy's global state with it",
    ("hypothesis.internal.entropy", "deterministic_PRNG"):
        "hypothesis_setup.register_hypothesis_random registers hypothesis's Random with it",
    ("hypothesis.internal.conjecture.providers", "_get_local_constants"):
        "hypothesis_setup.scan_local_constants scans the loaded modules with it",
    ("hypothesis.configuration", "set_hypothesis_home_dir"):
        "hypothesis_setup.prepare keeps hypothesis's cache in the grader's own folder with it",
}

# Run in a fresh interpreter: in this one the grader may have assigned the
# constants already (hypothesis_setup.prepare), which would make a renamed one look present.
PROBE = """
import importlib, json, sys
missing = []
for module, name in json.loads(sys.argv[1]):
    try:
        present = hasattr(importlib.import_module(module), name)
    except ImportError:
        present = False
    if not present:
        missing.append(f"{module}.{name}")
print(json.dumps(missing))
"""


def test_every_internal_the_grader_uses_exists_in_a_fresh_hypothesis():
    """Does a freshly imported hypothesis define every internal the grader patches or calls?"""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(RELIED_ON))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    missing = json.loads(done.stdout)
    import hypothesis
    assert not missing, f"hypothesis {hypothesis.__version__} has no " + "; no ".join(
        f"{name} ({RELIED_ON[tuple(name.rsplit('.', 1))]})" for name in missing)


def failing_examples():
    """The distinct failing examples hypothesis tried for a property that fails on most inputs
    and whose smallest failing example takes several shrinks to reach."""
    seen = []

    @settings(database=None, derandomize=True, max_examples=20, phases=[Phase.generate, Phase.shrink],
              deadline=None, suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(st.lists(st.integers(0, 1000), min_size=10, max_size=10))
    def sums_stay_small(xs):
        if sum(xs) > 100:
            seen.append(tuple(xs))
            raise AssertionError("too large")
    with pytest.raises(AssertionError, match="too large"):
        sums_stay_small()
    return list(dict.fromkeys(seen))


@pytest.fixture
def engine(monkeypatch):
    """hypothesis's engine, its shrinking unbounded (hypothesis's own defaults) until a test bounds it."""
    from hypothesis.internal.conjecture import engine
    monkeypatch.setattr(engine, "MAX_SHRINKS", 500)              # raises AttributeError if renamed
    monkeypatch.setattr(engine, "MAX_SHRINKING_SECONDS", 300)
    return engine


def test_max_shrinks_bounds_the_shrinks(engine, monkeypatch):
    """With MAX_SHRINKS = 2, does hypothesis stop after the first failing example and two shrinks
    (where, unbounded, it shrinks further)?"""
    unbounded = failing_examples()
    monkeypatch.setattr(engine, "MAX_SHRINKS", 2)
    bounded = failing_examples()
    assert len(bounded) == 3 < len(unbounded), "engine.MAX_SHRINKS no longer bounds shrinking"


def test_max_shrinking_seconds_bounds_the_time_shrinking(engine, monkeypatch):
    """With MAX_SHRINKING_SECONDS = 0, is the first failing example the one reported (no shrink at all)?"""
    unbounded = failing_examples()
    monkeypatch.setattr(engine, "MAX_SHRINKING_SECONDS", 0)
    bounded = failing_examples()
    assert len(bounded) == 1 < len(unbounded), "engine.MAX_SHRINKING_SECONDS no longer bounds shrinking"


def test_hypothesis_asks_core_function_digest_for_a_tests_seed(monkeypatch):
    """Does hypothesis call core.function_digest when it runs a test (what the warm-up replaces)?"""
    from hypothesis import core
    asked = []
    real = core.function_digest
    monkeypatch.setattr(core, "function_digest", lambda function: asked.append(function) or real(function))

    @settings(database=None, derandomize=True, max_examples=2)
    @given(st.integers())
    def anything(n):
        pass
    anything()
    assert anything.hypothesis.inner_test in asked


def test_hypothesis_runs_a_tests_inner_test_as_found_at_run_time():
    """Does hypothesis look up `.hypothesis.inner_test` when the test runs, and does `_given_kwargs`
    name the drawn arguments (replay.py swaps in a recorder there and reads the names)?"""
    calls = []

    @settings(database=None, derandomize=True, max_examples=3)
    @given(n=st.integers())
    def anything(n):
        pass
    given_test = anything.hypothesis
    assert set(given_test._given_kwargs) == {"n"}
    real = given_test.inner_test
    given_test.inner_test = lambda **kwargs: calls.append(kwargs) or real(**kwargs)
    try:
        anything()
    finally:
        given_test.inner_test = real
    assert calls and all(set(kwargs) == {"n"} for kwargs in calls)
