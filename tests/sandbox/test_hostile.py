"""Can a hostile submission fool, break or outlive the grader?

The corpus (tests/hostile/cases.py) and two normal submissions, one graded
before it and one after, go through ONE command-line call per isolation tier
(AUTOGRADER_SANDBOX=namespaces, bwrap and limits). While it runs, the
machine's processes are sampled for the corpus's own (their argv[0] is
hostile-<run>-<case>, unique to this test run). Then every case is checked on its own: its report is valid,
it lost exactly what its attack should cost it, it says what happened, and
nothing of it outlived its grading; and the batch as a whole: exit status 0,
the normal submissions untouched and at full marks, no file outside the
submissions changed, no process of the grader left.

Cases that a tier does not promise to stop (docs/security.md) are expected to
fail there: xfail(strict=True), so that a surprise pass is noticed.
"""
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import pytest

from autograder.sandbox.outside import probing, zygote_client

from autograder.report.schema import validate_report

try:
    import golden
    import security
    from hostile import cases as corpus
    from polling import wait_until
    from worker_paths import others_can_read
except ModuleNotFoundError:  # tests/ became a package
    from tests import golden, security
    from tests.hostile import cases as corpus
    from tests.polling import wait_until
    from tests.worker_paths import others_can_read

REPO = Path(__file__).resolve().parents[2]
NORMAL = ("normal_first", "normal_last")
BATCH_TIMEOUT_S = 600      # the whole corpus, one tier; about 2 minutes on 2 idle cores
GRACE_S = 1.5              # how long after its report a case's process may still be seen dying
SAMPLE_EVERY_S = 0.2
# test_sandbox_dies_with_the_grader: how long the submission's child may take to
# start (the grader's start-up included), and to die once the grader is killed.
CHILD_STARTS_WITHIN_S = 60
CHILD_DIES_WITHIN_S = 10   # measured: at most 0.06 s; well below the 25 s the child sleeps, so that a child
                           # that outlives the grader (the limits tier's orphaned_in_own_session) is seen alive


@dataclass
class Batch:
    """One command-line run over the whole corpus, and what was seen during it."""
    tier: str
    root: Path
    out: Path
    run: str
    returncode: int = None
    stdout: str = ""
    stderr_lines: list = field(default_factory=list)
    finished: dict = field(default_factory=dict)    # submission -> seconds since start
    sightings: dict = field(default_factory=dict)   # case -> [(seconds, pid)] of its processes
    session_left: list = field(default_factory=list)
    files_left: dict = field(default_factory=dict)  # case -> files in /tmp named after it
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    marker: Path = None
    token: str = ""       # the file of the machine's /tmp the escape cases look for
    port: int = 0         # the port on 127.0.0.1 the network cases try

    def report(self, name):
        return json.loads((self.out / f"{name}.json").read_text())

    @property
    def reports(self):
        """Every report written, by submission name."""
        return {path.stem: json.loads(path.read_text()) for path in sorted(self.out.glob("*.json"))
                if path.name != "summary.json"}


def _tier_available(tier):
    if os.geteuid() != 0:
        return f"the corpus's expectations assume a root grader, as in CI (here uid {os.geteuid()})"
    if tier in ("namespaces", "bwrap"):
        try:
            probing.probe(tier)
        except (RuntimeError, ValueError) as error:
            return str(error)
        finally:
            zygote_client.stop_zygote()  # the namespaces probe starts one in this process
    return ""


