"""What the engine and the hidden suite share while the suite runs: one typed
object in pytest's config.stash, owned by the SuiteSession plugin (suite.py)
and read by the suite's fixtures and hooks (suite/conftest.py).
"""
from dataclasses import dataclass, field

import pytest


@dataclass
class SuiteState:
    """The state of a grading session, for the suite.

    Before collection the engine says what to collect; before the tests of a
    submission run, it sets the StudentCode objects its tests call through.
    """
    grading: bool = False
    """Collected by the grader (not by a bare `pytest --collect-only` of the suite)."""
    keys: set = None
    """The rubric keys of the tests to run; None: all."""
    device: object = None
    """The GPU device of --gpu (sandbox/outside/devices.py), or None."""
    gpu_skip: str = ""
    """Why the GPU tests are skipped when there is no device."""
    not_run: list = field(default_factory=list)
    """The collected tests recorded as skipped instead of run (GPU tests without a device)."""
    reference_dir: str = None
    """The hidden reference's folder (the `ref` fixture)."""
    student: object = None
    """The StudentCode of the submission being graded (the `student` fixture)."""
    device_student: object = None
    """Its GPU worker's StudentCode, with --gpu (the `device_student` fixture)."""


STATE = pytest.StashKey[SuiteState]()


def state_of(config):
    """The SuiteState of a pytest config; a fresh one where the engine set none
    (the suite collected by plain pytest, e.g. to list its tests)."""
    if STATE not in config.stash:
        config.stash[STATE] = SuiteState()
    return config.stash[STATE]
