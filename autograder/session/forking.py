"""One way to run work in a forked child and get its result back.

A batch forks a grader per submission, and a lone submission forks shards of
its tests: in every case the child inherits the parent's loaded state (pytest
collected, hypothesis warmed up), runs one function, and leaves its result,
a JSON-able value, in an unnamed temporary file the parent reads once the
child has exited (a pipe could fill up and stall a child the parent is not
reading yet).
"""
import json
import os
import signal
import sys
import tempfile
import traceback
from dataclasses import dataclass


class ChildFailed(RuntimeError):
    """The child exited without a result: a grader failure (its traceback went to stderr)."""


@dataclass
class Child:
    """A forked child running one function."""
    pid: int
    result_file: object

    def wait(self):
        """Wait for the child; its function's value."""
        _, status = os.waitpid(self.pid, 0)
        return self.collect(status)

    def collect(self, status):
        """Its function's value, given the status os.wait() gave for it; raises ChildFailed."""
        with self.result_file as result:
            code = os.waitstatus_to_exitcode(status)
            result.seek(0)
            data = result.read()
        if code != 0 or not data:
            raise ChildFailed(f"exit status {code}")
        return json.loads(data)


def fork(function, *args):
    """Run function(*args) in a forked child; returns the Child. The value must be JSON-able.

    The child ignores SIGINT: a Ctrl-C is its parent's to act on (grade_batch
    then ends its children), not every grader's to print a traceback of. A
    SIGINT that arrives while forking waits until the fork is done."""
    result_file = tempfile.TemporaryFile()
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        code = 0
        try:
            result_file.write(json.dumps(function(*args)).encode())
            result_file.flush()
        except BaseException:
            traceback.print_exc(file=sys.stderr)
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return Child(pid, result_file)
