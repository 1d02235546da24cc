"""The zygote of the namespaces and limits tiers: workers forked from a
process that has imported NumPy once (zygote_client.Zygote, worker.zygote_main)
must behave like workers started from scratch: they answer, report how they
ended, die when their grader lets go of them or dies, and leave nothing
behind. (What a namespaces-tier worker can see: test_namespaces.py.)
"""
import functools
import os
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest

try:
    import security
except ModuleNotFoundError:  # tests/ became a package
    from tests import security

from autograder import rubric as rubric_module
from autograder.sandbox.outside import devices
from autograder.sandbox.outside import tiers, zygote_client
from autograder.failures import StudentCallFailed
from autograder.sandbox.outside.student_code import StudentCode
from polling import wait_until
from worker_paths import worker_readable_copy

ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / "assignments"
RUBRIC = rubric_module.load()


@pytest.fixture(params=["limits", "namespaces"])
def tier(request):
    if request.param == "namespaces":
        security.require_root("the namespaces tier needs a root grader")
    return request.param


@pytest.fixture
def zygote(tier):
    zygote = zygote_client.start_zygote(tier)
    assert zygote is not None and zygote.tier == tier
    yield zygote
    zygote_client.stop_zygote()
    assert zygote.process.poll() is not None, "the zygote outlived stop_zygote"


@functools.cache
def submission():
    """The reference solution where a worker's leased uid can read it, wherever the checkout lives."""
    return worker_readable_copy(ROOT / "examples" / "submissions" / "reference_solution")


def student_code(tier, device=None):
    scratch = Path(tempfile.mkdtemp(prefix="autograder-zygote-test-"))
    scratch.chmod(0o711)
    spec = tiers.WorkerSpec(submission(), STUBS, RUBRIC.limits, RUBRIC.allowed_imports or ())
    if device is not None:
        spec = devices.worker_spec(device, spec)
    # Bounds for a failure: a call, the worker's start included, takes at most 0.25 s
    # here on 2 busy cores (measured: median 40 ms, slowest 228 ms).
    return StudentCode(spec, tier, scratch, call_timeout_s=10.0, budget_s=60.0)


def running_student_code(code):
    """The pid of the process that runs the student's code: at the namespaces
    tier the grandchild of the process the zygote forked (keeper, init, worker)."""
    pid = code.worker.process.pid
    if code.worker.tier == "namespaces":
        for _ in ("init", "worker"):
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                pid = int(f.read().split()[0])
    return pid


def alive(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" not in f.read()
    except OSError:
        return False


def test_a_forked_worker_answers_like_a_started_one(zygote, tier):
    """Does a worker forked by the zygote run the student's code and send the result back?"""
    code = student_code(tier)
    try:
        assert isinstance(code.worker.process, zygote_client.ForkedWorker)
        z = np.linspace(-3, 3, 12).reshape(3, 4)
        np.testing.assert_allclose(code.call("sigmoid", z).value, 1 / (1 + np.exp(-z)))
    finally:
        code.close()


def test_a_forked_worker_runs_as_its_leased_uid_in_a_session_of_its_own(zygote, tier):
    """Is the forked worker its own process group leader, under the uid the grader leased (as root)?"""
    code = student_code(tier)
    try:
        code.call("sigmoid", np.zeros((1, 1)))  # serving: past its start-up as root
        assert os.getpgid(code.worker.process.pid) == code.worker.process.pid
        pid = running_student_code(code)
        assert os.getpgid(pid) == code.worker.process.pid
        if os.geteuid() == 0:
            with open(f"/proc/{pid}/status") as f:
                uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
            assert uids == [str(code.worker.lease.uid)] * 4
    finally:
        code.close()


def test_a_forked_workers_death_is_reported_with_its_signal(zygote, tier):
    """A worker killed by SIGSEGV: does the call fail saying so, and the next test get a fresh worker?"""
    code = student_code(tier)
    try:
        first = code.worker.process.pid
        code.call("sigmoid", np.zeros((1, 1)))  # serving: its sandbox is built
        os.kill(running_student_code(code), signal.SIGSEGV)
        with pytest.raises(StudentCallFailed, match="segmentation fault"):
            code.call("sigmoid", np.zeros((2, 2)))
        assert not alive(first)
        code.begin_test()
        assert code.call("sigmoid", np.zeros((2, 2))).value[0, 0] == 0.5
        assert code.worker.process.pid != first and code.starts == 2
    finally:
        code.close()


def test_a_worker_is_killed_when_its_grader_dies(zygote, tier):
    """A grader process that dies without closing its worker: does the zygote kill the worker?"""
    read_end, write_end = os.pipe()
    grader = os.fork()
    if grader == 0:  # a grader that starts a worker and dies holding it
        code = student_code(tier)
        code.call("sigmoid", np.zeros((1, 1)))
        os.write(write_end, str(running_student_code(code)).encode())
        os._exit(0)
    os.close(write_end)
    worker_pid = int(os.read(read_end, 32))
    os.close(read_end)
    os.waitpid(grader, 0)
    assert wait_until(lambda: not alive(worker_pid)), "the worker outlived its grader"


def test_stopping_the_zygote_ends_its_workers(zygote, tier):
    """Does stop_zygote take down a worker the grader never closed?"""
    code = student_code(tier)
    code.call("sigmoid", np.zeros((1, 1)))
    pid = running_student_code(code)
    zygote_client.stop_zygote()
    assert wait_until(lambda: not alive(pid))
    code.worker.lease.release()


def test_the_gpu_worker_is_started_from_scratch(zygote, tier):
    """A worker with a device module has an environment of its own: no zygote for it."""
    code = student_code(tier, device=devices.standin_device())
    try:
        assert not isinstance(code.worker.process, zygote_client.ForkedWorker)
        assert code.call("sigmoid", np.zeros((1, 1))).value[0, 0] == 0.5
    finally:
        code.close()


def test_without_a_zygote_workers_start_as_before(tier):
    """No zygote running: is the worker a plain subprocess that answers?"""
    assert zygote_client.ZYGOTE is None
    code = student_code(tier)
    try:
        assert not isinstance(code.worker.process, zygote_client.ForkedWorker)
        assert code.call("sigmoid", np.zeros((1, 1))).value[0, 0] == 0.5
    finally:
        code.close()
