"""Is what a call leaves behind charged to that call, and never to the next one?

A thread or a process still running, or a file left in the worker's
temporary folders, fails the call that left it, whether it returned or
raised (and an import that leaves one fails its module as an import
problem), before any other function runs in that worker; the worker is then
replaced. Each test drives a worker through StudentCode, at every tier this
machine has, with a solution copy whose one function misbehaves.
(tests/sandbox/test_hostile.py grades such submissions whole, through the command line.)
"""
import functools
import os
import re
import secrets
import shutil
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest

from autograder import rubric as rubric_module
from autograder.failures import StudentCallFailed
from autograder.sandbox.outside import probing, tiers as sandbox_tiers, zygote_client
from autograder.sandbox.outside.student_code import StudentCode

try:
    import security
    from hostile import cases as corpus
    from polling import wait_until
except ModuleNotFoundError:  # tests/ became a package
    from tests import security
    from tests.hostile import cases as corpus
    from tests.polling import wait_until

RUBRIC = rubric_module.load()
TAG = f"leftover-test-{secrets.token_hex(4)}"   # argv[0] of the children started here, and the files' name
Z = np.linspace(-2, 2, 6).reshape(2, 3)

DETACHED_CHILD = f'''
import os
import time
if os.fork() == 0:
    try:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["{TAG}", "20"])
    finally:
        os._exit(0)
time.sleep(0.2)
'''
CHILDREN = f'''
import os
for _ in range(8):
    if os.fork() == 0:
        try:
            os.execv("/bin/sleep", ["{TAG}", "20"])
        finally:
            os._exit(0)
'''
THREAD = '''
import threading
import time
threading.Thread(target=time.sleep, args=(20,), daemon=True).start()
'''
RAISE = 'raise RuntimeError("boom")\n'


@functools.cache
def why_not(tier):
    """Why `tier` cannot run here, or "" when it can."""
    try:
        probing.probe(tier)
        return ""
    except (RuntimeError, ValueError) as error:
        return str(error)
    finally:
        zygote_client.stop_zygote()  # the namespaces probe starts one


@pytest.fixture(params=["limits", "namespaces", "bwrap"])
def tier(request):
    if why_not(request.param):
        security.unavailable(f"the {request.param} tier: {why_not(request.param)}")
    return request.param


@pytest.fixture
def folder():
    """An empty folder every uid can read, outside the checkout (which may be private)."""
    path = Path(tempfile.mkdtemp(prefix="autograder-leftovers-"))
    path.chmod(0o755)
    yield path
    for pid in tagged_processes():
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(path, ignore_errors=True)
    for left in Path("/tmp").glob(f"{TAG}*"):
        left.unlink()


def start(folder, tier, append=None, prepend=None):
    """StudentCode for a solution copy with code appended to / prepended before some files."""
    case = corpus.Case("leftovers", "", (), "", append=append or {}, prepend=prepend or {})
    submission = corpus.materialize(case, folder / "submission", {})
    submission.chmod(0o755)
    for file in submission.iterdir():
        file.chmod(0o644)
    scratch = folder / "scratch"
    scratch.mkdir(mode=0o711)
    spec = sandbox_tiers.WorkerSpec(submission, submission, RUBRIC.limits, RUBRIC.allowed_imports or ())
    return StudentCode(spec, tier, scratch, call_timeout_s=10.0, budget_s=60.0)


def tagged_processes():
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if f.read(100).split(b"\0", 1)[0] == TAG.encode():
                    found.append(int(entry))
        except (OSError, ValueError):
            pass
    return found


def files_checked(tier):
    """Files are looked for at every tier, but at the limits tier only with a uid of the worker's own."""
    return tier != "limits" or os.geteuid() == 0


def fails_then_recovers(code, call, says):
    """`call` fails saying `says`, ending its worker; the next test's call of another function works."""
    first = code.worker.process.pid
    with pytest.raises(StudentCallFailed) as failed:
        call()
    assert re.search(says, str(failed.value)), str(failed.value)
    assert "the process running your code was restarted" in str(failed.value)
    with pytest.raises(StudentCallFailed, match=re.escape(str(failed.value))):
        code.call("sigmoid", Z)  # the rest of that test fails at once, as after a crash
    code.begin_test()
    np.testing.assert_allclose(code.call("sigmoid", Z).value, 1 / (1 + np.exp(-Z)))
    assert code.worker.process.pid != first and code.starts == 2
    return str(failed.value)


@pytest.mark.parametrize("attack, left", [(DETACHED_CHILD, "a process running"), (CHILDREN, "a process running"),
                                          (THREAD, "a thread running")],
                         ids=["detached child", "8 children", "thread"])
def test_a_call_that_raises_is_charged_with_what_it_left_running(tier, folder, attack, left):
    """tanh starts something and raises: does its call fail saying both, and the next call of another function pass?"""
    code = start(folder, tier, append=corpus.wrapped("tanh", attack + RAISE))
    try:
        fails_then_recovers(code, lambda: code.call("tanh", Z),
                            rf"^tanh raised RuntimeError: boom \(activations.py:\d+ in tanh\), and left {left} \(")
    finally:
        code.close()
    assert wait_until(lambda: not tagged_processes()), "a child outlived its worker"


def test_a_call_that_returns_is_charged_with_the_thread_it_left(tier, folder):
    code = start(folder, tier, append=corpus.wrapped("tanh", THREAD))
    try:
        fails_then_recovers(code, lambda: code.call("tanh", Z), r"^tanh left a thread running after it returned \(")
    finally:
        code.close()