def _tree_hashes(root, skip):
    hashes = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and skip not in path.parents:
            hashes[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def _tagged_processes(run):
    """pid -> case name, for every process whose argv[0] is hostile-<run>-<case>."""
    prefix, found = corpus.tag("", run), {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv0 = f.read(200).split(b"\0", 1)[0].decode("utf-8", "replace")
        except OSError:
            continue
        if argv0.startswith(prefix):
            found[int(entry)] = argv0.removeprefix(prefix)
    return found


def _files_of(case, run):
    """What the case left in /tmp under its tag."""
    name = corpus.tag(case.name, run)
    return [p for p in Path("/tmp").glob(f"{name}*") if p.name == name or p.name.startswith(name + "-")]


def _session_members(sid):
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == sid:
                    members.append(int(entry))
            except OSError:
                pass
    return members


def _run(batch, paths):
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_SANDBOX"}
    env["AUTOGRADER_SANDBOX"] = batch.tier
    argv = [sys.executable, "-m", "autograder", "grade", *map(str, paths),
            "--out", str(batch.out), "--jobs", "2"]
    start = time.monotonic()
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    done = threading.Event()

    def read_stderr():
        for raw in process.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            batch.stderr_lines.append(line)
            match = re.match(r"graded (\S+):", line)
            if match:
                batch.finished[match[1]] = time.monotonic() - start

    def sample():
        while not done.is_set():
            now = time.monotonic() - start
            for pid, name in _tagged_processes(batch.run).items():
                batch.sightings.setdefault(name, []).append((now, pid))
            time.sleep(SAMPLE_EVERY_S)

    def read_stdout():
        batch.stdout = process.stdout.read().decode("utf-8", "replace")

    readers = [threading.Thread(target=f, daemon=True) for f in (read_stderr, read_stdout, sample)]
    for thread in readers:
        thread.start()
    try:
        batch.returncode = process.wait(timeout=BATCH_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        batch.returncode = "timeout"
    for thread in readers[:2]:
        thread.join(timeout=10)
    time.sleep(GRACE_S)
    done.set()
    readers[2].join(timeout=10)
    batch.session_left = _session_members(process.pid)


@pytest.fixture(scope="module", params=corpus.TIERS)
def batch(request):
    """The corpus graded in one command-line call at tier `request.param`."""
    tier = request.param
    why_not = _tier_available(tier)
    if why_not:
        security.unavailable(why_not)
    root = Path(tempfile.mkdtemp(prefix="hostile-corpus-", dir="/tmp"))
    root.chmod(0o755)  # readable, as a course folder would be: the sandbox must still keep out
    token_fd, token = tempfile.mkstemp(prefix="hostile-token-", dir="/tmp")
    os.write(token_fd, b"the machine's /tmp\n")
    os.close(token_fd)
    os.chmod(token, 0o644)
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    batch = Batch(tier, root, root / "out", run=secrets.token_hex(4), marker=root / "unpickled", token=token,
                  port=listener.getsockname()[1])
    try:
        (root / "canary.txt").write_text("must survive grading\n")
        batch.out.mkdir(mode=0o755)
        placeholders = {"RUN": batch.run, "ROOT": root, "CANARY": root / "canary.txt", "MARKER": batch.marker,
                        "PORT": listener.getsockname()[1], "TOKEN": token, "TEST_PID": os.getpid()}
        paths = [corpus.materialize(corpus.Case(NORMAL[0], "", (), ""), root / NORMAL[0], {})]
        paths += [corpus.materialize(case, root / case.name, placeholders) for case in corpus.CASES]
        paths.append(corpus.materialize(corpus.Case(NORMAL[1], "", (), ""), root / NORMAL[1], {}))
        batch.before = _tree_hashes(root, batch.out)
        _run(batch, paths)
        batch.after = _tree_hashes(root, batch.out)
        for case in corpus.CASES:
            left = _files_of(case, batch.run)
            if left:
                batch.files_left[case.name] = left
        yield batch
    finally:
        listener.close()
        for pid in _tagged_processes(batch.run):  # only this run's corpus processes, by pid
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for case in corpus.CASES:
            for path in _files_of(case, batch.run):
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink()
        os.unlink(token)
        shutil.rmtree(root, ignore_errors=True)


def _beyond(case, tier):
    """Does `tier` not promise to stop `case` in this checkout? A cheat that reads the checkout's
    reference/ is held wherever other users cannot read it (a clone inside a 0700 folder)."""
    if tier not in case.beyond:
        return False
    return not case.reads_checkout or others_can_read(REPO / "reference" / "gru.py")


def _validate(report):
    validate_report(report)  # the schema, and that it adds up


CALLERS = corpus.callers()


# --- the batch ----------------------------------------------------------------

def test_batch_exits_0_and_grades_everything(batch):
    """Does the command line grade every submission and exit 0, with nothing forged on stdout?"""
    assert batch.returncode == 0, "\n".join(batch.stderr_lines[-20:])
    expected = {c.name for c in corpus.CASES} | set(NORMAL)
    assert set(batch.finished) == expected
    assert "FORGED" not in batch.stdout
    assert not [line for line in batch.stderr_lines if "Traceback" in line]


def test_normal_submissions_are_intact(batch):
    """Do the submissions graded before and after the corpus keep full marks and valid reports?"""
    for name in NORMAL:
        report = batch.report(name)
        _validate(report)
        assert report["submission"] == name
        assert report["score"] == report["max_score"] > 0, [t["output"] for t in report["tests"] if t["output"]]
        assert report["sandbox"]["tier"] == batch.tier


def test_nothing_outside_a_submission_changed(batch):
    """Are the canary, every submission's files and the reports folder as the grader left them?"""
    assert batch.after == batch.before
    assert not batch.marker.exists(), "something unpickled the worker's answer"
    names = {p.name for p in batch.out.iterdir()}
    assert names == {f"{n}.json" for n in [c.name for c in corpus.CASES] + list(NORMAL)} | {
        "summary.json", "summary.csv"}
    for path in batch.out.iterdir():
        text = path.read_text()
        if path.suffix == ".json":  # what the student printed is quoted in "printed": that is fine
            data = json.loads(text)
            data.pop("printed", None)
            text = json.dumps(data)
        assert "FORGED" not in text, path.name


def test_grader_process_tree_returns(batch):
    """Is nothing left in the command's session once it has exited?"""
    assert batch.session_left == []


# --- each case ----------------------------------------------------------------

@pytest.mark.parametrize("case", corpus.CASES, ids=lambda case: case.name)
def test_case_earns_only_what_it_earned(batch, case, request):
    """Does the case lose its attacked functions' tests, keep all the others, and say why?"""
    if _beyond(case, batch.tier):  # a surprise pass fails: strict
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"beyond the {batch.tier} tier (docs/security.md)"))
    report = batch.report(case.name)
    _validate(report)
    assert report["sandbox"]["tier"] == batch.tier
    lost = corpus.affected(case, CALLERS)
    wrong = []
    for test in report["tests"]:
        if test["outcome"] == "skipped":
            continue
        touched = set(test["tags"]) & lost
        if not touched and test["status"] != "passed":
            wrong.append(f"{test['number']} {test['key']} should pass: {test['output'][:200]}")
        if touched and test["status"] == "passed" and not any(fnmatch(test["key"], p) for p in case.may_pass):
            wrong.append(f"{test['number']} {test['key']} should fail (it exercises {sorted(touched)})")
    assert not wrong, "\n".join(wrong)
    said = "\n".join(t["output"] for t in report["tests"] if t["status"] == "failed")
    assert re.search(case.says, said), f"no {case.says!r} in:\n{said[:1500]}"


# The tiers whose results do not depend on the machine (the limits tier's
# "beyond" cases do: they win or not with the checkout's permissions).
GOLDEN_TIERS = ("namespaces", "bwrap")
# Cases whose feedback depends on how fast the machine is (which call runs out
# of time, disk or processes first): their statuses and scores are pinned, not their words.
TIMED = ("hang_ignoring_signals", "memory_grab", "deep_recursion", "flood_output", "fork_storm",
         "fill_disk_one_file", "fill_disk_many_files", "orphaned_by_grader", "orphaned_in_own_session",
         "cheat_walk_filesystem", "detached_child", "raise_after_detached_child", "raise_after_forking")


def test_reports_are_the_golden_ones(batch):
    """Does every test of every report of the corpus say exactly what is pinned in tests/golden/
    (timings and this run's paths aside)?"""
    if batch.tier not in GOLDEN_TIERS:
        pytest.skip(f"the {batch.tier} tier's results depend on the machine (see GOLDEN_TIERS)")
    replacements = {batch.root: "@@ROOT@@", batch.run: "@@RUN@@", batch.token: "@@TOKEN@@",
                    str(batch.port): "@@PORT@@", str(os.getpid()): "@@TEST_PID@@"}
    lines = golden.check(f"hostile-{batch.tier}", batch.reports, replacements, loose=TIMED)
    assert not lines, "\n".join(lines)


@pytest.mark.parametrize("case", corpus.CASES, ids=lambda case: case.name)
def test_case_leaves_nothing_behind(batch, case):
    """Is every process of the case gone once its report is written, and every file it left in /tmp?"""
    done = batch.finished.get(case.name)
    assert done is not None
    late = sorted({pid for seen, pid in batch.sightings.get(case.name, []) if seen > done + GRACE_S})
    assert not late, f"processes {late} of {case.name} outlived its grading"
    assert not batch.files_left.get(case.name)


@pytest.mark.parametrize("case", corpus.ORPHAN_CASES, ids=lambda case: case.name)
@pytest.mark.parametrize("tier", corpus.TIERS)
def test_sandbox_dies_with_the_grader(tier, case, request):
    """Killed mid-grading, does the grader take the sandbox and all it started down with it?"""
    why_not = _tier_available(tier)
    if why_not:
        security.unavailable(why_not)
    if tier in case.beyond:
        request.applymarker(pytest.mark.xfail(strict=True, reason="at the limits tier a child in a session "
                                              "of its own outlives the grader (docs/security.md)"))
    run = secrets.token_hex(4)
    root = Path(tempfile.mkdtemp(prefix="hostile-corpus-", dir="/tmp"))
    env = {k: v for k, v in os.environ.items() if k != "AUTOGRADER_SANDBOX"}
    env["AUTOGRADER_SANDBOX"] = tier
    try:
        folder = corpus.materialize(case, root / case.name, {"RUN": run})
        grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(folder), "--out",
                                   str(root / "out")], cwd=REPO, env=env, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: _tagged_processes(run) or grader.poll() is not None, CHILD_STARTS_WITHIN_S,
                   every=SAMPLE_EVERY_S)
        assert _tagged_processes(run), "the submission's child never started"
        os.killpg(grader.pid, signal.SIGKILL)  # the command and the graders it forked
        grader.wait()
        assert wait_until(lambda: not _tagged_processes(run), CHILD_DIES_WITHIN_S)
    finally:
        for pid in _tagged_processes(run):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)
