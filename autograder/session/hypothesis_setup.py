"""Hypothesis for grading: the grading profile, the shrink limits, and the
work hypothesis does once per process, done before a batch forks.

`prepare()` imports pytest, hypothesis, the JSON report plugin and the suite
modules and sets everything up, once per process.

A batch forks one grader per submission from a parent that has imported the
suite. Whatever hypothesis computes lazily at its first test would otherwise
be computed again in every child (and, by touching the parent's memory,
copy it). Each step below calls hypothesis's own code early, so that the
children inherit the result; the results are the same as computed late. On a
hypothesis without the internals a step relies on, that step does nothing.

One step saves work per example instead: hypothesis need not seed and
restore NumPy's global random state around every example (see
leave_numpy_global_random_alone).
"""
import functools
import importlib
import os

from .. import paths

# Hypothesis's shrinker is bounded so that a wrong submission cannot stretch
# grading: at most this many successful shrinks, and this many seconds, per test.
MAX_SHRINKS = 24
MAX_SHRINKING_SECONDS = 5
EXAMPLES_PER_TEST = 3


@functools.cache
def prepare():
    """Import pytest, hypothesis, the JSON report plugin and the suite modules;
    load the grading profile and warm hypothesis up (once per process)."""
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    import pytest  # noqa: F401
    import pytest_jsonreport.plugin  # noqa: F401
    from hypothesis import HealthCheck, Phase, configuration, settings
    from hypothesis.internal.conjecture import engine

    # Hypothesis keeps a cache (of constants in this project's source) in
    # .hypothesis/ of the working folder: keep it in the grader's own folder.
    configuration.set_hypothesis_home_dir(paths.HYPOTHESIS_HOME)

    engine.MAX_SHRINKS = MAX_SHRINKS
    engine.MAX_SHRINKING_SECONDS = MAX_SHRINKING_SECONDS
    # One profile for every submission: the same examples in the same order,
    # no example database, no wall-clock deadline (the worker has its own).
    settings.register_profile(
        "grading", derandomize=True, database=None, deadline=None, max_examples=EXAMPLES_PER_TEST,
        suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink])
    settings.load_profile("grading")
    suite = [importlib.import_module(f"autograder.suite.{module.stem}")
             for module in sorted(paths.SUITE_DIR.glob("*.py"))]
    warm_up(suite)


def warm_up(suite_modules):
    """Everything below, for the tests of `suite_modules`."""
    tests = [value.hypothesis for module in suite_modules for value in vars(module).values()
             if getattr(getattr(value, "hypothesis", None), "inner_test", None) is not None]
    remember_test_digests(tests)
    validate_strategies(tests)
    register_hypothesis_random()
    leave_numpy_global_random_alone()
    scan_local_constants()


def remember_test_digests(tests):
    """Hash each test's source (its derandomized seed) once.

    Hypothesis hashes a test's source every time the test runs (about
    1.5 ms, twice per test). The suite does not change while a grader runs.
    A test wrapped with functools.wraps (replay.py's recorder) has its test's
    source and signature, hence its digest.
    """
    from hypothesis import core
    compute = getattr(core, "function_digest", None)
    if compute is None:
        return
    digests = {test.inner_test: compute(test.inner_test) for test in tests}

    def function_digest(function):
        test = getattr(function, "__wrapped__", function)
        return digests[test] if test in digests else compute(function)
    core.function_digest = function_digest


def validate_strategies(tests):
    """Validate each test's strategies (hypothesis does it at a strategy's first draw)."""
    for test in tests:
        for strategy in getattr(test, "_given_kwargs", {}).values():
            validate = getattr(strategy, "validate", None)
            if validate is not None:
                validate()


def register_hypothesis_random():
    """Create hypothesis's own Random: at a process's first test, hypothesis
    registers it with a full `gc.collect()` (to check it stays alive). It
    registers NumPy's global random state then too."""
    from hypothesis.internal.entropy import deterministic_PRNG
    with deterministic_PRNG():
        pass


def leave_numpy_global_random_alone():
    """Take NumPy's global random state off hypothesis's list of states to
    seed before and restore after every example (about 0.2 ms an example).

    Hypothesis does it so that test code calling `np.random.*` is
    deterministic. In the grader nothing does: the suite's inputs come from
    Generators of their own (suite/inputs.py) and the student's code runs in
    the worker, a process with its own NumPy. Hypothesis's own draws never use it.
    Runs after register_hypothesis_random, which has hypothesis register it.
    """
    from hypothesis.internal import entropy
    numpy_state = getattr(entropy, "NP_RANDOM", None)
    for key, ref in list(getattr(entropy, "RANDOMS_TO_MANAGE", {}).items()):
        if numpy_state is not None and ref is numpy_state:
            del entropy.RANDOMS_TO_MANAGE[key]  # NP_RANDOM stays set: it is not registered again


def scan_local_constants():
    """Have hypothesis look through the loaded modules for constants.

    Hypothesis sometimes draws a constant found in the source of a module of
    this project. At its next draw it looks through every module loaded since
    its last look: in a forked child, several hundred (about 0.1 s).
    """
    try:
        from hypothesis.internal.conjecture.providers import _get_local_constants
    except ImportError:
        return
    _get_local_constants()