def test_call_many_charges_the_call_that_raised(tier, folder):
    """A gradient check's batch of calls: is the one that raised charged with the child it left?"""
    code = start(folder, tier, append=corpus.wrapped("tanh", CHILDREN + RAISE))
    try:
        fails_then_recovers(code, lambda: code.call_many("tanh", [Z], [[], [((0,), Z * 2)]]),
                            r"^tanh raised RuntimeError: boom .*, and left a process running \(")
    finally:
        code.close()
    assert wait_until(lambda: not tagged_processes())


def test_a_file_left_in_tmp_is_charged_to_the_call(tier, folder):
    """tanh writes a file in /tmp and returns: does its call fail naming the file, and the file go with the worker?"""
    if not files_checked(tier):
        security.unavailable("without root the limits tier's worker is the grader's own user: its files cannot be "
                             "told apart")
    code = start(folder, tier, append=corpus.wrapped("tanh", f'open("/tmp/{TAG}", "w").write("left")\n'))
    try:
        fails_then_recovers(code, lambda: code.call("tanh", Z), rf"^tanh left a file in /tmp \('{TAG}'\) after it returned")
    finally:
        code.close()
    assert not Path(f"/tmp/{TAG}").exists()


@pytest.mark.parametrize("where", ["/var/tmp", "/dev/shm"])
def test_at_the_limits_tier_the_other_shared_folders_are_watched_too(folder, where):
    if os.geteuid() != 0:
        security.unavailable("the worker needs a uid of its own (a root grader)")
    code = start(folder, "limits", append=corpus.wrapped("tanh", f'open("{where}/{TAG}", "w").write("left")\n'))
    try:
        fails_then_recovers(code, lambda: code.call("tanh", Z), rf"^tanh left a file in {where} \('{TAG}'\)")
    finally:
        code.close()
    assert not Path(where, TAG).exists()


def test_a_file_written_and_removed_within_the_call_is_fine(tier, folder):
    attack = (f'import os\nopen("/tmp/{TAG}", "w").write("scratch")\nos.remove("/tmp/{TAG}")\n'
              'import tempfile\nwith tempfile.TemporaryDirectory() as scratch:\n'
              '    open(os.path.join(scratch, "x"), "w").write("scratch")\n')
    code = start(folder, tier, append=corpus.wrapped("tanh", attack))
    try:
        for _ in range(3):
            np.testing.assert_allclose(code.call("tanh", Z).value, np.tanh(Z))
        assert code.starts == 1
    finally:
        code.close()


def test_an_import_that_leaves_a_thread_fails_every_function_of_its_module(tier, folder):
    """gru.py starts a thread at import: does every GRU function fail as an import problem, and the others pass?"""
    code = start(folder, tier, prepend={"gru.py": THREAD})
    try:
        for function in corpus.CONTRACT["gru"]:
            code.begin_test()
            with pytest.raises(StudentCallFailed,
                               match=rf"^{function}: gru.py left a thread running when it was imported \("):
                code.call(function, Z)
        code.begin_test()
        np.testing.assert_allclose(code.call("tanh", Z).value, np.tanh(Z))
    finally:
        code.close()


def test_an_import_that_raises_after_starting_a_child_says_both(tier, folder):
    code = start(folder, tier, prepend={"gru.py": CHILDREN + RAISE})
    try:
        with pytest.raises(StudentCallFailed, match=r"^gru_step_forward: gru.py failed to import: RuntimeError: boom .*, "
                                                    r"and left a process running \("):
            code.call("gru_step_forward", Z)
    finally:
        code.close()
    assert wait_until(lambda: not tagged_processes())


# ---------------------------------------------------------------- the check on its own

@pytest.fixture
def files_only(monkeypatch):
    """The file checks, run in this test process: its own children (multiprocessing's resource
    tracker after the cluster tests, for one) are not what these tests are about, and must not be
    reaped by the check's waitpid(-1)."""
    from autograder.sandbox.inside import leftovers
    monkeypatch.setattr(leftovers, "_child_running", lambda: False)


@pytest.mark.parametrize("inotify", [True, False], ids=["inotify", "folder fingerprints"])
def test_only_new_entries_of_the_workers_own_uid_are_charged_in_shared_folders(tmp_path, inotify, files_only):
    """The limits tier's watch of shared folders, in this process: with inotify and without it, is a
    new entry of the uid's charged, and what was there before, is gone again or belongs to another uid not?"""
    from autograder.sandbox.inside import leftovers
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "before").write_text("there before")
    other_uid = os.getuid() + 1
    watch = leftovers.Leftovers({"shared": [str(shared), str(shared)], "uid": os.getuid(), "inotify": inotify})
    assert (watch.created is not None) == inotify and len(watch.shared) == 1   # one folder, watched once
    watch.refuse("f")
    (shared / "gone").write_text("written and removed")
    (shared / "gone").unlink()
    (shared / "before").write_text("changed")
    watch.refuse("f")
    if os.geteuid() == 0:
        (shared / "others").write_text("another user's")
        os.chown(shared / "others", other_uid, other_uid)
        watch.refuse("f")
    (shared / "mine").write_text("left")
    with pytest.raises(leftovers.StudentError, match=rf"^f left a file in {re.escape(str(shared))} \('mine'\) "
                                                  r"after it returned"):
        watch.refuse("f")


def test_files_in_an_ignored_folder_of_the_private_tmp_are_not_charged(tmp_path, files_only):
    """The private /tmp's watch, in this process: is the device's cache folder left alone, and a new file charged?"""
    from autograder.sandbox.inside import leftovers
    cache = tmp_path / "kernels"
    cache.mkdir()
    watch = leftovers.Leftovers({"private": str(tmp_path)}, ignored=[str(cache)])
    (cache / "kernel.cubin").write_text("compiled")
    watch.refuse("f")
    (tmp_path / "x").write_text("left")
    with pytest.raises(leftovers.StudentError, match=r"^f left a file in .* \('x'\) after it returned"):
        watch.refuse("f")
