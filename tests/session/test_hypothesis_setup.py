"""Hypothesis for grading (session/hypothesis_setup.py): the work done once
per process, before a batch forks."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- hypothesis's work done before forking

WARM_UP_PROBE = """
import functools, sys, threading
from hypothesis import core
from hypothesis.internal import reflection
from hypothesis.internal.conjecture import providers
from autograder.session import hypothesis_setup
computed = []
core.function_digest = lambda f: computed.append(f) or reflection.function_digest(f)
hypothesis_setup.prepare()
tests = [value.hypothesis for name, module in list(sys.modules.items()) if name.startswith("autograder.suite.test_")
         for value in vars(module).values() if hasattr(getattr(value, "hypothesis", None), "inner_test")]
print(len(tests))
recorders = [functools.wraps(t.inner_test)(lambda **kwargs: None) for t in tests]  # as replay.py wraps them
computed.clear()
print(all(core.function_digest(t.inner_test) == reflection.function_digest(t.inner_test)
          == core.function_digest(r) == reflection.function_digest(r) for t, r in zip(tests, recorders))
      and not computed)
print(all(s.validate_called.get(threading.get_ident()) for t in tests for s in t._given_kwargs.values()))
print(all(id(module) in providers._seen_modules for name, module in list(sys.modules.items())
          if name.startswith("autograder.suite")))
from hypothesis.internal import entropy
print(entropy.NP_RANDOM is not None and all(r is not entropy.NP_RANDOM for r in entropy.RANDOMS_TO_MANAGE.values()))
"""


def test_warm_up_leaves_hypothesis_nothing_to_do_per_process():
    """In a fresh process, after hypothesis_setup.prepare alone: are the test digests remembered (and equal to
    hypothesis's own, for the tests and for replay's wrappers of them), every strategy validated, the suite's modules scanned for constants, and
    NumPy's global random state left out of what hypothesis seeds and restores per example?"""
    done = subprocess.run([sys.executable, "-c", WARM_UP_PROBE], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    count, digests, validated, scanned, numpy_left_alone = done.stdout.split()
    assert int(count) > 30
    assert (digests, validated, scanned, numpy_left_alone) == ("True", "True", "True", "True")
