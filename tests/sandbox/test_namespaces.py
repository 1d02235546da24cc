"""What a worker at the namespaces tier (namespaces.py, root only) can see and do.

A submission whose sigmoid reports its surroundings (as JSON, on its
printed output) is run in a worker forked by the zygote and in one started
from scratch: both must be in the same sandbox as the bwrap tier's.
"""
import json
import os
import socket
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

try:
    import security
except ModuleNotFoundError:  # tests/ became a package
    from tests import security

from autograder import paths, rubric as rubric_module
from autograder.sandbox.outside import tiers, zygote_client
from autograder.sandbox.outside.student_code import StudentCode

@pytest.fixture(autouse=True)
def root_grader():
    security.require_root("the namespaces tier needs a root grader")

LOOK_AROUND = '''
import json, os, socket

def sigmoid(z):
    import numpy as np
    seen = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
            "pid": os.getpid(), "ppid": os.getppid(), "root": sorted(os.listdir("/")),
            "pids": sorted(p for p in os.listdir("/proc") if p.isdigit()),
            "tmp": os.listdir("/tmp"), "cwd": os.getcwd(), "token": os.path.exists(TOKEN),
            "reference": os.path.exists(REFERENCE)}
    status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
    seen.update(bounding=status["CapBnd"].strip(), no_new_privs=status["NoNewPrivs"].strip())
    seen["writable"] = []
    for folder in ("/", "/usr", "/sandbox/submission", "/tmp", "/dev", os.path.dirname(np.__file__)):
        try:
            with open(os.path.join(folder, "probe-file"), "w"):
                seen["writable"].append(folder)
            os.remove(os.path.join(folder, "probe-file"))  # a file left in /tmp would fail the call
        except OSError:
            pass
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=1)
        seen["network"] = "connected"
    except OSError as error:
        seen["network"] = error.strerror
    try:
        import pytest
        seen["pytest"] = True
    except ImportError:
        seen["pytest"] = False
    print("SEEN " + json.dumps(seen))
    return 1 / (1 + np.exp(-z))
'''


@pytest.fixture(params=["forked by the zygote", "started from scratch"])
def seen(request, tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    token = tmp_path / "machine-token"
    token.write_text("on the machine's /tmp\n")
    token.chmod(0o644)
    tmp_path.chmod(0o755)
    submission = tmp_path / "submission"
    submission.mkdir(mode=0o755)
    source = LOOK_AROUND.replace("TOKEN", repr(str(token))).replace("PORT", str(listener.getsockname()[1]))
    (submission / "activations.py").write_text(
        source.replace("REFERENCE", repr(str(paths.REFERENCE_DIR / "lstm.py"))))
    if request.param == "forked by the zygote":
        assert zygote_client.start_zygote("namespaces") is not None
    scratch = Path(tempfile.mkdtemp(prefix="autograder-ns-test-"))
    scratch.chmod(0o711)
    rubric = rubric_module.load()
    spec = tiers.WorkerSpec(submission, paths.STUBS_DIR, rubric.limits, rubric.allowed_imports or ())
    code = StudentCode(spec, "namespaces", scratch, call_timeout_s=10.0, budget_s=30.0)
    try:
        forked = isinstance(code.worker.process, zygote_client.ForkedWorker)
        assert forked == (request.param == "forked by the zygote")
        assert code.call("sigmoid", np.zeros(2)).value.tolist() == [0.5, 0.5]
        line = next(line for line in code.printed().splitlines() if line.startswith("SEEN "))
        yield json.loads(line[5:]) | {"leased_uid": code.worker.lease.uid}
    finally:
        code.close()
        zygote_client.stop_zygote()
        listener.close()


def test_the_worker_runs_as_its_leased_uid_with_no_groups_and_no_privileges(seen):
    assert seen["uid"] == seen["gid"] == seen["leased_uid"] != 0
    assert seen["groups"] == []
    assert int(seen["bounding"], 16) == 0 and seen["no_new_privs"] == "1"


def test_the_worker_sees_only_its_own_pid_namespace(seen):
    assert (seen["pid"], seen["ppid"]) == (2, 1)
    assert seen["pids"] == ["1", "2"]


def test_the_filesystem_holds_only_the_sandbox_and_is_read_only_but_tmp(seen):
    assert set(seen["root"]) <= {"bin", "dev", "lib", "lib32", "lib64", "libx32", "proc", "sandbox", "sbin",
                                 "tmp", "usr"} | {Path(tiers.base_python()).parts[1]} \
        | {Path(entry).parts[1] for entry in tiers.numpy_site_entries()}
    assert seen["writable"] == ["/tmp"]
    assert sorted(seen["tmp"]) == mount_points_under_tmp() and not seen["token"], "the machine's /tmp is visible"
    assert not seen["reference"] and not seen["pytest"]
    assert seen["cwd"] == tiers.INSIDE["submission"]


def mount_points_under_tmp():
    """What a worker's private /tmp holds from the start: the folders on the way to
    NumPy or Python when they live under /tmp (a checkout there, as CI may use)."""
    bound = [str(entry) for entry in tiers.numpy_site_entries()] + [os.path.realpath(sys.base_prefix)]
    return sorted({Path(path).parts[2] for path in bound if path.startswith("/tmp/")})


def test_the_worker_has_no_network(seen):
    assert seen["network"] == "Network is unreachable"


def test_a_folder_bound_from_under_tmp_stays_visible(tmp_path):
    """A package folder under /tmp (NumPy in a checkout there, as CI may use) is bound at
    its own path: the worker's private /tmp must not hide it."""
    package = tmp_path / "site" / "helper_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("VALUE = 0.25\n")
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "activations.py").write_text(
        "import numpy as np\n\ndef sigmoid(z):\n    import helper_pkg\n    return np.full(z.shape, helper_pkg.VALUE)\n")
    for folder in (tmp_path, tmp_path / "site", package, submission):
        folder.chmod(0o755)
    rubric = rubric_module.load()
    spec = tiers.WorkerSpec(submission, paths.STUBS_DIR, rubric.limits,
                              tuple(rubric.allowed_imports or ()) + ("helper_pkg",), extra_site=(str(package),))
    scratch = Path(tempfile.mkdtemp(prefix="autograder-ns-test-"))
    scratch.chmod(0o711)
    code = StudentCode(spec, "namespaces", scratch, call_timeout_s=10.0, budget_s=30.0)
    try:
        assert code.call("sigmoid", np.zeros(2)).value.tolist() == [0.25, 0.25], code.printed()
    finally:
        code.close()
