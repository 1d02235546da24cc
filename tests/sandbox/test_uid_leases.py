"""Uid leases (uids.lease_uid, root only): each worker runs as a uid of its
own, and whatever runs or lies around under that uid is removed when the
worker ends, and again before the uid is leased next.
"""
import os
import signal
import time

import pytest

try:
    import security
except ModuleNotFoundError:  # tests/ became a package
    from tests import security

from autograder.sandbox.outside import uids

from polling import wait_until

@pytest.fixture(autouse=True)
def root_grader():
    security.require_root("uids are leased only by a root grader")
FIRST = uids.SANDBOX_UIDS[-1]  # the test's own small range, at the end of the default one


@pytest.fixture
def two_uids(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX_UIDS", f"{FIRST - 1}:2")
    return (FIRST - 1, FIRST)


ORPHAN_SLEEPS_S = 600  # far longer than any wait below: an orphan never goes away by itself during a test


def orphan_as(uid):
    """A process sleeping as `uid` whose parent has gone, as a worker's escaped
    grandchild would be (init reaps it once it is killed); returns its pid."""
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        pid = os.fork()
        if pid == 0:
            try:
                os.setsid()
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                time.sleep(ORPHAN_SLEEPS_S)
            finally:
                os._exit(0)
        os.write(write_end, str(pid).encode())
        os._exit(0)
    os.waitpid(middle, 0)
    pid = int(os.read(read_end, 32))
    os.close(read_end)
    os.close(write_end)
    assert wait_until(lambda: pid in uids.processes_of(uid))
    return pid


def test_a_leased_uid_is_not_leased_again_until_released(two_uids):
    first, second = uids.lease_uid(), uids.lease_uid()
    try:
        assert {first.uid, second.uid} == set(two_uids) and first.exclusive and second.exclusive
        third = uids.lease_uid()
        assert third.uid == uids.NOBODY and not third.exclusive  # the range is used up
    finally:
        first.release()
        second.release()
    again = uids.lease_uid()
    assert again.uid in two_uids
    again.release()


def kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def test_releasing_kills_the_uids_processes_and_sweeps_its_tmp_files(two_uids):
    lease = uids.lease_uid()
    orphan = orphan_as(lease.uid)
    try:
        left = f"/tmp/autograder-lease-test-{os.getpid()}"
        with open(left, "w"):
            pass
        os.chown(left, lease.uid, lease.uid)
        uid = lease.uid
        lease.release()
        assert wait_until(lambda: orphan not in uids.processes_of(uid)), \
            "a process of the released uid still runs"
        assert not os.path.exists(left), "the released uid's file in /tmp is still there"
    finally:
        kill(orphan)


def test_a_release_without_sweep_leaves_tmp_alone(two_uids):
    lease = uids.lease_uid()
    left = f"/tmp/autograder-lease-test-{os.getpid()}"
    with open(left, "w"):
        pass
    os.chown(left, lease.uid, lease.uid)
    try:
        lease.release(sweep=False)
        assert os.path.exists(left)
    finally:
        os.unlink(left)


def test_leftovers_of_a_uid_are_killed_before_it_is_leased_again(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX_UIDS", f"{FIRST}:1")
    orphan = orphan_as(FIRST)  # left by a grader that crashed
    try:
        lease = uids.lease_uid()
        # Killed (on a busy machine it may take a moment to die); until init has
        # reaped it, the uid is passed over (its zombie would count against the
        # next worker's process limit).
        assert wait_until(lambda: orphan not in uids.processes_of(FIRST))
        lease.release()
        assert wait_until(lambda: not uids.processes_of(FIRST, zombies=True))
        lease = uids.lease_uid()
        assert lease.uid == FIRST and lease.exclusive
        lease.release()
    finally:
        kill(orphan)
